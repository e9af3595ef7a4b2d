"""localcloud's EventBridge provider: event delivery (see bus.py); rules and targets stay moto's.

In-process contract for other providers:
    cloud.provider("events").publish(source=..., detail_type=..., detail=..., resources=[...],
                                     region=..., account=None) -> the full event envelope
    cloud.provider("events").register_target("arn:aws:codepipeline:", deliver)
        deliver(event, target, rule, region) runs on the delivery thread for every matched
        target whose Arn starts with the prefix.
"""
from __future__ import annotations

from datetime import datetime

from localcloud.events.api import put_events
from localcloud.events.bus import Deliver, EventBus
from localcloud.provider import Provider


class EventsProvider(Provider):
    service = "events"

    def __init__(self, cloud):
        super().__init__(cloud)
        self.bus = EventBus(default_account=cloud.account_id)

    def operations(self):
        return {"PutEvents": put_events(self.bus)}

    # -- in-process contract ------------------------------------------------------------------
    def publish(self, *, source: str, detail_type: str, detail: dict, resources: list[str],
                region: str, account: str | None = None, event_bus: str = "default",
                moment: datetime | None = None) -> dict:
        return self.bus.publish(source=source, detail_type=detail_type, detail=detail, resources=resources,
                                region=region, account=account, event_bus=event_bus, moment=moment)

    def register_target(self, arn_prefix: str, deliver: Deliver) -> None:
        self.bus.register_target(arn_prefix, deliver)

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """True once every queued delivery has run (for tests and benchmarks)."""
        return self.bus.wait_idle(timeout)

    # -- lifecycle ----------------------------------------------------------------------------
    def reset(self) -> None:
        # Registered targets are wiring between providers, not AWS state: they survive a reset.
        self.bus.drain()

    def stop(self) -> None:
        self.bus.stop()


def create(cloud) -> EventsProvider:
    return EventsProvider(cloud)
