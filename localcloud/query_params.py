"""A query-protocol request's flat parameters (`Tags.member.1.Key=k`) as the nested input the
model describes, so that validation reads query requests as it reads JSON ones.

The mapping is botocore's query serializer (botocore/serialize.py, QuerySerializer) run
backwards: a member is named by its `locationName`; a list's items are `<Name>.member.<n>`
(`<Name>.<n>` when the list is `flattened`, the item's own locationName in place of `member`
when it has one); a map's entries `<Name>.entry.<n>.key` / `.value`; a structure's members
`<Name>.<Member>`. Scalars stay strings but for integers and booleans, which become their type
when they read as one (validation then names what does not).
"""
from __future__ import annotations

from typing import Any, Mapping

from botocore.model import Shape


def parse(shape: Shape, flat: Mapping[str, str], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, member in shape.members.items():
        key = prefix + member.serialization.get("name", name)
        value = _member(member, flat, key)
        if value is not None:
            out[name] = value
    return out


def _member(shape: Shape, flat: Mapping[str, str], key: str) -> Any:
    kind = shape.type_name
    if kind == "structure":
        if not any(k.startswith(key + ".") for k in flat):
            return None
        return parse(shape, flat, key + ".")
    if kind == "list":
        if shape.serialization.get("flattened"):
            base = key
        else:
            base = f"{key}.{shape.member.serialization.get('name', 'member')}"
        items = []
        for i in range(1, len(flat) + 2):
            item = _member(shape.member, flat, f"{base}.{i}")
            if item is None:
                break
            items.append(item)
        if items:
            return items
        return [] if key in flat else None  # botocore sends `Name=` for an empty list
    if kind == "map":
        base = key if shape.serialization.get("flattened") else f"{key}.entry"
        key_name = shape.key.serialization.get("name", "key")
        value_name = shape.value.serialization.get("name", "value")
        entries: dict[str, Any] = {}
        for i in range(1, len(flat) + 2):
            entry_key = flat.get(f"{base}.{i}.{key_name}")
            if entry_key is None:
                break
            entries[entry_key] = _member(shape.value, flat, f"{base}.{i}.{value_name}")
        return entries or None
    raw = flat.get(key)
    if raw is None:
        return None
    if kind in ("integer", "long"):
        try:
            return int(raw)
        except ValueError:
            return raw
    if kind == "boolean" and raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    if kind in ("float", "double"):
        try:
            return float(raw)
        except ValueError:
            return raw
    return raw
