"""AWS wire conventions shared by every provider: errors, request context, JSON encoding.

Providers raise typed errors (subclasses of `localcloud.exceptions.ServiceError`); the router
turns each into the response its protocol expects with `error_response`.
"""
from __future__ import annotations

import base64
import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any
from xml.sax.saxutils import escape

from localcloud.exceptions import AWSError

DEFAULT_ACCOUNT_ID = "123456789012"
DEFAULT_REGION = "us-east-1"


def validation_error(message: str) -> AWSError:
    return AWSError("ValidationException", message, 400)


@dataclass
class RequestContext:
    service: str
    operation: str
    region: str = DEFAULT_REGION
    account_id: str = DEFAULT_ACCOUNT_ID
    access_key: str | None = None
    endpoint_url: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    #: who signed the request (localcloud.principal.Principal): an IAM user or a role session
    #: its credentials belong to, else the account's root. The router fills it in.
    principal: Any = None

    @property
    def caller_arn(self) -> str:
        return self.principal.arn if self.principal is not None else f"arn:aws:iam::{self.account_id}:root"


def epoch(value: datetime) -> float:
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return round(value.timestamp(), 3)


def _default(obj: Any) -> Any:
    if isinstance(obj, datetime):
        return epoch(obj)
    if isinstance(obj, date):
        return epoch(datetime(obj.year, obj.month, obj.day, tzinfo=timezone.utc))
    if isinstance(obj, (bytes, bytearray)):
        return base64.b64encode(bytes(obj)).decode("ascii")
    if isinstance(obj, (set, frozenset, tuple)):
        return list(obj)
    raise TypeError(f"cannot encode {type(obj).__name__} as JSON")


def dumps(payload: Any) -> str:
    """JSON 1.1 body: timestamps as epoch seconds, blobs as base64 (as AWS sends them)."""
    return json.dumps(_drop_none(payload), default=_default, separators=(",", ":"))


def _drop_none(value: Any) -> Any:
    # AWS omits absent members rather than sending null.
    if isinstance(value, dict):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_none(v) for v in value]
    return value


def json_error_body(err: AWSError) -> str:
    return json.dumps({"__type": err.code, "message": err.message})


# Characters XML 1.0 cannot carry even as references (C0 controls but tab, CR, LF; surrogates;
# U+FFFE/U+FFFF): a message echoing one would be a document no client parses.
NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: str) -> str:
    """`text` as XML character data: escaped, characters XML cannot carry as U+FFFD."""
    return escape(NOT_XML.sub("\ufffd", text))


def query_error_body(err: AWSError, request_id: str) -> str:
    sender = "Sender" if err.status < 500 else "Receiver"
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        "<ErrorResponse><Error>"
        f"<Type>{sender}</Type><Code>{xml_text(err.code)}</Code><Message>{xml_text(err.message)}</Message>"
        f"</Error><RequestId>{request_id}</RequestId></ErrorResponse>"
    )


def error_response(protocol: str, err: AWSError, request_id: str) -> tuple[int, bytes, str, list[tuple[str, str]]]:
    """(status, body, content type, headers) of an error in the shape `protocol`'s clients parse
    (botocore/parsers.py reads each): the one place an error answer is rendered.

    - json: `{"__type", "message"}`, and `x-amzn-ErrorType`, which botocore reads first;
    - rest-json: `{"message", <the error's modelled members>}` and `x-amzn-ErrorType`;
    - query: `<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/>`;
    - ec2: `<Response><Errors><Error><Code/><Message/></Error></Errors><RequestID/>`;
    - rest-xml (S3): `<Error><Code/><Message/><RequestId/></Error>`.
    """
    headers = [("x-amzn-RequestId", request_id)]
    if protocol == "json":
        return (err.status, json_error_body(err).encode(), "application/x-amz-json-1.1",
                headers + [("x-amzn-ErrorType", err.code)])
    if protocol == "rest-json":
        body = json.dumps({"message": err.message, **getattr(err, "members", {})}).encode()
        return err.status, body, "application/json", headers + [("x-amzn-ErrorType", err.code)]
    if protocol == "ec2":
        body = ('<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error>'
                f"<Code>{xml_text(err.code)}</Code><Message>{xml_text(err.message)}</Message>"
                f"</Error></Errors><RequestID>{request_id}</RequestID></Response>")
        return err.status, body.encode(), "text/xml", headers
    if protocol == "rest-xml":
        body = ('<?xml version="1.0" encoding="UTF-8"?>\n<Error>'
                f"<Code>{xml_text(err.code)}</Code><Message>{xml_text(err.message)}</Message>"
                f"<RequestId>{request_id}</RequestId></Error>")
        return err.status, body.encode(), "application/xml", [("x-amz-request-id", request_id)]
    return err.status, query_error_body(err, request_id).encode(), "text/xml", headers


def b64decode_blob(value: str, member: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except (ValueError, TypeError):
        raise validation_error(f"Value at '{member}' is not valid base64") from None
