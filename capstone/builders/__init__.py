"""One AWS concept per module, `create(ctx)` and `delete(ctx, record)` side by side.

ORDER is the creation order (each builder may use what earlier ones put in ctx.outputs);
teardown replays the ledger in reverse, so it follows the reverse of this order.
"""
from __future__ import annotations

from types import ModuleType

from capstone.builders import (
    alarm, artifacts, build, codeartifact, deploy, fleet, iam, loadbalancer, network, notifications, pipeline,
    repository, secrets, trigger,
)

# codeartifact before repository: the pipeline's first run installs the package it publishes
ORDER: tuple[ModuleType, ...] = (
    iam, artifacts, secrets, codeartifact, repository, build, network, loadbalancer, alarm, fleet, deploy, trigger, notifications,
    pipeline,
)
BY_NAME = {m.NAME: m for m in ORDER}
BY_TYPE = {t: m for m in ORDER for t in m.TYPES}


def builder_for(resource_type: str) -> ModuleType:
    try:
        return BY_TYPE[resource_type]
    except KeyError:
        raise KeyError(f"no builder deletes resources of type {resource_type!r}") from None
