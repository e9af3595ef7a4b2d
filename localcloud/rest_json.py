"""The rest-json protocol, server side, read off botocore's service model.

A rest-json operation is named by its HTTP method and request URI (`POST /v1/domain`); its input
members live where the model's `location` says (`uri`, `querystring`, `header`, `headers`), the
rest in a JSON body, or raw in the body when the input names a blob `payload`. Output members go
back the same way: headers, a raw payload or a JSON body. Errors carry `x-amzn-ErrorType` and a
JSON body with `message`, at the HTTP status the model gives the error shape.

Hand-written on purpose: localstack-core's standalone parser (2026.3.0) would not import without
extra packages its requirements do not name (cbor2 internals), and what localcloud needs is this
one mapping, generic over any rest-json model.
Source: botocore's model format (`http.requestUri`, `location`, `locationName`, `payload`), the
same one botocore's client-side serializer (botocore/serialize.py, RestJSONSerializer) reads.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any, Mapping
from urllib.parse import parse_qs, unquote

from botocore.model import OperationModel, ServiceModel, Shape

from localcloud.aws import dumps
from localcloud.request_body import json_object
from localcloud.exceptions import SerializationException, ValidationException


@dataclass(frozen=True)
class _Route:
    method: str
    pattern: re.Pattern
    fixed_query: tuple[str, ...]   # query keys the URI itself requires ("?tagging")
    operation: str


class RestJsonService:
    """Finds the operation of a request and reads its parameters, for one service model."""

    def __init__(self, model: ServiceModel):
        self.model = model
        self._routes: list[_Route] = []
        for name in model.operation_names:
            http = model.operation_model(name).http
            path, _, query = http["requestUri"].partition("?")
            # {label} is one path segment, {label+} the rest of the path (greedy)
            regex = re.sub(r"\\\{(\w+)\\\+\\\}", r"(?P<\1>.+)", re.escape(path))
            regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", regex)
            keys = tuple(k.split("=", 1)[0] for k in query.split("&") if k)
            self._routes.append(_Route(http["method"].upper(), re.compile(regex + "$"), keys, name))
        # the most specific URIs first: more fixed query keys, then longer literal paths
        self._routes.sort(key=lambda r: (-len(r.fixed_query), -len(r.pattern.pattern)))

    def operation_for(self, method: str, path: str, query: Mapping[str, list[str]]) -> tuple[OperationModel, dict] | None:
        """(operation model, URI labels) for the request, or None when no operation has this route."""
        for route in self._routes:
            if route.method != method.upper():
                continue
            found = route.pattern.match(path)
            if found and all(k in query for k in route.fixed_query):
                return self.model.operation_model(route.operation), {k: unquote(v) for k, v in found.groupdict().items()}
        return None

    def parse(self, operation: OperationModel, labels: Mapping[str, str], query: Mapping[str, list[str]],
              headers: Mapping[str, str], body: bytes) -> dict:
        """The operation's input as botocore would have built it from the caller's parameters."""
        shape = operation.input_shape
        if shape is None:
            return {}
        params: dict[str, Any] = {}
        payload = shape.serialization.get("payload")
        lowered = {k.lower(): v for k, v in headers.items()}
        body_members = {}
        for name, member in shape.members.items():
            where = member.serialization.get("location")
            wire = member.serialization.get("name", name)
            if where == "uri" and wire in labels:
                params[name] = _scalar(member, labels[wire], name)
            elif where == "querystring":
                if member.type_name == "list" and wire in query:
                    params[name] = [_scalar(member.member, v, name) for v in query[wire]]
                elif member.type_name == "map":
                    taken = {s.serialization.get("name") for s in shape.members.values()}
                    params[name] = {k: v[0] for k, v in query.items() if k not in taken}
                elif wire in query:
                    params[name] = _scalar(member, query[wire][0], name)
            elif where == "header" and wire.lower() in lowered:
                params[name] = _scalar(member, lowered[wire.lower()], name)
            elif where == "headers":
                prefix = wire.lower()
                found = {k[len(prefix):]: v for k, v in lowered.items() if k.startswith(prefix)}
                if found:
                    params[name] = found
            elif where is None:
                body_members[name] = member
        if payload:
            member = shape.members[payload]
            if member.type_name in ("blob", "string"):
                if body:
                    params[payload] = body if member.type_name == "blob" else body.decode("utf-8", "replace")
                return params
            parsed = json_object(body)
            if parsed:
                params[payload] = parsed
            return params
        if body_members:
            parsed = json_object(body)
            for name in body_members:
                if name in parsed:
                    params[name] = parsed[name]
            unknown = set(parsed) - set(body_members)
            if unknown:
                # AWS ignores nothing silently here either: botocore never sends these
                raise SerializationException(f"Unknown member(s) in the request body: {', '.join(sorted(unknown))}")
        return params

    def serialize(self, operation: OperationModel, result: Mapping[str, Any] | None) -> tuple[int, list[tuple[str, str]], bytes, str]:
        """(status, headers, body, content type) for an operation's output."""
        result = dict(result or {})
        status = int(operation.http.get("responseCode", 200))
        shape = operation.output_shape
        headers: list[tuple[str, str]] = []
        if shape is None:
            return status, headers, b"{}", "application/json"
        payload = shape.serialization.get("payload")
        body: dict[str, Any] = {}
        raw: bytes | None = None
        for name, member in shape.members.items():
            value = result.get(name)
            if value is None:
                continue
            where = member.serialization.get("location")
            wire = member.serialization.get("name", name)
            if where == "header":
                headers.append((wire, str(value).lower() if isinstance(value, bool) else str(value)))
            elif where == "statusCode":
                status = int(value)
            elif name == payload and member.type_name in ("blob", "string"):
                raw = value if isinstance(value, bytes) else str(value).encode()
            elif name == payload:
                body = value
            else:
                body[name] = value
        if raw is not None:
            return status, headers, raw, "application/octet-stream"
        return status, headers, dumps(body).encode(), "application/json"

    @functools.lru_cache(maxsize=None)
    def error_status(self, code: str, default: int) -> int:
        """The HTTP status the model gives error `code` (CodeArtifact's AccessDeniedException: 403)."""
        try:
            shape = self.model.shape_for(code)
        except Exception:
            return default
        return int(shape.metadata.get("error", {}).get("httpStatusCode", default))


def _scalar(shape: Shape, text: str, name: str) -> Any:
    """A URI, query or header value as its modelled type (validation checks ranges later)."""
    kind = shape.type_name
    if kind in ("integer", "long"):
        try:
            return int(text)
        except ValueError:
            raise ValidationException(f"1 validation error detected: Value '{text[:64]}' at '{name}' failed to "
                                      "satisfy constraint: Member must be a number") from None
    if kind == "boolean":
        if text.lower() not in ("true", "false"):
            raise ValidationException(f"1 validation error detected: Value '{text[:64]}' at '{name}' failed to "
                                      "satisfy constraint: Member must be a boolean")
        return text.lower() == "true"
    return text


def query_of(query_string: str) -> dict[str, list[str]]:
    return parse_qs(query_string, keep_blank_values=True)
