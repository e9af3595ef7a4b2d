"""What every builder gets: the target, the names, the ledger, the run's tags, and the outputs
earlier builders produced (role ARNs, subnet ids, the target group ARN...)."""
from __future__ import annotations

import getpass
from dataclasses import dataclass, field
from typing import Any, Callable

from capstone.builders.names import Names
from capstone.ledger import Ledger, now_iso
from capstone.retry import IAM_PROPAGATION_TIMEOUT, call_with_fresh_iam
from capstone.target import Target

TAG_RUN_ID = "capstone:run-id"
TAG_PREFIX = "capstone:prefix"
TAG_CREATOR = "capstone:creator"
TAG_CREATED_AT = "capstone:created-at"


def _creator() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user name in a container: still tag something
        return "unknown"


@dataclass
class BuildContext:
    target: Target
    names: Names
    ledger: Ledger
    run_id: str
    outputs: dict[str, Any] = field(default_factory=dict)
    progress: Callable[[str], None] = print
    tags: dict[str, str] = field(default_factory=dict)
    #: how long a service may refuse a role or instance profile the iam builder just made
    #: (the environment sets it from its Pace; AWS's figure otherwise)
    iam_propagation_timeout: float = IAM_PROPAGATION_TIMEOUT

    def __post_init__(self) -> None:
        if not self.tags:
            self.tags = {TAG_RUN_ID: self.run_id, TAG_PREFIX: self.names.prefix,
                         TAG_CREATOR: _creator(), TAG_CREATED_AT: now_iso()}

    def client(self, service: str):
        return self.target.client(service)

    def record(self, type_: str, name: str, *, builder: str, **attrs: Any) -> dict:
        """Write the ledger entry BEFORE the create call."""
        return self.ledger.record(type_, name, builder=builder, region=self.target.region, **attrs)

    def created(self, entry: dict, **fields: Any) -> None:
        self.ledger.update(entry, **fields)

    def hand_over_fresh_iam(self, fn, *args, what: str, **kwargs):
        """Call `fn`, which hands a service a role or instance profile made by this run's iam
        builder: retried while the service cannot see it yet (capstone.retry.call_with_fresh_iam)."""
        return call_with_fresh_iam(fn, *args, what=what, bound=self.iam_propagation_timeout, progress=self.say,
                                   **kwargs)

    def say(self, message: str) -> None:
        try:
            self.progress(message)
        except Exception:  # progress is for people; it must never stop a teardown
            pass

    # AWS spells tags three ways.
    def tag_list(self) -> list[dict[str, str]]:
        return [{"Key": k, "Value": v} for k, v in self.tags.items()]

    def tag_list_lower(self) -> list[dict[str, str]]:
        return [{"key": k, "value": v} for k, v in self.tags.items()]

    def tag_map(self) -> dict[str, str]:
        return dict(self.tags)
