"""What a target receives: the event itself, or its `Input`, `InputPath` or `InputTransformer`.

EventBridge semantics (PutTargets docs): with none of the three the target gets the whole event
as JSON; `Input` is sent verbatim; `InputPath` selects part of the event with JSONPath;
`InputTransformer` fills `<name>` placeholders of `InputTemplate` from `InputPathsMap`, plus the
reserved `aws.events.*` variables. Inside a JSON template a string value goes in without quotes
of its own (the template supplies them), an object or list as JSON.
"""
from __future__ import annotations

import json
import re
import time
from typing import Any

_PLACEHOLDER = re.compile(r"<([A-Za-z0-9_.\-]+)>")


def _select(event: dict, path: str) -> Any:
    from jsonpath_ng.ext import parse

    matches = parse(path).find(event)
    return matches[0].value if matches else None


def _as_text(value: Any, in_json: bool) -> str:
    if isinstance(value, str):
        # json.dumps escapes quotes/backslashes; strip its outer quotes: the template has its own
        return json.dumps(value)[1:-1] if in_json else value
    if value is None:
        return "null"
    return json.dumps(value)


def render_input(event: dict, target: dict, *, rule_name: str, rule_arn: str) -> str:
    """The body the target is invoked with, as text."""
    if target.get("Input") is not None:
        return target["Input"]
    if target.get("InputPath"):
        return json.dumps(_select(event, target["InputPath"]))
    transformer = target.get("InputTransformer")
    if not transformer:
        return json.dumps(event)
    values: dict[str, Any] = {
        name: _select(event, path) for name, path in (transformer.get("InputPathsMap") or {}).items()
    }
    values.update({
        "aws.events.rule-arn": rule_arn,
        "aws.events.rule-name": rule_name,
        "aws.events.event.ingestion-time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "aws.events.event": event,
        "aws.events.event.json": event,
    })
    template = transformer.get("InputTemplate") or ""
    in_json = template.lstrip().startswith(("{", "["))

    def fill(match: re.Match) -> str:
        name = match.group(1)
        if name not in values:
            return match.group(0)  # not a variable: left as written, as EventBridge does
        return _as_text(values[name], in_json)

    return _PLACEHOLDER.sub(fill, template)
