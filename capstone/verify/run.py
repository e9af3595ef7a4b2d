"""One verify run: profile → discovery (read-only clients) → checks → evidence."""
from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from capstone.verify import active, checks, report
from capstone.verify.profile import Profile
from capstone.verify.readonly import ReadOnlyClients
from capstone.verify.topology import Discovery


@dataclass
class Result:
    audit: dict
    verdicts: list[checks.Verdict]
    run_dir: Path

    @property
    def passed(self) -> bool:
        return all(v.verdict != checks.FAIL for v in self.verdicts)


@dataclass(frozen=True)
class Changes:
    """--allow-changes: the active checks (active.py), on `branch` (default: the pipeline's), each
    release given `seconds` (push to end of execution)."""
    branch: str | None = None
    seconds: float = 3600.0


def verify(target, profile: Profile, run_dir: Path, progress: Callable[[str], None] = lambda m: None,
           changes: Changes | None = None) -> Result:
    started = time.time()
    clients = ReadOnlyClients(target, writes=frozenset({"PutApprovalResult"}) if changes else frozenset())
    topology = Discovery(clients, profile, progress).run()
    steps = None
    if changes is not None:
        steps = active.plan(topology, target, changes.branch)  # ActivePlanError before anything changes
        progress("--allow-changes: " + "; then ".join(steps["steps"]))
    progress(f"running {len(checks.CHECKS)} checks")
    verdicts = checks.run_all(topology)
    for v in verdicts:
        progress(f"{v.verdict.upper():>14}  {v.id}  {v.message}")
    active_record = None
    if steps is not None:
        with tempfile.TemporaryDirectory(prefix="capstone-verify-") as checkout:  # not evidence
            found, active_record = active.run(target, clients, topology, steps, Path(checkout) / "repository",
                                              seconds=changes.seconds, run_id=run_dir.name, say=progress)
        for v in found:
            progress(f"{v.verdict.upper():>14}  {v.id}  {v.message}")
        verdicts += found
    audit = report.write(run_dir, profile=profile.as_dict(), topology=topology.summary(), verdicts=verdicts,
                         read_only=clients.record(), target={"name": target.name, "region": target.region,
                                                             "endpoint_url": target.endpoint_url},
                         started=started, finished=time.time(), active=active_record)
    return Result(audit, verdicts, run_dir)
