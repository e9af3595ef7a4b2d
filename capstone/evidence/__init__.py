"""Evidence API used by drivers, builders and scenarios. (Contract; the evidence issue fills in
Allure, JUnit properties and the audit report behind these same functions.)

    with evidence.step("push v3"):            # an Allure step and a timeline entry
        ...
    evidence.attach("pipeline state", state)  # dict -> JSON attachment; str -> text
    evidence.record("execution_id", exec_id)  # a fact about the current scenario
    evidence.event("stage", stage="Build", status="Succeeded")  # a timeline point
    evidence.requirement("The pipeline MUST block a failing test before Approval")

Nothing passed here may contain a secret: callers pass ids, statuses and summaries only.
"""
from __future__ import annotations

import contextlib
import json
import threading
import time
from typing import Any, Iterator

_lock = threading.Lock()
_current: dict[str, Any] = {"scenario": None}
_scenarios: dict[str, dict[str, Any]] = {}
_timeline: list[dict[str, Any]] = []


def _allure():
    try:
        import allure  # noqa: WPS433

        return allure
    except ImportError:  # evidence still lands in the audit report
        return None


def begin_scenario(nodeid: str) -> None:
    with _lock:
        _current["scenario"] = nodeid
        _scenarios.setdefault(nodeid, {"facts": {}, "requirement": None, "steps": []})


def end_scenario() -> None:
    with _lock:
        _current["scenario"] = None


def _scenario() -> dict[str, Any] | None:
    name = _current["scenario"]
    return _scenarios.get(name) if name else None


@contextlib.contextmanager
def step(title: str) -> Iterator[None]:
    allure = _allure()
    started = time.time()
    event("step", title=title, phase="start")
    ctx = allure.step(title) if allure else contextlib.nullcontext()
    with ctx:
        try:
            yield
        finally:
            event("step", title=title, phase="end", seconds=round(time.time() - started, 3))


def attach(name: str, body: Any, kind: str = "auto") -> None:
    allure = _allure()
    if isinstance(body, (dict, list)):
        text, kind = json.dumps(body, indent=2, default=str), "json"
    else:
        text = body if isinstance(body, str) else str(body)
    if allure:
        types = {"json": allure.attachment_type.JSON, "html": allure.attachment_type.HTML}
        allure.attach(text, name=name, attachment_type=types.get(kind, allure.attachment_type.TEXT))


def record(key: str, value: Any) -> None:
    with _lock:
        sc = _scenario()
        if sc is not None:
            sc["facts"][key] = value


def requirement(sentence: str) -> None:
    with _lock:
        sc = _scenario()
        if sc is not None:
            sc["requirement"] = sentence


def event(kind: str, **fields: Any) -> None:
    with _lock:
        _timeline.append({"t": time.time(), "kind": kind, "scenario": _current["scenario"], **fields})


def snapshot() -> dict[str, Any]:
    """Everything recorded so far (for the audit report)."""
    with _lock:
        return {"scenarios": json.loads(json.dumps(_scenarios, default=str)), "timeline": list(_timeline)}
