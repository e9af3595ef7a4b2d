"""EventBridge's door: how AWS services put their own events on a bus (CodeCommit's ref
changes, CodePipeline's state changes), and a way to wait for delivery to finish.

Delivery to targets happens on the bus's worker (bus.py), which reaches each target's service
through that service's door.
"""
from __future__ import annotations

from datetime import datetime

from localcloud.contract import Contract
from localcloud.events.bus import EventBus
from localcloud.principal import Principal


class EventsContract(Contract):
    action_prefix = "events"

    def __init__(self, authorizer, bus: EventBus):
        super().__init__(authorizer)
        self._bus = bus

    def put_service_event(self, principal: Principal, *, source: str, detail_type: str, detail: dict,
                          resources: list[str], region: str, event_bus: str = "default",
                          moment: datetime | None = None) -> dict:
        """An event an AWS service emits (`principal` is that service); returns its envelope.
        Matching happens now, delivery on the bus's worker, as on AWS."""
        account = principal.account_id
        self._authorize(principal, "PutEvents", f"arn:aws:events:{region}:{account}:event-bus/{event_bus}")
        return self._bus.publish(source=source, detail_type=detail_type, detail=detail, resources=resources,
                                 region=region, account=account, event_bus=event_bus, moment=moment)

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """True once every queued delivery has run (for tests and benchmarks)."""
        return self._bus.wait_idle(timeout)
