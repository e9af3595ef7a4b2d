"""The audit report of one run: reports/<run-id>/audit.json and audit.html, built from the merged
evidence (evidence.json), the ledgers, the leak-check result and the files in the run directory.

Integrity: every file of the run gets a sha256 in audit.json and in SHA256SUMS (`sha256sum -c
SHA256SUMS` in the run directory, or `capstone report --verify`), so a later edit shows.
"""
from __future__ import annotations

import hashlib
import json
import re
import time
from pathlib import Path
from typing import Any

from capstone.evidence import cost, metadata, timeline
from capstone.evidence.categories import classify
from capstone.evidence.scrub import Scrubber

EVIDENCE_FILE = "evidence.json"
SUMS_FILE = "SHA256SUMS"
ARN_ACCOUNT = re.compile(r"arn:aws[\w-]*:[\w-]+:[\w-]*:(\d{12}):")
# Outputs of rendering, not evidence: excluded from the digest list inside audit.json. audit.html is
# also left out of SHA256SUMS: it is a view of audit.json (which is covered) that `capstone report`
# re-renders at will.
RENDERED = {"audit.json", "audit.html", SUMS_FILE}
RENDERED_DIRS = ("allure-report",)


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()


def evidence_files(run_dir: Path) -> list[Path]:
    return [p for p in sorted(run_dir.rglob("*")) if p.is_file() and p.name not in RENDERED
            and not any(part in RENDERED_DIRS for part in p.relative_to(run_dir).parts)]


def load_ledgers(run_dir: Path) -> dict[str, Any]:
    resources, files = [], []
    for path in sorted(run_dir.glob("ledger*.json")):
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            files.append({"file": path.name, "error": f"unreadable: {exc}"})
            continue
        entries = data.get("resources", []) if isinstance(data, dict) else data
        files.append({"file": path.name, "prefix": data.get("prefix") if isinstance(data, dict) else None,
                      "worker": data.get("worker") if isinstance(data, dict) else None, "resources": len(entries)})
        resources.extend({**e, "ledger": path.name} for e in entries if isinstance(e, dict))
    return {"files": files, "resources": resources}


def ledger_facts(run_dir: Path) -> dict[str, Any]:
    """Run facts the ledgers know when nobody recorded them: prefix(es), endpoint, region, target,
    and the account id from the ARNs (it is masked before it is shown)."""
    facts: dict[str, Any] = {}
    prefixes = []
    for path in sorted(run_dir.glob("ledger*.json")):
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if not isinstance(data, dict):
            continue
        if data.get("prefix"):
            prefixes.append(data["prefix"])
        for key in ("endpoint_url", "region", "target"):
            if data.get(key):
                facts.setdefault(key, data[key])
        for entry in data.get("resources", []):
            match = ARN_ACCOUNT.match(str(entry.get("arn") or ""))
            if match:
                facts.setdefault("account_id", match.group(1))
    if prefixes:
        facts["prefix"] = ", ".join(sorted(set(prefixes)))
    return facts


def leak_check(run: dict[str, Any], run_dir: Path) -> dict[str, Any]:
    """Every environment's leak-check result folded into one:
    {"status": "clean"|"leaks"|"incomplete"|"not run", "leaks": [...], "checks": [...]}.
    Sources: evidence.record_leak_check() (one per worker), the run fact "leak_check", or
    leaks*.json files in the run directory. "incomplete": a type could not be listed, which
    proves nothing, so it counts as a failure too."""
    checks = list(run.get("leak_checks", []))
    if run.get("facts", {}).get("leak_check") is not None:
        checks.append(run["facts"]["leak_check"])
    if not checks:
        for path in sorted(run_dir.glob("leaks*.json")):
            try:
                checks.append(json.loads(path.read_text()))
            except (OSError, ValueError) as exc:
                checks.append({"ok": False, "unchecked": {path.name: f"unreadable: {exc}"}})
    if not checks:
        return {"status": "not run", "leaks": [], "checks": []}
    leaks = [leak for c in checks for leak in (c if isinstance(c, list) else c.get("leaks", []))]
    incomplete = any(isinstance(c, dict) and (c.get("unchecked") or c.get("ok") is False) for c in checks)
    status = "leaks" if leaks else ("incomplete" if incomplete else "clean")
    return {"status": status, "leaks": leaks, "checks": checks}


