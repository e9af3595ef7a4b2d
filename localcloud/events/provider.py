"""localcloud's EventBridge provider: event delivery (see bus.py); rules and targets stay moto's.

Other services put events through its door (contract.py); the bus delivers to each target
through the target service's door.
"""
from __future__ import annotations

from localcloud.events.api import put_events
from localcloud.events.bus import EventBus
from localcloud.events import target_rules
from localcloud.events.contract import EventsContract
from localcloud.provider import Provider


class EventsProvider(Provider):
    service = "events"

    def __init__(self, cloud):
        super().__init__(cloud)
        target_rules.install()  # PutTargets' parameter rules, on moto's model
        self.bus = EventBus(default_account=cloud.account_id, services=lambda: cloud.services, clock=cloud.clock)
        self.contract = EventsContract(cloud.authorizer, self.bus)

    def operations(self):
        return {"PutEvents": put_events(self.bus)}

    # -- lifecycle ----------------------------------------------------------------------------
    def quiesce(self) -> None:
        # first of all providers: a delivery in flight could start work in a provider that is
        # being reset, or land in moto's fresh state
        self.bus.close()

    def reset(self) -> None:
        self.bus.drain()  # whatever the other providers published while they stopped

    def resume(self) -> None:
        self.bus.open()

    def stop(self) -> None:
        self.bus.stop()


def create(cloud) -> EventsProvider:
    return EventsProvider(cloud)
