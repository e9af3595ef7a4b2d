"""The pipeline's first run, as an operator takes it to the baseline: CreatePipeline starts it,
the operator approves it, it deploys, and the ALB serves the baseline version.

capstone/environment.py calls this once the builders have made everything; it is driver logic
(watch, approve, GET) and so lives with the drivers, not with the builders.
"""
from __future__ import annotations

from typing import Callable

from capstone.drivers.approve import Approver
from capstone.drivers.watch import PipelineWatcher, execution_is
from capstone.retry import wait_until


def reach(codepipeline, names, commit: str | None, version: str, served_version: Callable[[], str | None], *,
          run_limit: float, alb_limit: float, log: Callable[[str], None], alb: str = "the ALB") -> None:
    """Approve the first run of `names.pipeline` (the one for `commit`), wait for it to succeed,
    then for `served_version()` to be `version`. Raises WaitTimeout on the way if it does not."""
    watcher = PipelineWatcher.for_commit(codepipeline, names.pipeline, commit, run_limit, log=log)
    Approver(codepipeline, names.pipeline, names.approval_stage, names.approval_action, log=log).approve(
        watcher, f"capstone baseline: release {version}", run_limit)
    watcher.wait_for(execution_is("Succeeded"), run_limit, what="the baseline run to succeed")
    wait_for_version(served_version, version, alb_limit, alb=alb, log=log)


def wait_for_version(served_version: Callable[[], str | None], version: str, timeout: float, *,
                     alb: str = "the ALB", log: Callable[[str], None]) -> None:
    wait_until(lambda: ((seen := served_version()) == version, seen), timeout=timeout,
               what=f"{alb} to serve {version}", progress=lambda seen: log(f"ALB serves {seen or 'no version'}"))