def internal_packages(run: dict[str, Any], scenarios: list[dict[str, Any]]) -> dict[str, list[str]]:
    """The internal package versions the run published (set-up and scenarios) and the builds
    installed ("demo-greeting==1.0.0"), in the order first seen."""
    found: dict[str, list[str]] = {"published": [], "consumed": []}
    sources = [run.get("session_facts", {})] + [sc.get("facts", {}) for sc in scenarios]
    for kind in found:
        for facts in sources:
            for value in facts.get(f"internal_packages_{kind}") or []:
                if value not in found[kind]:
                    found[kind].append(value)
    return found


def least_privilege(run: dict[str, Any]) -> dict[str, Any]:
    """Every environment's least-privilege record (evidence.record_least_privilege(), one per
    worker) folded into one: {"status", "environments": [...], "totals": {...}}.
    status: "recorded" (every role's use was read), "incomplete" (a role or the log could not be
    read, or the log lost decisions of the run), "not recorded live" (the target keeps no log the
    suite can read: live AWS), "not run" (no environment was torn down or kept)."""
    entries = [e for e in run.get("least_privilege", []) if isinstance(e, dict)]
    if not entries:
        return {"status": "not run", "environments": [], "totals": {}}
    recorded = [e for e in entries if e.get("recorded")]
    if not recorded:
        status = "incomplete" if any(e.get("errors") for e in entries) else "not recorded live"
    else:
        status = "incomplete" if any(e.get("errors") for e in entries) else "recorded"
    roles = [r for e in entries for r in e.get("roles", [])]

    def total(key: str) -> int | None:
        counted = [len(r[key]) for r in roles if isinstance(r.get(key), list)]
        return sum(counted) if counted else None

    totals = {"roles": len(roles), "granted": total("granted"), "used": total("used"),
              "never_used": total("never_used"), "denied": total("denied")}
    return {"status": status, "environments": entries, "totals": totals}


def notifications(evidence: dict[str, Any]) -> list[dict[str, Any]]:
    """Every notification the suite's subscriber received (drivers/notifications.py), in
    arrival order: approval notices (token removed) and execution state changes."""
    keep = ("t", "scenario", "notice", "pipeline", "subject", "stageName", "actionName", "execution_id", "state",
            "expires", "approvalReviewLink", "externalEntityLink", "customData", "token_present")
    received = [e for e in evidence.get("timeline", []) if e.get("kind") == "notification"]
    return [{k: e.get(k) for k in keep if e.get(k) is not None} for e in sorted(received, key=lambda e: e.get("t") or 0)]


def _scenario(sc: dict[str, Any], by_digest: dict[str, str]) -> dict[str, Any]:
    verdict = sc.get("verdict") or "not run"
    category = classify(sc.get("message")) if verdict not in ("passed", "skipped") else None
    start, stop = sc.get("start"), sc.get("stop")
    return {
        "nodeid": sc["nodeid"], "title": sc.get("labels", {}).get("story") or sc["nodeid"].split("::")[-1],
        "labels": sc.get("labels", {}), "requirement": sc.get("requirement"), "verdict": verdict,
        "category": category, "message": sc.get("message"), "worker": sc.get("worker"),
        "start": start, "stop": stop, "seconds": round(stop - start, 3) if start and stop else None,
        "facts": sc.get("facts", {}), "steps": sc.get("steps", []),
        "attachments": [{**a, "file": by_digest.get(a["sha256"]), "verified": a["sha256"] in by_digest}
                        for a in sc.get("attachments", [])],
    }


