"""EventBridge operations localcloud answers itself: PutEvents (everything else is moto's).

PutEvents is claimed so that events put through the API reach the same delivery as events
AWS services emit (registered targets such as pipelines included). Per-entry problems are
reported in the entry, not as a request error, exactly as EventBridge does.
"""
from __future__ import annotations

import json

from localcloud.aws import RequestContext
from localcloud.events.bus import EventBus, entry_to_event
from localcloud.events.exceptions import ResourceNotFoundException


def _entry_error(entry: dict) -> tuple[str, str] | None:
    for member, label in (("Source", "Source"), ("DetailType", "DetailType"), ("Detail", "Detail")):
        if not entry.get(member):
            return "InvalidArgument", f"Parameter {label} is not valid. Reason: {label} is a required argument."
    try:
        detail = json.loads(entry["Detail"])
    except ValueError:
        return "MalformedDetail", "Detail is malformed."
    if not isinstance(detail, dict):
        return "MalformedDetail", "Detail is malformed."
    # Sources starting with "aws." are reserved for AWS services.
    if entry["Source"].startswith("aws."):
        return "NotAuthorizedForSourceException", "Not authorized for the source."
    return None


def put_events(bus: EventBus):
    def handler(params: dict, ctx: RequestContext) -> dict:
        from moto.events.exceptions import ResourceNotFoundException as MotoNotFound

        entries = params["Entries"]
        bus_names = [(e.get("EventBusName") or "default").split("/")[-1] for e in entries]
        # An unknown bus fails the whole request before anything is delivered.
        for name in dict.fromkeys(bus_names):
            try:
                bus.bus_for(ctx.account_id, ctx.region, name)
            except MotoNotFound:
                raise ResourceNotFoundException(f"Event bus {name} does not exist.") from None
        results, failed = [], 0
        for entry, bus_name in zip(entries, bus_names):
            problem = _entry_error(entry)
            if problem:
                failed += 1
                results.append({"ErrorCode": problem[0], "ErrorMessage": problem[1]})
                continue
            event = entry_to_event(entry, account=ctx.account_id, region=ctx.region)
            bus.route(event, event_bus=bus_name)
            results.append({"EventId": event["id"]})
        return {"FailedEntryCount": failed, "Entries": results}

    return handler
