"""Authorizing an API request by who signed it: the router's one call into IAM.

`RequestAuthorizer.check(...)` finds the principal of the request's credentials (callers.py),
and, for a role session or an IAM user, evaluates the request's IAM action on each resource it
names (resources.py; S3's actions from s3_actions.py) through the same `Authorizer` the doors
between services use, so one log holds both. The account's root (any key localcloud did not
issue) is not evaluated, as before.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Mapping
from urllib.parse import parse_qs

from localcloud.exceptions import AWSError
from localcloud.iam import resources, s3_actions
from localcloud.iam.authorizer import Authorizer
from localcloud.iam.callers import check_region, error_for_protocol, principal_of
from localcloud.principal import Principal


@dataclass(frozen=True)
class Credential:
    access_key: str | None
    region: str | None
    signing_name: str | None
    session_token: str | None

    @classmethod
    def of(cls, environ: Mapping) -> "Credential":
        """The SigV4 credential scope of a request: Authorization header or presigned query."""
        scope = None
        auth = environ.get("HTTP_AUTHORIZATION", "")
        if "Credential=" in auth:
            scope = auth.split("Credential=", 1)[1].split(",", 1)[0].strip()
        query = parse_qs(environ.get("QUERY_STRING", ""))
        if scope is None and "X-Amz-Credential" in query:
            scope = query["X-Amz-Credential"][0]
        token = environ.get("HTTP_X_AMZ_SECURITY_TOKEN") or (query.get("X-Amz-Security-Token") or [None])[0]
        try:
            access_key, _date, region, service, _ = (scope or "").split("/")
        except ValueError:
            return cls(None, None, None, token)
        return cls(access_key, region, service, token)


class RequestAuthorizer:
    def __init__(self, authorizer: Authorizer, account_id: str, default_region: str):
        self.authorizer = authorizer
        self.account_id = account_id
        self.default_region = default_region

    def principal(self, credential: Credential, protocol: str) -> Principal:
        """Who the credentials belong to; AWS's refusal for invalid or expired ones."""
        try:
            check_region(credential.region)
            return principal_of(credential.access_key, credential.session_token, self.account_id)
        except AWSError as err:
            raise error_for_protocol(err, protocol) from None

    def check(self, principal: Principal, credential: Credential, operation: str, params: Mapping,
              extra: Mapping | None = None) -> None:
        """Raise AccessDenied unless `principal` may make this request (no-op for the root)."""
        if not principal.evaluated or not credential.signing_name:
            return
        request = resources.Request(signing_name=credential.signing_name, operation=operation, params=params,
                                    region=credential.region or self.default_region, account=self.account_id,
                                    extra=extra or {})
        if request.action in resources.UNAUTHORIZED:
            return
        named = resources.resources(request)
        for arn in named:
            self.authorizer.authorize(principal, request.action, arn)
        tagging = resources.tagging_action(request)
        for arn in named if tagging else ():
            self.authorizer.authorize(principal, tagging, arn, {"aws:RequestTag": True},
                                      answered_by=request.action.split(":", 1)[0])
        for role_arn, service in resources.passed_roles(request):
            self.authorizer.authorize(principal, "iam:PassRole", role_arn, {"iam:PassedToService": service},
                                      answered_by=request.action.split(":", 1)[0])

    def check_s3(self, principal: Principal, environ: Mapping, body: bytes) -> None:
        if not principal.evaluated:
            return
        headers = {k[5:].replace("_", "-").lower(): v for k, v in environ.items() if k.startswith("HTTP_")}
        for need in s3_actions.needs(environ.get("REQUEST_METHOD", "GET"), environ.get("PATH_INFO", "/"),
                                     environ.get("QUERY_STRING", ""), headers, body):
            arn = "*" if need.bucket is None else (
                f"arn:aws:s3:::{need.bucket}/{need.key}" if need.key is not None else f"arn:aws:s3:::{need.bucket}")
            self.authorizer.authorize(principal, f"s3:{need.action}", arn)


def json_params(body: bytes) -> dict:
    try:
        parsed = json.loads(body or b"{}")
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def query_params(body: bytes, query_string: str = "") -> dict:
    """A query request's parameters; list members (`Names.member.1`) are gathered into lists
    under their base name so resources.py can read them as the JSON services' lists."""
    flat = {k: v[0] for k, v in parse_qs(query_string).items()}
    flat.update({k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()})
    gathered: dict[str, object] = dict(flat)
    for key, value in flat.items():
        parts = key.split(".")
        if len(parts) >= 3 and parts[-2] == "member":
            gathered.setdefault(parts[0], [])
            if isinstance(gathered[parts[0]], list):
                gathered[parts[0]].append(value)
    return gathered
