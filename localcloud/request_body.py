"""Reading a request's body within limits, before anyone parses it.

A request that cannot be read as sent is refused with a 4xx in its protocol's shape, never a 500
(which botocore retries) and never half-read:

- **Content-Length** must be a non-negative integer, and the body as long as it says.
- **Size.** A body over the protocol's limit is refused with 413 from its Content-Length alone,
  before it is read. AWS documents limits per operation, not per protocol; these caps sit above
  every documented one a client of these services meets, so that nothing AWS accepts is refused:
  JSON and rest-json 10 MiB (CodeCommit's PutFile carries a 6 MB file, base64, about 8 MiB:
  https://docs.aws.amazon.com/codecommit/latest/userguide/limits.html), query 2 MiB
  (CloudWatch's PutMetricData is limited to 1 MB:
  https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_limits.html). S3
  (rest-xml) is not capped here: a single PUT may carry 5 GB.
- **JSON** must be an object nested at most `MAX_JSON_DEPTH` deep (a localcloud choice: AWS
  documents no depth; Python's parser would fail on a deep one with a RecursionError, a 500).
"""
from __future__ import annotations

import io
import json
from typing import Any

from localcloud.exceptions import (
    AWSError,
    MalformedQueryString,
    RequestEntityTooLargeException,
    SerializationException,
)

MiB = 1024 * 1024
LIMITS = {"json": 10 * MiB, "rest-json": 10 * MiB, "query": 2 * MiB, "ec2": 2 * MiB}
MAX_JSON_DEPTH = 64


def _unreadable(protocol: str, message: str) -> AWSError:
    if protocol in ("query", "ec2"):
        return MalformedQueryString(message)
    if protocol == "rest-xml":
        return AWSError("InvalidArgument", message, 400)
    return SerializationException(message)


def declared_length(environ, protocol: str) -> int | None:
    """The request's Content-Length, or None when it sends none (chunked)."""
    raw = environ.get("CONTENT_LENGTH")
    if raw in (None, ""):
        return None
    try:
        length = int(raw)
    except ValueError:
        length = -1
    if length < 0:
        raise _unreadable(protocol, f"Content-Length {str(raw)[:32]!r} is not a non-negative integer")
    return length


def read(environ, protocol: str) -> bytes:
    """The whole body, within the protocol's limit; put back for moto, which may read it again."""
    limit = LIMITS.get(protocol)
    length = declared_length(environ, protocol)
    if limit is not None and length is not None and length > limit:
        raise RequestEntityTooLargeException(f"Request size {length} bytes exceeds the limit of {limit} bytes")
    stream = environ["wsgi.input"]
    if length is not None:
        body = stream.read(length) if length else b""
        if len(body) < length:
            raise _unreadable(protocol, f"The body ended after {len(body)} of the {length} bytes its Content-Length declares")
    else:
        body = stream.read() if limit is None else stream.read(limit + 1)
        if limit is not None and len(body) > limit:
            raise RequestEntityTooLargeException(f"Request size exceeds the limit of {limit} bytes")
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    return body


def json_object(body: bytes) -> dict[str, Any]:
    """A JSON 1.1 body as a dict: empty is `{}`; anything but an object, or nested deeper than
    MAX_JSON_DEPTH, is a SerializationException."""
    if not body or not body.strip():
        return {}
    # a byte-by-byte scan costs about 0.1 s a MiB: only bodies with enough brackets need one
    brackets = body.count(b"{") + body.count(b"[")
    if brackets > MAX_JSON_DEPTH and _depth(body) > MAX_JSON_DEPTH:
        raise SerializationException(f"The request body is nested deeper than {MAX_JSON_DEPTH} levels")
    try:
        parsed = json.loads(body)
    except (ValueError, RecursionError):
        raise SerializationException("Start of structure or map found where not expected: the request body is "
                                     "not valid JSON") from None
    if not isinstance(parsed, dict):
        raise SerializationException("The request body must be a JSON object")
    return parsed


def _depth(body: bytes) -> int:
    """The deepest nesting of objects and arrays, brackets inside strings not counted."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:      # backslash
                escaped = True
            elif byte == 0x22:      # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x7B, 0x5B):  # { [
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x7D, 0x5D):  # } ]
            depth -= 1
    return deepest
