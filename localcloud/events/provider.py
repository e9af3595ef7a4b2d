"""localcloud's events provider (being built: see the issue that owns localcloud/events/)."""
from localcloud.provider import Provider


class EventsProvider(Provider):
    service = "events"


def create(cloud) -> EventsProvider:
    return EventsProvider(cloud)
