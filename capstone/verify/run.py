"""One verify run: profile → discovery (read-only clients) → checks → evidence."""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from capstone.verify import checks, report
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


def verify(target, profile: Profile, run_dir: Path, progress: Callable[[str], None] = lambda m: None) -> Result:
    started = time.time()
    clients = ReadOnlyClients(target)
    topology = Discovery(clients, profile, progress).run()
    progress(f"running {len(checks.CHECKS)} checks")
    verdicts = checks.run_all(topology)
    for v in verdicts:
        progress(f"{v.verdict.upper():>14}  {v.id}  {v.message}")
    audit = report.write(run_dir, profile=profile.as_dict(), topology=topology.summary(), verdicts=verdicts,
                         read_only=clients.record(), target={"name": target.name, "region": target.region,
                                                             "endpoint_url": target.endpoint_url},
                         started=started, finished=time.time())
    return Result(audit, verdicts, run_dir)
