"""Read-only by structure: every client verify uses refuses a mutating operation before it is sent.

botocore emits `before-call.<service>.<Operation>` for each API call; the handler registered
here raises MutatingCallRefused unless the operation's name says it only reads (Get..., List...,
Describe..., BatchGet...). A check that tries to change anything therefore fails in verify's
own process, and no request reaches AWS. (Offline, tests also prove it from localcloud's
authorization log: every decision recorded for verify's identity is a read.)
"""
from __future__ import annotations

from botocore.config import Config

READ_PREFIXES = ("Get", "List", "Describe", "BatchGet")


class MutatingCallRefused(RuntimeError):
    """verify tried to make a call that is not a read."""


def is_read(operation: str) -> bool:
    return operation.startswith(READ_PREFIXES)


def guard(client, record=None, writes: frozenset = frozenset()):
    """`client`, made to refuse every operation that is not a read (returned for chaining), but
    for the operations named in `writes` ("Operation"). `record(service, operation, refused)`
    hears of every call, before it is sent."""
    def refuse(model, **_):
        service = model.service_model.service_name
        allowed = is_read(model.name) or model.name in writes
        if record is not None:
            record(service, model.name, not allowed)
        if not allowed:
            raise MutatingCallRefused(f"capstone verify is read-only and refused {service}:{model.name}")
    client.meta.events.register("before-call.*.*", refuse, unique_id="capstone-verify-read-only")
    return client


class ReadOnlyClients:
    """client(service) for verify: the target's boto3 clients, each guarded."""

    def __init__(self, target, writes: frozenset = frozenset()):
        self.target = target
        #: the operations allowed beyond reads ({"PutApprovalResult"} with --allow-changes)
        self.writes = frozenset(writes)
        self._clients: dict[str, object] = {}
        #: "service:Operation" -> calls made; and the calls refused, in order
        self.operations: dict[str, int] = {}
        self.refused: list[str] = []

    def _record(self, service: str, operation: str, refused: bool) -> None:
        name = f"{service}:{operation}"
        if refused:
            self.refused.append(name)
        else:
            self.operations[name] = self.operations.get(name, 0) + 1

    def record(self) -> dict:
        made = dict(sorted(self.operations.items()))
        return {"operations": {k: v for k, v in made.items() if is_read(k.split(":", 1)[1])},
                "writes": {k: v for k, v in made.items() if not is_read(k.split(":", 1)[1])},
                "refused": list(self.refused),
                "rule": f"only operations named {', '.join(p + '...' for p in READ_PREFIXES)} are sent"
                        + (f", and {', '.join(sorted(self.writes))} (--allow-changes)" if self.writes else "")}

    def __call__(self, service: str):
        if service not in self._clients:
            # a new client, not the target's cached one: the guard must not leak into other users
            client = self.target.session.client(
                service, endpoint_url=self.target.endpoint_url, region_name=self.target.region,
                config=Config(retries={"max_attempts": 5, "mode": "standard"}, connect_timeout=10, read_timeout=60))
            self._clients[service] = guard(client, self._record, self.writes)
        return self._clients[service]
