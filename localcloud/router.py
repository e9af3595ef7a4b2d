"""Dispatch: each request goes to the provider that claims it, or to moto unchanged.

Order: ALB data plane (by Host header) -> provider path routes (git) -> moto reset -> refused
protocols -> who signed it, and may they (iam/requests.py: role sessions and IAM users are
evaluated, the account's root is not) -> provider operations (X-Amz-Target for JSON services,
Action for query services, method and URI for the rest-json services we own) -> moto. Provider errors come back AWS-shaped; moto's HTML 500 pages never reach a client.
"""
from __future__ import annotations

import io
import json
import logging
import sys
import traceback
import uuid
from typing import TYPE_CHECKING
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

from localcloud.aws import (
    DEFAULT_ACCOUNT_ID,
    DEFAULT_REGION,
    AWSError,
    RequestContext,
    dumps,
    json_error_body,
    query_error_body,
)
from localcloud.exceptions import InternalFailure, SerializationException, UnsupportedProtocolException
from localcloud.iam.callers import forget as forget_sessions
from localcloud.iam.requests import Credential, RequestAuthorizer, json_params, query_params
from localcloud.rest_json import RestJsonService, error_body, query_of
from localcloud.validation import service_model, validate

if TYPE_CHECKING:
    from localcloud.provider import Provider

log = logging.getLogger("localcloud.router")

# SigV4 signing names whose botocore service name differs.
SIGNING_TO_SERVICE = {"elasticloadbalancing": "elbv2", "monitoring": "cloudwatch", "events": "events"}
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}


def _response(start_response, status: int, body: bytes, content_type: str, extra=None):
    reason = {200: "OK", 400: "Bad Request", 404: "Not Found", 415: "Unsupported Media Type",
              500: "Internal Server Error"}.get(status, "Status")
    headers = [("Content-Type", content_type), ("Content-Length", str(len(body)))]
    headers += list(extra or [])
    start_response(f"{status} {reason}", headers)
    return [body]


