"""`GET /_localcloud/iam/authorizations`: the authorization log, read-only, over HTTP.

Not an AWS API: localcloud's own window on what its authorizer decided, so a client that speaks
only HTTP (the conformance suite, against an embedded or a standalone localcloud alike) can
show which actions each role used. AWS's nearest equivalents are CloudTrail and IAM's
last-accessed information.

    GET /_localcloud/iam/authorizations[?since=N][&limit=M]
    200 {"decisions": [{"sequence", "principal", "action", "resource", "allowed"}, ...],
         "last_sequence": L, "dropped": D}

`since`: only decisions numbered after N (default 0: all that are kept). `limit`: at most M of
them, oldest first; read on with `since` set to the last one's sequence. `last_sequence` is the
latest decision's number, so `?limit=0` marks where a session starts. `dropped` counts decisions
after N that the log's bound (or a clear) no longer keeps: a reader that sees it non-zero knows
its view is incomplete. A decision holds ARNs and an action name only: never credentials, a
request's parameters or its condition context.
"""
from __future__ import annotations

import json
from urllib.parse import parse_qs

from localcloud.aws import json_error_body
from localcloud.exceptions import AWSError
from localcloud.iam.authorizer import AuthorizationLog

PATH = "/_localcloud/iam/authorizations"
PARAMETERS = ("since", "limit")


def _answer(start_response, status: str, body: dict | str, extra: list | None = None):
    data = (body if isinstance(body, str) else json.dumps(body)).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data))), *(extra or [])])
    return [data]


def _count(query: dict, name: str) -> int | None:
    values = query.get(name)
    if not values:
        return None
    if len(values) > 1 or not values[0].isdigit():
        raise AWSError("ValidationException", f"{name} must be one non-negative integer, got {values!r}")
    return int(values[0])


class AuthorizationsApp:
    """The WSGI app served at PATH."""

    def __init__(self, log: AuthorizationLog):
        self.log = log

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO", "").rstrip("/") != PATH:
            return _answer(start_response, "404 Not Found",
                           json_error_body(AWSError("NotFound", f"localcloud serves {PATH} only", 404)))
        if environ.get("REQUEST_METHOD", "GET") not in ("GET", "HEAD"):
            return _answer(start_response, "405 Method Not Allowed",
                           json_error_body(AWSError("MethodNotAllowed", "the authorization log is read-only: GET it", 405)),
                           [("Allow", "GET, HEAD")])
        query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        try:
            unknown = sorted(set(query) - set(PARAMETERS))
            if unknown:
                raise AWSError("ValidationException", f"unknown parameter(s) {unknown}: use {', '.join(PARAMETERS)}")
            page = self.log.since(_count(query, "since") or 0, _count(query, "limit"))
        except AWSError as err:
            return _answer(start_response, "400 Bad Request", json_error_body(err))
        return _answer(start_response, "200 OK", {
            "decisions": [{"sequence": d.sequence, "principal": d.principal, "action": d.action,
                           "resource": d.resource, "allowed": d.allowed} for d in page.decisions],
            "last_sequence": page.last_sequence, "dropped": page.dropped})
