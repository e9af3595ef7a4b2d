"""The sweeper: find what crashed runs left (by prefix and tags, with age), list it, and delete it
only when asked (aws-nuke's rule: dry-run by default).

Resources are grouped by the environment prefix they belong to (default prefixes look like
`cap-1a2b3c` or `cap-1a2b3c-gw0`); a group's age is that of its oldest resource with a known
creation time (the capstone:created-at tag, else the service's own timestamp), so resources whose
service reports no time are still swept with their group. Deletion reuses the builders' delete
functions, dependents first, and records what it deleted in a sweep ledger under
reports/sweeps/.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Callable

from capstone import run as run_identity
from capstone.builders import builder_for
from capstone.builders.context import TAG_CREATED_AT, BuildContext
from capstone.builders.names import DEFAULT_PREFIX_ROOT, Names, PrefixError, bare_name
from capstone.leaks import COVERED_TYPES, Found, LeakReport, find
from capstone.ledger import Ledger
from capstone.target import Target

DURATION_RE = re.compile(r"^(\d+)([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
_DEFAULT_GROUP = re.compile(rf"^{DEFAULT_PREFIX_ROOT}-[0-9a-f]{{6}}(?:-gw\d+)?(?=[-/]|$)")


def parse_age(text: str) -> timedelta:
    match = DURATION_RE.match(text.strip())
    if not match:
        raise ValueError(f"--older-than must look like 30m, 6h, 2d or 0s; got {text!r}")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


def group_of(found: Found, prefix: str) -> str:
    """The environment prefix a resource belongs to."""
    for candidate in (found.tags.get("capstone:prefix"), bare_name(found.name)):
        if candidate and prefix == DEFAULT_PREFIX_ROOT:
            match = _DEFAULT_GROUP.match(candidate)
            if match:
                return match.group(0)
    return found.tags.get("capstone:prefix") or prefix


def _created(found: Found) -> datetime | None:
    for raw in (found.tags.get(TAG_CREATED_AT), found.created_at):
        if not raw:
            continue
        try:
            value = datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
        except ValueError:
            continue
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    return None


@dataclass
class Group:
    prefix: str
    resources: list[Found] = field(default_factory=list)
    created_at: datetime | None = None

    def age(self, now: datetime) -> timedelta | None:
        return (now - self.created_at) if self.created_at else None


@dataclass
class SweepPlan:
    prefix: str
    older_than: timedelta
    groups: list[Group]
    skipped: list[Group]
    report: LeakReport

    def lines(self, now: datetime | None = None) -> list[str]:
        now = now or datetime.now(timezone.utc)
        out = []
        for title, groups in (("to delete", self.groups), ("younger than the limit (kept)", self.skipped)):
            for group in groups:
                age = group.age(now)
                shown = f"{age.total_seconds() / 3600:.1f}h old" if age is not None else "age unknown"
                out.append(f"{group.prefix}: {len(group.resources)} resource(s), {shown} — {title}")
                out += [f"    {r.describe()}" for r in group.resources]
        for kind, why in self.report.unchecked.items():
            out.append(f"  ! could not list {kind}: {why}")
        return out


def plan(target: Target, prefix: str = DEFAULT_PREFIX_ROOT, older_than: timedelta = timedelta(hours=6)) -> SweepPlan:
    report = find(target, prefix)
    groups: dict[str, Group] = {}
    for found in report.leaks:
        group = groups.setdefault(group_of(found, prefix), Group(group_of(found, prefix)))
        group.resources.append(found)
        created = _created(found)
        if created and (group.created_at is None or created < group.created_at):
            group.created_at = created
    now = datetime.now(timezone.utc)
    chosen, skipped = [], []
    for group in sorted(groups.values(), key=lambda g: g.prefix):
        age = group.age(now)
        # Unknown age is swept only when no age limit is asked for: never guess a run is stale.
        (chosen if (older_than.total_seconds() == 0 or (age is not None and age >= older_than)) else skipped).append(group)
    return SweepPlan(prefix, older_than, chosen, skipped, report)


def execute(target: Target, sweep_plan: SweepPlan, progress: Callable[[str], None] = print) -> list[str]:
    """Delete every resource of the chosen groups, dependents first; returns the errors."""
    errors: list[str] = []
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    for group in sweep_plan.groups:
        try:
            names = Names.derive(group.prefix, target.account_id(), target.region)
        except PrefixError:  # a foreign name shape: deletes take names/ids from the listing anyway
            names = Names(prefix=group.prefix, account_id=target.account_id(), region=target.region)
        path = run_identity.reports_root() / "sweeps" / f"{stamp}-{group.prefix}.json"
        ledger = Ledger.create(run_id=f"sweep-{stamp}", prefix=group.prefix, target=target.name,
                               region=target.region, endpoint_url=target.endpoint_url, path=path, worker="sweep")
        ctx = BuildContext(target, names, ledger, ledger.run_id, progress=progress)
        errors += delete_found(ctx, group.resources, builder="sweep")
    return errors


def delete_found(ctx: BuildContext, found: list[Found], builder: str = "leak-check") -> list[str]:
    """Delete resources a listing found (not created from a ledger), dependents first; each is
    recorded in the ledger under `builder` before its delete. Returns the errors."""
    order = {kind: i for i, kind in enumerate(COVERED_TYPES)}
    errors = []
    for item in sorted(found, key=lambda f: order.get(f.type, len(order))):
        entry = ctx.ledger.record(item.type, item.name, builder=builder, region=item.region, **item.attrs)
        ctx.ledger.update(entry, id=item.id, arn=item.arn)
        try:
            builder_for(item.type).delete(ctx, entry)
        except Exception as exc:
            errors.append(f"{item.describe()}: {type(exc).__name__}: {str(exc)[:300]}")
            continue
        ctx.ledger.mark_deleted(entry)
        ctx.say(f"deleted {item.describe()} (found by the {builder})")
    return errors
