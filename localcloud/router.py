"""Dispatch: each request goes to the provider that claims it, or to moto unchanged.

Order: ALB data plane (by Host header) -> provider path routes (git) -> moto reset -> refused
protocols -> who signed it (iam/requests.py) -> the body, read within its protocol's limits
(request_body.py) -> a target or Action some service has -> may they (role sessions and IAM
users are evaluated, the account's root is not) -> provider operations (X-Amz-Target for JSON
services, Action for query services, method and URI for the rest-json services we own) -> moto.
Every error, whoever raises it, is answered in the request's protocol (aws.error_response);
moto's failures and HTML 500 pages never reach a client as such.
"""
from __future__ import annotations

import functools
import logging
import sys
import traceback
import uuid
from http import HTTPStatus
from typing import TYPE_CHECKING
from urllib.parse import parse_qs

from botocore.exceptions import UnknownServiceError
from botocore.model import ServiceModel

from localcloud import request_body
from localcloud.aws import NOT_XML, DEFAULT_ACCOUNT_ID, DEFAULT_REGION, AWSError, RequestContext, dumps, error_response
from localcloud.exceptions import (
    InternalFailure,
    InvalidAction,
    MissingAction,
    NotImplementedOperation,
    UnknownOperationException,
    UnsupportedProtocolException,
)
from localcloud.iam.callers import forget as forget_sessions
from localcloud.iam.requests import Credential, RequestAuthorizer, query_params
from localcloud.query_params import parse as query_params_of
from localcloud.rest_json import RestJsonService, query_of
from localcloud.validation import service_model, validate

if TYPE_CHECKING:
    from localcloud.provider import Provider

log = logging.getLogger("localcloud.router")

# SigV4 signing names whose botocore service name differs.
SIGNING_TO_SERVICE = {"elasticloadbalancing": "elbv2", "monitoring": "cloudwatch", "events": "events"}
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}


# moto routes unsigned JSON requests with these target prefixes by the prefix alone
# (moto_server/werkzeug_app.py UNSIGNED_REQUESTS); any other unsigned JSON request it would hand
# to S3, its default service.
MOTO_UNSIGNED_PREFIXES = {"AWSCognitoIdentityService", "AWSCognitoIdentityProviderService"}
# The code query services answer a constraint violation with: ValidationError (IAM, STS, Auto
# Scaling, ELBv2, CloudWatch: "1 validation error detected: ..."), SNS its InvalidParameter
# (https://docs.aws.amazon.com/sns/latest/api/CommonErrors.html lists both kinds).
QUERY_VALIDATION_CODES = {"sns": "InvalidParameter"}

# target prefixes of a service signed with another's signing name (DynamoDB Streams signs as
# dynamodb): not the signing service's model, still a real service
OTHER_PREFIXES = {"dynamodb": ("DynamoDBStreams_20120810",)}


def _response(start_response, status: int, body: bytes, content_type: str, extra=None):
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = "Status"
    headers = [("Content-Type", content_type), ("Content-Length", str(len(body)))]
    headers += list(extra or [])
    start_response(f"{status} {reason}", headers)
    return [body]


def _error(start_response, protocol: str, err: AWSError, request_id: str | None = None, extra=None):
    """An error answer in `protocol`'s shape (aws.error_response)."""
    status, body, content_type, headers = error_response(protocol, err, request_id or str(uuid.uuid4()))
    return _response(start_response, status, body, content_type, headers + list(extra or []))


def protocol_of(environ, signing_name: str | None) -> str:
    """The protocol a request speaks, from what botocore sends for each: an X-Amz-Target
    (json), a form body (query; ec2 by its signing name), S3's signing name (rest-xml), else
    rest-json."""
    if environ.get("HTTP_X_AMZ_TARGET"):
        return "json"
    if environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
        return "ec2" if signing_name == "ec2" else "query"
    if signing_name == "s3":
        return "rest-xml"
    return "rest-json"