def build(run_dir: Path, evidence: dict[str, Any] | None = None) -> dict[str, Any]:
    run_dir = Path(run_dir)
    if evidence is None:
        evidence = json.loads((run_dir / EVIDENCE_FILE).read_text())
    run = evidence.get("run", {})
    facts = run.get("facts", {})
    files = [{"path": str(p.relative_to(run_dir)), "sha256": sha256(p), "bytes": p.stat().st_size}
             for p in evidence_files(run_dir)]
    by_digest = {f["sha256"]: f["path"] for f in files}
    raw_scenarios = sorted(evidence.get("scenarios", {}).values(), key=lambda s: s.get("start") or 0)
    scenarios = [_scenario(sc, by_digest) for sc in raw_scenarios]
    events = timeline.normalize(evidence.get("timeline", []) + timeline.traffic_from_facts(raw_scenarios))
    times = [e["t"] for e in events if e.get("t")] + [s["start"] for s in scenarios if s["start"]] + \
            [s["stop"] for s in scenarios if s["stop"]]
    started = run.get("started") or (min(times) if times else time.time())
    finished = run.get("finished") or (max(times) if times else started)
    ledger = load_ledgers(run_dir)
    meta = metadata.run_metadata(evidence.get("run_id") or run_dir.name, {**ledger_facts(run_dir), **facts},
                                 started, finished)
    estimate = cost.estimate(ledger["resources"], events, finished)
    estimate["applies"] = meta["target"] != "local"
    verdicts: dict[str, int] = {}
    for sc in scenarios:
        verdicts[sc["verdict"]] = verdicts.get(sc["verdict"], 0) + 1
    leaks = leak_check(run, run_dir)
    ok = all(sc["verdict"] in ("passed", "skipped") for sc in scenarios) and leaks["status"] in ("clean", "not run")
    return {
        "schema": "capstone-audit/1",
        "run": meta,
        "summary": {"result": "PASS" if ok and scenarios else ("FAIL" if scenarios else "NO SCENARIOS"),
                    "scenarios": len(scenarios), "verdicts": verdicts,
                    "seconds": round(finished - started, 3)},
        "scenarios": scenarios,
        "session": {"facts": run.get("session_facts", {}), "steps": run.get("steps", []),
                    "attachments": [{**a, "file": by_digest.get(a["sha256"]), "verified": a["sha256"] in by_digest}
                                    for a in run.get("attachments", [])]},
        "run_facts": {k: v for k, v in facts.items() if k != "leak_check"},
        "timeline": {"start": started, "end": finished, "events": events},
        "ledger": ledger,
        "leak_check": leaks,
        "least_privilege": least_privilege(run),
        "internal_packages": internal_packages(run, raw_scenarios),
        "notifications": notifications(evidence),
        "cost": estimate,
        "files": files,
    }


def write(run_dir: Path, audit: dict[str, Any], scrubber: Scrubber | None = None) -> dict[str, Any]:
    """audit.json + audit.html, then SHA256SUMS over every evidence file and audit.json.
    Returns the audit as written (scrubbed)."""
    scrubber = scrubber or Scrubber()
    audit = scrubber.data(audit)
    json_path = run_dir / "audit.json"
    json_path.write_text(json.dumps(audit, indent=2, default=str))
    render_html(run_dir, audit, scrubber)
    sums = [f"{sha256(p)}  {p.relative_to(run_dir)}" for p in [*evidence_files(run_dir), json_path]]
    (run_dir / SUMS_FILE).write_text("\n".join(sums) + "\n")
    return audit


def render_html(run_dir: Path, audit: dict[str, Any] | None = None, scrubber: Scrubber | None = None) -> Path:
    """(Re)render audit.html from audit.json (or the given audit) without touching the digests."""
    from capstone.evidence import page

    if audit is None:
        audit = json.loads((run_dir / "audit.json").read_text())
    if audit.get("kind") == "verify":  # a `capstone verify` run has its own page
        from capstone.verify import report as page  # noqa: F811
    html_path = run_dir / "audit.html"
    html_path.write_text((scrubber or Scrubber()).text(page.render(audit)))
    return html_path


def verify(run_dir: Path) -> list[str]:
    """Files whose content no longer matches SHA256SUMS (or that went missing)."""
    sums = Path(run_dir) / SUMS_FILE
    if not sums.exists():
        return [f"{sums} is missing"]
    problems = []
    for line in sums.read_text().splitlines():
        digest, _, name = line.partition("  ")
        path = Path(run_dir) / name
        if not path.exists():
            problems.append(f"{name}: missing")
        elif sha256(path) != digest:
            problems.append(f"{name}: changed since the report was written")
    return problems