class Router:
    def __init__(self, cloud, moto_app):
        self.cloud = cloud
        self.moto_app = moto_app
        self.providers: list[Provider] = []
        self.json_ops: dict[str, tuple[Provider, dict]] = {}   # target prefix -> (provider, ops)
        self.query_ops: dict[str, tuple[Provider, dict]] = {}  # service name -> (provider, ops)
        # signing name -> (provider, its model's routes, ops): rest-json services we own (CodeArtifact)
        self.rest_json_ops: dict[str, tuple[Provider, RestJsonService, dict]] = {}
        self.routes: list[tuple[str, object]] = []
        self.requests = RequestAuthorizer(cloud.authorizer, DEFAULT_ACCOUNT_ID, DEFAULT_REGION)

    def add(self, provider: "Provider") -> None:
        self.providers.append(provider)
        ops = provider.operations()
        if provider.service and ops:
            model = service_model(provider.service)
            # The protocol botocore really speaks (cloudwatch's model lists CBOR first, yet
            # botocore prefers its JSON protocol), not the model's first-listed one.
            protocol = getattr(model, "resolved_protocol", None) or model.metadata.get("protocol")
            if protocol == "json":
                prefix = model.metadata["targetPrefix"]
                _, existing = self.json_ops.get(prefix, (None, {}))
                self.json_ops[prefix] = (provider, {**existing, **ops})
            elif protocol == "rest-json":
                self.rest_json_ops[model.metadata.get("signingName", provider.service)] = (
                    provider, RestJsonService(model), ops)
            else:
                self.query_ops[provider.service] = (provider, ops)
        for prefix, app in provider.routes():
            self.routes.append((prefix, app))
        self.routes.sort(key=lambda r: -len(r[0]))

    # -- WSGI entry ---------------------------------------------------------------------------
    def __call__(self, environ, start_response):
        try:
            return self._dispatch(environ, start_response)
        except Exception:  # the router itself must never hang up on a client
            traceback.print_exc(file=sys.stderr)
            err = InternalFailure("localcloud failed to route the request; see its log")
            return _response(start_response, 500, json_error_body(err).encode(), "application/json")

    def _dispatch(self, environ, start_response):
        host = (environ.get("HTTP_HOST") or "").rsplit(":", 1)[0].lower()
        if host and host not in LOOPBACK_HOSTS:
            for provider in self.providers:
                app = provider.host_app(host)
                if app is not None:
                    return app(environ, start_response)

        path = environ.get("PATH_INFO", "")
        for prefix, app in self.routes:
            if path.startswith(prefix):
                return app(environ, start_response)

        if path.startswith("/moto-api/reset") and environ.get("REQUEST_METHOD") == "POST":
            return self._reset(environ, start_response)

        refused = self._unreadable_protocol(environ)
        if refused:
            err = UnsupportedProtocolException(refused)
            return _response(start_response, 415, json_error_body(err).encode(), "application/json")

        # Who signed the request, and may they make it (iam/requests.py): before anyone answers.
        credential = Credential.of(environ)
        target = environ.get("HTTP_X_AMZ_TARGET")
        content_type = environ.get("CONTENT_TYPE", "")
        if target and "." in target:
            protocol = "json"
        elif content_type.startswith("application/x-www-form-urlencoded"):
            protocol = "ec2" if credential.signing_name == "ec2" else "query"
        elif credential.signing_name == "s3":
            protocol = "rest-xml"
        else:
            protocol = "rest-json"
        try:
            principal = environ["localcloud.principal"] = self.requests.principal(credential, protocol)
        except AWSError as err:
            return self._refuse(start_response, protocol, err)

        if protocol == "json":
            prefix, operation = target.split(".", 1)
            body = self._read_body(environ)
            try:
                self.requests.check(principal, credential, operation, json_params(body))
            except AWSError as err:
                return self._refuse(start_response, protocol, err)
            claimed = self.json_ops.get(prefix)
            if claimed and operation in claimed[1]:
                return self._json_operation(claimed[0], claimed[1][operation], operation, body, environ, start_response)
            return self._moto(environ, start_response)

        if protocol in ("query", "ec2"):
            body = self._read_body(environ)
            params = query_params(body, environ.get("QUERY_STRING", ""))
            action = params.get("Action")
            try:
                self.requests.check(principal, credential, str(action or ""), params)
            except AWSError as err:
                return self._refuse(start_response, protocol, err)
            service = self._signing_service(environ)
            claimed = self.query_ops.get(service or "")
            if claimed and action in claimed[1]:
                return self._query_operation(claimed[0], claimed[1][action], action, body, environ, start_response)
            return self._moto(environ, start_response)

        if protocol == "rest-json":
            claimed = self.rest_json_ops.get(credential.signing_name or "")
            if claimed:
                return self._rest_json_operation(claimed, principal, credential, environ, start_response)

        if protocol == "rest-xml" and principal.evaluated:
            query = environ.get("QUERY_STRING", "")
            # DeleteObjects names its keys in the body; other S3 bodies are not read here
            body = self._read_body(environ) if environ.get("REQUEST_METHOD") == "POST" and "delete" in query else b""
            try:
                self.requests.check_s3(principal, environ, body)
            except AWSError as err:
                return self._refuse(start_response, protocol, err)
        return self._moto(environ, start_response)

    def _refuse(self, start_response, protocol: str, err: AWSError):
        """An authentication or authorization refusal in the protocol's error shape."""
        request_id = str(uuid.uuid4())
        if protocol in ("json", "rest-json"):
            return _response(start_response, err.status, json_error_body(err).encode(), "application/x-amz-json-1.1",
                             [("x-amzn-RequestId", request_id), ("x-amzn-ErrorType", err.code)])
        if protocol == "ec2":
            body = ('<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error>'
                    f"<Code>{escape(err.code)}</Code><Message>{escape(err.message)}</Message>"
                    f"</Error></Errors><RequestID>{request_id}</RequestID></Response>")
            return _response(start_response, err.status, body.encode(), "text/xml")
        if protocol == "rest-xml":
            body = ('<?xml version="1.0" encoding="UTF-8"?>\n<Error>'
                    f"<Code>{escape(err.code)}</Code><Message>{escape(err.message)}</Message>"
                    f"<RequestId>{request_id}</RequestId></Error>")
            return _response(start_response, err.status, body.encode(), "application/xml")
        return _response(start_response, err.status, query_error_body(err, request_id).encode(), "text/xml")

    # -- helpers ------------------------------------------------------------------------------
    @staticmethod
    def _read_body(environ) -> bytes:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else environ["wsgi.input"].read()
        environ["wsgi.input"] = io.BytesIO(body)  # moto may still need to read it
        environ["CONTENT_LENGTH"] = str(len(body))
        return body

    @staticmethod
    def _unreadable_protocol(environ) -> str | None:
        content_type = environ.get("CONTENT_TYPE", "")
        smithy = environ.get("HTTP_SMITHY_PROTOCOL", "")
        path = environ.get("PATH_INFO", "")
        if smithy == "rpc-v2-cbor" or content_type.startswith("application/cbor") or (
            path.startswith("/service/") and "/operation/" in path
        ):
            operation = path.rsplit("/", 1)[-1] if "/operation/" in path else "unknown operation"
            return (
                f"localcloud does not read the smithy-rpc-v2-cbor protocol (operation {operation}). "
                "Use a client that speaks the service's JSON or query protocol (botocore does by default)."
            )
        return None

    @staticmethod
    def _signing_parts(environ) -> tuple[str | None, str | None, str | None]:
        auth = environ.get("HTTP_AUTHORIZATION", "")
        try:
            credential = auth.split("Credential=", 1)[1].split(",", 1)[0]
            access_key, _date, region, service, _ = credential.split("/")
            return access_key, region, service
        except (IndexError, ValueError):
            return None, None, None

    def _signing_service(self, environ) -> str | None:
        _, _, service = self._signing_parts(environ)
        return SIGNING_TO_SERVICE.get(service, service) if service else None

    def _context(self, provider, operation, environ) -> RequestContext:
        access_key, region, _ = self._signing_parts(environ)
        return RequestContext(
            service=provider.service,
            operation=operation,
            region=region or DEFAULT_REGION,
            account_id=DEFAULT_ACCOUNT_ID,
            access_key=access_key,
            endpoint_url=self.cloud.url,
            headers={k[5:].replace("_", "-").lower(): v for k, v in environ.items() if k.startswith("HTTP_")},
            principal=environ.get("localcloud.principal"),
        )

    def _json_operation(self, provider, handler, operation, body, environ, start_response):
        ctx = self._context(provider, operation, environ)
        extra = [("x-amzn-RequestId", ctx.request_id)]
        try:
            try:
                params = json.loads(body or b"{}")
            except ValueError:
                raise SerializationException("Start of structure or map found where not expected: the request body is not valid JSON") from None
            if operation not in provider.unvalidated:
                validate(provider.service, operation, params)
            result = handler(params, ctx)
            payload = dumps(result if result is not None else {}).encode()
            return _response(start_response, 200, payload, "application/x-amz-json-1.1", extra)
        except AWSError as err:
            return _response(start_response, err.status, json_error_body(err).encode(), "application/x-amz-json-1.1", extra)
        except Exception:
            traceback.print_exc(file=sys.stderr)
            err = InternalFailure(f"localcloud's {provider.service} provider failed on {operation}; see its log")
            return _response(start_response, 500, json_error_body(err).encode(), "application/x-amz-json-1.1", extra)

    def _rest_json_operation(self, claimed, principal, credential, environ, start_response):
        """A rest-json request to a provider: the operation from method and URI, its parameters
        from where the model puts them (rest_json.py), authorized and validated like JSON ones."""
        provider, rest, ops = claimed
        query = query_of(environ.get("QUERY_STRING", ""))
        method, path = environ.get("REQUEST_METHOD", "GET"), environ.get("PATH_INFO", "")
        found = rest.operation_for(method, path, query)
        operation = found[0].name if found else f"{method} {path}"
        ctx = self._context(provider, operation, environ)
        extra = [("x-amzn-RequestId", ctx.request_id)]
        try:
            if found is None:
                raise AWSError("UnknownOperationException", f"No {provider.service} operation is {method} {path}", 404)
            if operation not in ops:
                raise AWSError("NotImplementedException",
                               f"localcloud does not emulate {provider.service}'s {operation} operation", 501)
            # a GET carries no body and no Content-Length: reading one would wait for ever
            body = self._read_body(environ) if int(environ.get("CONTENT_LENGTH") or 0) else b""
            params = rest.parse(found[0], found[1], query, ctx.headers, body)
            self.requests.check(principal, credential, operation, params)
            if operation not in provider.unvalidated:
                validate(provider.service, operation, params)
            status, headers, payload, content_type = rest.serialize(found[0], ops[operation](params, ctx))
            return _response(start_response, status, payload, content_type, extra + headers)
        except AWSError as err:
            status = rest.error_status(err.code, err.status)
            return _response(start_response, status, error_body(err), "application/json",
                             extra + [("x-amzn-ErrorType", err.code)])
        except Exception:
            traceback.print_exc(file=sys.stderr)
            err = InternalFailure(f"localcloud's {provider.service} provider failed on {operation}; see its log")
            return _response(start_response, 500, error_body(err), "application/json",
                             extra + [("x-amzn-ErrorType", err.code)])

    def _query_operation(self, provider, handler, operation, body, environ, start_response):
        ctx = self._context(provider, operation, environ)
        params = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
        try:
            result = handler(params, ctx)  # query handlers render their own XML
            return _response(start_response, 200, result.encode(), "text/xml")
        except AWSError as err:
            return _response(start_response, err.status, query_error_body(err, ctx.request_id).encode(), "text/xml")
        except Exception:
            traceback.print_exc(file=sys.stderr)
            err = InternalFailure(f"localcloud failed on {operation}; see its log")
            return _response(start_response, 500, query_error_body(err, ctx.request_id).encode(), "text/xml")

    def _reset(self, environ, start_response):
        """localcloud's reset (LocalCloud.reset) with moto's inside it: moto's answer is read
        whole before the providers take in work again."""
        answer = {}

        def reset_moto():
            forget_sessions()

            def capture(status, headers, exc_info=None):
                answer["status"], answer["headers"] = status, headers
                return lambda data: None

            chunks = self.moto_app(environ, capture)
            try:
                answer["body"] = b"".join(chunks)
            finally:
                if hasattr(chunks, "close"):
                    chunks.close()

        self.cloud.reset(reset_moto)
        start_response(answer["status"], answer["headers"])
        return [answer["body"]]

    def _moto(self, environ, start_response):
        """Pass to moto; an HTML error page (an unimplemented operation, a moto bug) becomes an
        AWS-shaped InternalFailure naming the operation instead."""
        captured = {}

        def capture(status, headers, exc_info=None):
            captured["status"], captured["headers"] = status, headers
            return lambda data: None

        chunks = self.moto_app(environ, capture)
        status = captured.get("status", "500 Internal Server Error")
        headers = captured.get("headers", [])
        content_type = next((v for k, v in headers if k.lower() == "content-type"), "")
        if status.startswith("5") and "html" in content_type:
            body = b"".join(chunks)
            if hasattr(chunks, "close"):
                chunks.close()
            target = environ.get("HTTP_X_AMZ_TARGET") or parse_qs(environ.get("QUERY_STRING", "")).get("Action", ["?"])[0]
            err = InternalFailure(f"moto could not handle {target} ({status}); localcloud does not emulate it")
            log.warning("moto failed on %s: %s", target, body[:300])
            return _response(start_response, 500, json_error_body(err).encode(), "application/json")
        start_response(status, headers)
        return chunks