@functools.lru_cache(maxsize=None)
def _model_for_signing_name(signing_name: str) -> ServiceModel | None:
    name = SIGNING_TO_SERVICE.get(signing_name, signing_name)
    try:
        return service_model(name)
    except UnknownServiceError:
        return None


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
            return _error(start_response, protocol_of(environ, Credential.of(environ).signing_name), err)

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
            return _error(start_response, "json", UnsupportedProtocolException(refused))

        # Who signed the request, and may they make it (iam/requests.py): before anyone answers.
        credential = Credential.of(environ)
        protocol = protocol_of(environ, credential.signing_name)
        try:
            principal = environ["localcloud.principal"] = self.requests.principal(credential, protocol)
        except AWSError as err:
            return _error(start_response, protocol, err)

        if protocol == "json":
            return self._json(environ, start_response, principal, credential)
        if protocol in ("query", "ec2"):
            return self._query(environ, start_response, principal, credential, protocol)

        if protocol == "rest-json":
            claimed = self.rest_json_ops.get(credential.signing_name or "")
            if claimed:
                return self._rest_json_operation(claimed, principal, credential, environ, start_response)

        if protocol == "rest-xml" and principal.evaluated:
            query = environ.get("QUERY_STRING", "")
            try:
                # DeleteObjects names its keys in the body; other S3 bodies are not read here
                delete = environ.get("REQUEST_METHOD") == "POST" and "delete" in query
                body = request_body.read(environ, protocol) if delete else b""
                self.requests.check_s3(principal, environ, body)
            except AWSError as err:
                return _error(start_response, protocol, err)
        return self._moto(environ, start_response, protocol)

    def _json(self, environ, start_response, principal, credential):
        """A JSON 1.1 request: read whole within its limit, a JSON object, naming an operation
        of a service; then ours, or moto's."""
        prefix, _, operation = environ["HTTP_X_AMZ_TARGET"].partition(".")
        try:
            body = request_body.read(environ, "json")
            params = request_body.json_object(body)
            model = self._known_target(prefix, operation, credential.signing_name)
            self.requests.check(principal, credential, operation, params)
            claimed = self.json_ops.get(prefix)
            if claimed and operation in claimed[1]:
                return self._json_operation(claimed[0], claimed[1][operation], operation, params, environ,
                                            start_response)
            if model is not None:
                # AWS validates every request against its model; moto, which does not, would
                # fail on what the model refuses (a missing member is a KeyError there, a 500)
                validate(model.service_name, operation, params)
        except AWSError as err:
            return _error(start_response, "json", err)
        return self._moto(environ, start_response, "json")

    def _known_target(self, prefix: str, operation: str, signing_name: str | None) -> ServiceModel | None:
        """Refuse a target that names no operation: AWS answers UnknownOperationException, and
        moto would answer another service's operation (S3's ListBuckets for an unsigned one).
        The service's model when localcloud can tell it, else None (moto routes the request)."""
        claimed = self.json_ops.get(prefix)
        model: ServiceModel | None = None
        if claimed:
            model = service_model(claimed[0].service)
        elif signing_name:
            model = _model_for_signing_name(signing_name)
            if model is None or prefix in OTHER_PREFIXES.get(signing_name, ()):
                return None  # a service botocore names otherwise: moto routes it by its signing name
        elif prefix in MOTO_UNSIGNED_PREFIXES:
            return None
        if model is None or model.metadata.get("targetPrefix") != prefix or operation not in model.operation_names:
            known = model is not None and model.metadata.get("targetPrefix") == prefix
            service = model.metadata.get("serviceId") if known else "any service this request can be routed to"
            raise UnknownOperationException(f"X-Amz-Target {prefix[:64]}.{operation[:64]} names no operation of {service}")
        return model

    def _query(self, environ, start_response, principal, credential, protocol):
        """A query (or EC2 query) request: its Action must be one of the signing service's."""
        try:
            body = request_body.read(environ, protocol)
            params = query_params(body, environ.get("QUERY_STRING", ""))
            action = params.get("Action")
            model = self._known_action(action, params.get("Version"), credential.signing_name)
            self.requests.check(principal, credential, str(action or ""), params)
            service = self._signing_service(environ)
            claimed = self.query_ops.get(service or "")
            if claimed and action in claimed[1]:
                return self._query_operation(claimed[0], claimed[1][action], action, body, environ, start_response)
            if model is not None and protocol == "query":
                # as for JSON: AWS validates, moto would fail on what the model refuses
                flat = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True).items()}
                shape = model.operation_model(action).input_shape
                if shape is not None:
                    validate(model.service_name, action, query_params_of(shape, flat),
                             QUERY_VALIDATION_CODES.get(model.service_name, "ValidationError"))
        except AWSError as err:
            return _error(start_response, protocol, err)
        return self._moto(environ, start_response, protocol)

    @staticmethod
    def _known_action(action, version, signing_name: str | None) -> ServiceModel | None:
        """AWS's common query errors: MissingAction, InvalidAction (400). Checked against the
        signing service's model when the request's Version is that model's (ELB and ELBv2 share
        a signing name; their Versions tell them apart)."""
        if not action:
            raise MissingAction("The request must contain the parameter Action.")
        model = _model_for_signing_name(signing_name) if signing_name else None
        if model is None or (version and version != model.api_version):
            return None
        if action not in model.operation_names:
            raise InvalidAction(f"The action {str(action)[:64]} is not valid for this web service.")
        return model

    # -- helpers ------------------------------------------------------------------------------
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

    def _json_operation(self, provider, handler, operation, params, environ, start_response):
        ctx = self._context(provider, operation, environ)
        try:
            if operation not in provider.unvalidated:
                validate(provider.service, operation, params)
            result = handler(params, ctx)
            payload = dumps(result if result is not None else {}).encode()
            return _response(start_response, 200, payload, "application/x-amz-json-1.1",
                             [("x-amzn-RequestId", ctx.request_id)])
        except AWSError as err:
            return _error(start_response, "json", err, ctx.request_id)
        except Exception:
            traceback.print_exc(file=sys.stderr)
            err = InternalFailure(f"localcloud's {provider.service} provider failed on {operation}; see its log")
            return _error(start_response, "json", err, ctx.request_id)

    def _rest_json_operation(self, claimed, principal, credential, environ, start_response):
        """A rest-json request to a provider: the operation from method and URI, its parameters
        from where the model puts them (rest_json.py), authorized and validated like JSON ones."""
        provider, rest, ops = claimed
        query = query_of(environ.get("QUERY_STRING", ""))
        method, path = environ.get("REQUEST_METHOD", "GET"), environ.get("PATH_INFO", "")
        found = rest.operation_for(method, path, query)
        operation = found[0].name if found else f"{method} {path}"
        ctx = self._context(provider, operation, environ)
        try:
            if found is None:
                raise AWSError("UnknownOperationException", f"No {provider.service} operation is {method} {path}", 404)
            if operation not in ops:
                raise NotImplementedOperation(f"localcloud does not emulate {provider.service}'s {operation} operation")
            # a GET carries no body and no Content-Length: reading one would wait for ever
            declared = request_body.declared_length(environ, "rest-json")
            body = request_body.read(environ, "rest-json") if declared else b""
            params = rest.parse(found[0], found[1], query, ctx.headers, body)
            self.requests.check(principal, credential, operation, params)
            if operation not in provider.unvalidated:
                validate(provider.service, operation, params)
            status, headers, payload, content_type = rest.serialize(found[0], ops[operation](params, ctx))
            return _response(start_response, status, payload, content_type,
                             [("x-amzn-RequestId", ctx.request_id)] + headers)
        except AWSError as err:
            err.status = rest.error_status(err.code, err.status)
            return _error(start_response, "rest-json", err, ctx.request_id)
        except Exception:
            traceback.print_exc(file=sys.stderr)
            err = InternalFailure(f"localcloud's {provider.service} provider failed on {operation}; see its log")
            return _error(start_response, "rest-json", err, ctx.request_id)

    def _query_operation(self, provider, handler, operation, body, environ, start_response):
        ctx = self._context(provider, operation, environ)
        params = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
        try:
            result = handler(params, ctx)  # query handlers render their own XML
            return _response(start_response, 200, result.encode(), "text/xml")
        except AWSError as err:
            return _error(start_response, "query", err, ctx.request_id)
        except Exception:
            traceback.print_exc(file=sys.stderr)
            err = InternalFailure(f"localcloud failed on {operation}; see its log")
            return _error(start_response, "query", err, ctx.request_id)

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

    def _moto(self, environ, start_response, protocol: str):
        """Pass to moto. What moto cannot do is answered in the request's protocol: an operation
        it has not implemented (its NotImplementedError, which its debug-mode Flask app lets
        through) is a 501 NotImplemented, which botocore does not retry; any other failure, or an
        HTML error page, an InternalFailure naming the operation."""
        captured = {}

        def capture(status, headers, exc_info=None):
            captured["status"], captured["headers"] = status, headers
            return lambda data: None

        target = (environ.get("HTTP_X_AMZ_TARGET")
                  or parse_qs(environ.get("QUERY_STRING", "")).get("Action", [None])[0]
                  or f"{environ.get('REQUEST_METHOD')} {environ.get('PATH_INFO', '')}")
        try:
            chunks = self.moto_app(environ, capture)
        except NotImplementedError:
            return _error(start_response, protocol, NotImplementedOperation(
                f"{target[:128]} is not emulated: neither localcloud nor moto implements it"))
        except Exception:
            log.exception("moto failed on %s", target)
            return _error(start_response, protocol, InternalFailure(f"moto failed on {target[:128]}; see localcloud's log"))
        status = captured.get("status", "500 Internal Server Error")
        headers = captured.get("headers", [])
        content_type = next((v for k, v in headers if k.lower() == "content-type"), "")
        if status.startswith("5") and "html" in content_type:
            body = b"".join(chunks)
            if hasattr(chunks, "close"):
                chunks.close()
            log.warning("moto failed on %s: %s", target, body[:300])
            err = InternalFailure(f"moto could not handle {target[:128]} ({status}); localcloud does not emulate it")
            return _error(start_response, protocol, err)
        if protocol in ("query", "ec2"):
            # moto echoes what it was sent into its XML, characters XML cannot carry included
            # (a control character in a name): the client could not parse the answer at all
            body = b"".join(chunks)
            if hasattr(chunks, "close"):
                chunks.close()
            text = body.decode("utf-8", "replace")
            if NOT_XML.search(text):
                body = NOT_XML.sub("\ufffd", text).encode()
                headers = [(k, str(len(body)) if k.lower() == "content-length" else v) for k, v in headers]
            start_response(status, headers)
            return [body]
        start_response(status, headers)
        return chunks
