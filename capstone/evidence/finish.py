"""Close a run's evidence: write the merged evidence, the Allure side files, scrub every file of the
run directory, then the audit report and its digests. Called once per run by the controlling
pytest process (after every xdist worker has finished) and by `capstone report --rebuild`."""
from __future__ import annotations

import hashlib
import json
import time
import uuid
from pathlib import Path
from typing import Any

from capstone.evidence import audit, categories, metadata
from capstone.evidence.scrub import Scrubber

ALLURE_RESULTS = "allure-results"


def is_ledger(path: Path) -> bool:
    return path.name.startswith("ledger") and path.suffix == ".json"


def write_allure_files(results: Path, meta: dict[str, Any], env: dict[str, str] | None = None) -> None:
    results.mkdir(parents=True, exist_ok=True)
    (results / "environment.properties").write_text(metadata.environment_properties(meta))
    (results / "categories.json").write_text(json.dumps(categories.allure_categories(), indent=2))
    executor = metadata.executor(env)
    if executor:
        (results / "executor.json").write_text(json.dumps(executor, indent=2))


ENV_STATUS = {"clean": "passed", "leaks": "failed", "incomplete": "broken", "not run": "skipped"}


def write_environment_result(results: Path, run_dir: Path, run: dict[str, Any], scrubber: Scrubber) -> None:
    """The environment's ledger and leak check as one Allure result, so the Allure report carries
    them too: passed when nothing leaked, failed on leaks, broken when a type could not be listed."""
    ledger = audit.load_ledgers(run_dir)
    leaks = audit.leak_check(run, run_dir)
    if not ledger["resources"] and leaks["status"] == "not run":
        return
    now = int((run.get("finished") or time.time()) * 1000)
    attachments = []
    for name, body in (("ledger", ledger), ("leak check", leaks)):
        source = f"{uuid.uuid4()}-attachment.json"
        (results / source).write_text(json.dumps(scrubber.data(body), indent=2, default=str))
        attachments.append({"name": name, "source": source, "type": "application/json"})
    left = [r for r in ledger["resources"] if not r.get("deleted_at")]
    message = (f"leak check: {leaks['status']}; ledger: {len(ledger['resources'])} resource(s), "
               f"{len(left)} not marked deleted")
    result_uuid = str(uuid.uuid4())
    (results / f"{result_uuid}-result.json").write_text(json.dumps({
        "uuid": result_uuid, "historyId": hashlib.md5(b"capstone-environment").hexdigest(),
        "name": "environment: ledger and leak check", "fullName": "capstone.environment#ledger_and_leak_check",
        "status": ENV_STATUS[leaks["status"]], "statusDetails": {"message": scrubber.text(message)},
        "stage": "finished", "start": int((run.get("started") or now / 1000) * 1000), "stop": now,
        "description": "Everything the run created is in the ledger with its created/deleted times; the leak "
                       "check MUST find nothing of the run's prefix or tags left in any service.",
        "labels": [{"name": "epic", "value": "AWS CI/CD pipeline conformance"},
                   {"name": "feature", "value": "Environment"}, {"name": "story", "value": "Nothing leaks"},
                   {"name": "severity", "value": "critical"}, {"name": "suite", "value": "environment"}],
        "attachments": attachments}, indent=2))


def finish(run_dir: Path, evidence: dict[str, Any], scrubber: Scrubber,
           allure_results: Path | None = None, extra_files: list[Path] = ()) -> dict[str, Any]:
    """Returns the audit (as written to audit.json). extra_files: reports written elsewhere
    (--junitxml PATH) that get the same scrubbing."""
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    evidence = scrubber.data(evidence)
    (run_dir / audit.EVIDENCE_FILE).write_text(json.dumps(evidence, indent=2, default=str))
    run = evidence.get("run", {})
    meta = metadata.run_metadata(evidence.get("run_id") or run_dir.name, run.get("facts", {}),
                                 run.get("started"), run.get("finished"))
    results = allure_results or run_dir / ALLURE_RESULTS
    if results.is_dir() or allure_results is None:
        write_allure_files(results, meta)
        write_environment_result(results, run_dir, run, scrubber)
    # Last line of defence: captured stdout/stderr in Allure attachments and JUnit system-out
    # may carry what no caller meant to record. The ledgers are spared: they are the
    # environment's working state (`capstone down --run-id` deletes by the ARNs in them); the
    # audit carries a scrubbed copy, and CI uploads the audit, not the raw ledgers.
    scrubber.tree(run_dir, keep=is_ledger)
    if results.is_dir() and run_dir not in results.parents:
        scrubber.tree(results)
    for path in extra_files:
        scrubber.file(Path(path))
    return audit.write(run_dir, audit.build(run_dir, evidence), scrubber)
