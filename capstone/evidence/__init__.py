"""Evidence API used by drivers, builders and scenarios.

    with evidence.step("push v3"):            # an Allure step and a timeline entry
        ...
    evidence.attach("pipeline state", state)  # dict -> JSON attachment; str -> text (digest kept)
    evidence.record("execution_id", exec_id)  # a fact about the current scenario (JUnit property too)
    evidence.append("deployment_ids", dep_id) # a fact that collects several values
    evidence.event("stage", stage="Build", status="Succeeded")  # a timeline point
    evidence.requirement("The pipeline MUST block a failing test before Approval")
    evidence.register_secret(value)           # never show this value in any report
    evidence.run_fact("account_id", acct)     # a fact about the whole run, not one scenario
    evidence.record_leak_check(report.as_dict())  # one per environment (per xdist worker)
    evidence.record_least_privilege(entry)    # per environment: its roles' grants and use (least_privilege.py)

Timeline event kinds the audit report draws (other kinds are listed, not drawn):
    event("stage", stage=..., status="InProgress|Succeeded|Failed|Stopped|...", execution_id=...)
    event("deployment", deployment_id=..., status="Created|InProgress|Ready|Succeeded|Failed|Stopped",
          rollback_of=None|"d-...")     (or old=/new= and creator="codeDeployRollback", as the reader sends)
    event("traffic", version="v3")            # the version the ALB served from now on
    event("approval", status="Approved|Rejected", by=..., summary=...)   (or decision=)
    event("push", commit=..., message=...); event("alarm", alarm=..., old=..., new=...)
    attach(name, {"versions": [{"version", "first", "last"}], ...})  # a probe summary: traffic lane
    event("step", ...)                        # emitted by step()

The pytest plugin (fixtures/evidence.py) calls begin_scenario/end_scenario around each test, so
callers only use the functions above. Everything passed here goes through the Scrubber
(capstone/evidence/scrub.py) before it is stored or attached; still, pass ids, statuses and
summaries only, never a token or a secret.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import threading
import time
from typing import Any, Iterator

from capstone.evidence.scrub import Scrubber
from capstone.run import worker_id

_lock = threading.RLock()
_scrubber = Scrubber()
_current: dict[str, Any] = {"scenario": None}
_scenarios: dict[str, dict[str, Any]] = {}
_timeline: list[dict[str, Any]] = []
_run: dict[str, Any] = {"facts": {}, "session_facts": {}, "attachments": []}
_depth = threading.local()


def _allure():
    try:
        import allure  # noqa: WPS433

        return allure
    except ImportError:  # evidence still lands in the audit report
        return None


def scrubber() -> Scrubber:
    return _scrubber


def register_secret(value: str | None) -> None:
    """Mask this value everywhere the evidence layer writes (also in the final report pass)."""
    _scrubber.register(value)


def begin_scenario(nodeid: str, **labels: Any) -> None:
    with _lock:
        _current["scenario"] = nodeid
        sc = _scenarios.setdefault(nodeid, {
            "nodeid": nodeid, "labels": {}, "requirement": None, "facts": {}, "steps": [],
            "attachments": [], "verdict": None, "message": None, "start": time.time(), "stop": None,
            "worker": worker_id()})
        sc["labels"].update({k: v for k, v in labels.items() if v is not None})
        if labels.get("requirement"):
            sc["requirement"] = labels["requirement"]
    event("scenario", phase="start")


def end_scenario(verdict: str | None = None, message: str | None = None) -> None:
    event("scenario", phase="end", verdict=verdict)
    with _lock:
        sc = _scenario()
        if sc is not None:
            sc["stop"] = time.time()
            if verdict is not None:
                sc["verdict"] = verdict
                sc["message"] = _scrubber.text(message) if message else None
        _current["scenario"] = None


@contextlib.contextmanager
def suspended() -> Iterator[None]:
    """Evidence recorded inside belongs to the session, not the scenario running now (the plugin
    wraps session fixtures in this: the environment is built during the first test's set-up)."""
    with _lock:
        saved, _current["scenario"] = _current["scenario"], None
    try:
        yield
    finally:
        with _lock:
            _current["scenario"] = saved


def _scenario() -> dict[str, Any] | None:
    name = _current["scenario"]
    return _scenarios.get(name) if name else None


@contextlib.contextmanager
def step(title: str) -> Iterator[None]:
    title = _scrubber.text(title)
    allure = _allure()
    started = time.time()
    depth = getattr(_depth, "value", 0)
    entry = {"title": title, "start": started, "stop": None, "status": None, "depth": depth}
    with _lock:
        sc = _scenario()
        (sc["steps"] if sc is not None else _run.setdefault("steps", [])).append(entry)
    event("step", title=title, phase="start")
    ctx = allure.step(title) if allure else contextlib.nullcontext()
    _depth.value = depth + 1
    status = "failed"
    try:
        with ctx:
            yield
        status = "passed"
    finally:
        _depth.value = depth
        entry.update(stop=time.time(), status=status)
        event("step", title=title, phase="end", status=status, seconds=round(time.time() - started, 3))


def attach(name: str, body: Any, kind: str = "auto") -> str:
    """Attach to the current Allure test (or fixture) and keep the sha256 for the audit report.
    Returns the digest, which equals the digest of the attachment file Allure writes."""
    if isinstance(body, (dict, list)):
        text, kind = json.dumps(_scrubber.data(body), indent=2, default=str), "json"
    else:
        text = _scrubber.text(body if isinstance(body, str) else str(body))
        kind = "text" if kind == "auto" else kind
    name = _scrubber.text(name)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    allure = _allure()
    if allure:
        types = {"json": allure.attachment_type.JSON, "html": allure.attachment_type.HTML}
        allure.attach(text, name=name, attachment_type=types.get(kind, allure.attachment_type.TEXT))
    entry = {"name": name, "kind": kind, "sha256": digest, "bytes": len(text.encode("utf-8")), "t": time.time()}
    spans = body.get("versions") if isinstance(body, dict) else None
    if isinstance(spans, list) and spans and all(isinstance(v, dict) and "first" in v for v in spans):
        # a probe summary: the versions users were served, and when, for the timeline picture
        event("probe", versions=[{k: v.get(k) for k in ("version", "first", "last", "answers")} for v in spans])
    with _lock:
        sc = _scenario()
        (sc["attachments"] if sc is not None else _run["attachments"]).append(entry)
    return digest


def record(key: str, value: Any) -> None:
    value = _scrubber.data(value, key)
    with _lock:
        sc = _scenario()
        (sc["facts"] if sc is not None else _run["session_facts"])[key] = value


def append(key: str, value: Any) -> None:
    """Add one value to a list fact (e.g. every deployment id a scenario saw), keeping order."""
    value = _scrubber.data(value, key)
    with _lock:
        sc = _scenario()
        facts = sc["facts"] if sc is not None else _run["session_facts"]
        values = facts.setdefault(key, [])
        if value not in values:
            values.append(value)


def requirement(sentence: str) -> None:
    with _lock:
        sc = _scenario()
        if sc is not None:
            sc["requirement"] = _scrubber.text(sentence)


def run_fact(key: str, value: Any) -> None:
    """A fact about the whole run (target, region, account, leak_check, ...)."""
    with _lock:
        _run["facts"][key] = _scrubber.data(value, key)


def record_leak_check(result: dict[str, Any]) -> None:
    """An environment's leak-check result ({"ok", "leaks": [...], "unchecked", "types_checked", ...},
    capstone.leaks.LeakReport.as_dict()); every worker's lands in the audit report."""
    with _lock:
        _run.setdefault("leak_checks", []).append({"worker": worker_id(), **_scrubber.data(result)})


def record_least_privilege(entry: dict[str, Any]) -> None:
    """An environment's least-privilege record (capstone.least_privilege.collect(), with its
    prefix); every worker's lands in the audit report's least_privilege section."""
    with _lock:
        _run.setdefault("least_privilege", []).append({"worker": worker_id(), **_scrubber.data(entry)})


def event(kind: str, **fields: Any) -> None:
    fields = _scrubber.data(fields)
    with _lock:
        _timeline.append({"t": time.time(), "kind": kind, "scenario": _current["scenario"],
                          "worker": worker_id(), **fields})


def scenario_facts(nodeid: str) -> dict[str, Any]:
    """One scenario's facts (a copy), e.g. for JUnit properties."""
    with _lock:
        sc = _scenarios.get(nodeid)
        return json.loads(json.dumps(sc["facts"], default=str)) if sc else {}


def snapshot() -> dict[str, Any]:
    """Everything recorded so far (for the audit report), already scrubbed."""
    with _lock:
        return json.loads(json.dumps({
            "scenarios": _scenarios, "timeline": _timeline, "run": _run}, default=str))


def merge(other: dict[str, Any]) -> None:
    """Fold another process's snapshot (an xdist worker's) into this one."""
    with _lock:
        _scenarios.update(other.get("scenarios", {}))
        _timeline.extend(other.get("timeline", []))
        _timeline.sort(key=lambda e: e.get("t", 0))
        run = other.get("run", {})
        _run["facts"].update(run.get("facts", {}))
        _run["session_facts"].update(run.get("session_facts", {}))
        _run["attachments"].extend(run.get("attachments", []))
        _run.setdefault("steps", []).extend(run.get("steps", []))
        _run.setdefault("leak_checks", []).extend(run.get("leak_checks", []))
        _run.setdefault("least_privilege", []).extend(run.get("least_privilege", []))


def reset() -> None:
    """Forget everything (tests of the evidence layer itself)."""
    global _scrubber
    with _lock:
        _current["scenario"] = None
        _scenarios.clear()
        _timeline.clear()
        _run.clear()
        _run.update({"facts": {}, "session_facts": {}, "attachments": []})
        _scrubber = Scrubber()
