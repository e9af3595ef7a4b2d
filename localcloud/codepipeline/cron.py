"""The DeploymentWindow rule's cron: Quartz-style, 6 fields plus an optional year
(seconds minutes hours day-of-month month day-of-week [year]), as the AWS CodePipeline User Guide's
rule reference ("DeploymentWindow") shows with `0 0 9-17 ? * MON-FRI *`.

Hand-written rather than a library: none is pinned in requirements.lock, and the well-kept Python
cron libraries (croniter and kin) read Unix 5-field expressions, not Quartz's `?`, its day-of-week
numbering (1 = SUN) or its year field. What is matched: `*`, `?`, values, names (JAN-DEC, SUN-SAT),
ranges, lists and `/` steps. Quartz's `L`, `W` and `#` are refused with a clear error rather than
guessed at.

The window is open during every minute the expression selects. The seconds field is only
checked for syntax: a window is a span of time, and AWS's own example (`0 0 9-17 ...`,
"9 AM to 5 PM") reads minutes and seconds of 0 as "the whole hour", so a single 0 in the minutes
field selects the whole hour too (UNCONFIRMED, docs/codepipeline-conditions.md).
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

MONTHS = {m: i + 1 for i, m in enumerate("JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split())}
DAYS = {d: i + 1 for i, d in enumerate("SUN MON TUE WED THU FRI SAT".split())}   # Quartz: 1 = SUN
# (name, low, high, names)
FIELDS = [("seconds", 0, 59, {}), ("minutes", 0, 59, {}), ("hours", 0, 23, {}), ("day-of-month", 1, 31, {}),
          ("month", 1, 12, MONTHS), ("day-of-week", 1, 7, DAYS), ("year", 1970, 2199, {})]
# Abbreviations AWS's rule reference accepts beside Region/City names and UTC offsets
ABBREVIATIONS = {"UTC": 0, "GMT": 0, "PST": -8, "PDT": -7, "MST": -7, "MDT": -6, "CST": -6, "CDT": -5,
                 "EST": -5, "EDT": -4, "CET": 1, "CEST": 2, "IST": 5.5, "JST": 9, "AEST": 10}
OFFSET = re.compile(r"^UTC([+-])(\d{2}):(\d{2})$")


class CronError(ValueError):
    pass


def _value(text: str, low: int, high: int, names: dict, field: str) -> int:
    key = text.upper()
    if key in names:
        return names[key]
    if not text.isdigit():
        if "L" in key or "W" in key:
            raise CronError(f"the {field} field uses L or W, which localcloud does not evaluate")
        raise CronError(f"'{text}' is not a valid value in the {field} field")
    value = int(text)
    if not low <= value <= high:
        raise CronError(f"{value} is out of range {low}-{high} in the {field} field")
    return value


def _field(text: str, low: int, high: int, names: dict, field: str) -> set[int] | None:
    """The values a field selects; None for `*` or `?` (every value)."""
    if text in ("*", "?"):
        return None
    if "#" in text:
        raise CronError(f"the {field} field uses #, which localcloud does not evaluate")
    out: set[int] = set()
    for part in text.split(","):
        step = 1
        if "/" in part:
            part, step_text = part.split("/", 1)
            if not step_text.isdigit() or int(step_text) < 1:
                raise CronError(f"'{step_text}' is not a valid step in the {field} field")
            step = int(step_text)
        if part in ("*", "?"):
            start, end = low, high
        elif "-" in part:
            a, b = part.split("-", 1)
            start, end = _value(a, low, high, names, field), _value(b, low, high, names, field)
            if start > end:
                raise CronError(f"the range {part} in the {field} field runs backwards")
        else:
            start = _value(part, low, high, names, field)
            end = high if step > 1 else start
        out.update(range(start, end + 1, step))
    return out


class Cron:
    def __init__(self, expression: str):
        parts = expression.split()
        if len(parts) not in (6, 7):
            raise CronError(f"the cron expression '{expression}' has {len(parts)} fields; it needs 6 "
                            "(seconds minutes hours day-of-month month day-of-week) and an optional year")
        parts += ["*"] * (7 - len(parts))
        self.sets = [_field(p, lo, hi, names, name) for p, (name, lo, hi, names) in zip(parts, FIELDS)]
        if (parts[3] == "?") == (parts[5] == "?"):
            raise CronError("exactly one of day-of-month and day-of-week must be '?' (Quartz cron)")
        if self.sets[1] == {0}:
            self.sets[1] = None    # minutes 0: the whole hour (see the module doc)

    def matches(self, moment: datetime) -> bool:
        dow = (moment.isoweekday() % 7) + 1     # Quartz: SUN=1 ... SAT=7
        values = [None, moment.minute, moment.hour, moment.day, moment.month, dow, moment.year]
        return all(s is None or v is None or v in s for s, v in zip(self.sets, values))


def zone(name: str | None):
    """The rule's TimeZone: a Region/City name, `UTC+HH:MM`, or an abbreviation; UTC by default."""
    if not name:
        return timezone.utc
    if name.upper() in ABBREVIATIONS:
        return timezone(timedelta(hours=ABBREVIATIONS[name.upper()]))
    match = OFFSET.match(name)
    if match:
        sign, hours, minutes = match.groups()
        delta = timedelta(hours=int(hours), minutes=int(minutes))
        return timezone(delta if sign == "+" else -delta)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise CronError(f"'{name}' is not a valid TimeZone: use a Region/City name, UTC+HH:MM or an abbreviation") from None


def window_open(expression: str, time_zone: str | None, moment: datetime) -> bool:
    return Cron(expression).matches(moment.astimezone(zone(time_zone)))
