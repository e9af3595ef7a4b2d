"""How a blue/green deployment reroutes traffic to the replacement instances, by deployment
configuration (CodeDeploy User Guide, "Deployment configurations on an EC2/On-Premises compute
platform", and "Instance health"):

    AllAtOnce     all replacement instances at once; succeeds if rerouting to at least one succeeds
    HalfAtATime   up to half at a time (rounded down); succeeds if rerouting to at least half
                  (rounded up) succeeds, else fails
    OneAtATime    one at a time; fails at the first failure, except that the last instance failing
                  still succeeds
    custom        minimum healthy hosts of the replacement environment: as many at a time as keeps
                  that many possible; fails as soon as it can no longer be reached

https://docs.aws.amazon.com/codedeploy/latest/userguide/deployment-configurations.html
https://docs.aws.amazon.com/codedeploy/latest/userguide/instances-health.html
"""
from __future__ import annotations

from typing import Callable, Sequence, TypeVar

T = TypeVar("T")


class RerouteFailed(Exception):
    """Not enough replacement instances took traffic for the deployment configuration."""


def batches(kind: str, total: int, min_healthy: int) -> int:
    """How many replacement instances take traffic at once."""
    if kind == "MOST_CONCURRENCY":  # OneAtATime
        return 1
    return max(1, total - min_healthy)


def reroute(targets: Sequence[T], work: Callable[[Sequence[T]], list[bool]], kind: str, min_healthy: int,
            check: Callable[[], None] = lambda: None) -> list[bool]:
    """Reroute to `targets` in the configuration's batches; `work(batch)` reroutes one batch and
    returns whether each succeeded. Raises RerouteFailed by AWS's rule; returns the results of the
    targets attempted (those never attempted are left out: the deployment ended first)."""
    total = len(targets)
    size = batches(kind, total, min_healthy)
    needed = max(1, min_healthy) if kind != "MOST_CONCURRENCY" else total - 1
    results: list[bool] = []
    for start in range(0, total, size):
        check()
        batch = targets[start:start + size]
        outcome = work(batch)
        results += outcome
        if kind == "MOST_CONCURRENCY":
            if not all(outcome) and start + size < total:
                raise RerouteFailed(f"rerouting to instance {start + 1} of {total} failed (OneAtATime)")
            continue
        if (total - results.count(False)) < needed:
            raise RerouteFailed(f"{results.count(False)} of {total} replacement instances failed to take traffic; "
                                f"at least {needed} must")
    if results.count(True) < max(1, needed):
        raise RerouteFailed(f"{results.count(True)} of {total} replacement instances took traffic; at least "
                            f"{max(1, needed)} must")
    return results
