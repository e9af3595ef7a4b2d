"""The ALB data plane: a request addressed to a load balancer's DNSName reaches its targets.

Offline the DNS name does not resolve, so clients reach localcloud's own port and name the
load balancer in the Host header (`curl -H "Host: <DNSName>" http://127.0.0.1:<port>/`); that
is the one seam the suite's probe uses. Then, as an ALB node:

listener (by port: the Host header's port, else 80; HTTP listeners only) -> its rules by
priority, default last (path-pattern, host-header, http-request-method, http-header,
query-string, source-ip conditions) -> the rule's action: forward (one target group or
ForwardConfig weights), fixed-response or redirect -> one healthy target of the group (round
robin; fail-open per health.py) -> the request proxied, the answer streamed back.

The load balancer's idle timeout (`idle_timeout.timeout_seconds`, default 60) bounds how long a
target may take; it is *not* scaled by the clock, because the application answering runs in
real time.
"""
from __future__ import annotations

import fnmatch
import ipaddress
import logging
import time
from typing import Callable
from urllib.parse import parse_qsl

from localcloud.fleet import moto_state
from localcloud.fleet.health import HealthRegistry, RegisteredTarget
from localcloud.fleet.proxy import StreamedResponse, UnreachableTarget, TargetProxy, alb_error, read_body, request_headers, response_headers

log = logging.getLogger("localcloud.fleet.alb")

DEFAULT_IDLE_TIMEOUT_SECONDS = 60
FINAL_ACTIONS = ("forward", "fixed-response", "redirect")


def _values(condition: dict, config_key: str) -> list:
    config = condition.get(config_key) or {}
    return list(config.get("Values") or condition.get("Values") or [])


def _glob(pattern: str, value: str, case_sensitive: bool) -> bool:
    if not case_sensitive:
        pattern, value = pattern.lower(), value.lower()
    return fnmatch.fnmatchcase(value, pattern)


def condition_matches(condition: dict, request: dict) -> bool:
    field = condition.get("Field")
    if field == "path-pattern":
        return any(_glob(p, request["path"], True) for p in _values(condition, "PathPatternConfig"))
    if field == "host-header":
        return any(_glob(p, request["host"], False) for p in _values(condition, "HostHeaderConfig"))
    if field == "http-request-method":
        return request["method"] in _values(condition, "HttpRequestMethodConfig")
    if field == "http-header":
        config = condition.get("HttpHeaderConfig") or {}
        actual = request["headers"].get(str(config.get("HttpHeaderName", "")).lower())
        return actual is not None and any(_glob(p, actual, False) for p in config.get("Values") or [])
    if field == "query-string":
        pairs = request["query"]
        for wanted in (condition.get("QueryStringConfig") or {}).get("Values") or []:
            key, value = wanted.get("Key"), wanted.get("Value", "*")
            if any((key is None or _glob(key, k, False)) and _glob(value, v, False) for k, v in pairs):
                return True
        return False
    if field == "source-ip":
        client = ipaddress.ip_address(request["client"])
        return any(client in ipaddress.ip_network(c, strict=False) for c in _values(condition, "SourceIpConfig"))
    log.warning("listener rule condition %r is not emulated; the rule does not match", field)
    return False


def _priority(rule) -> float:
    return float("inf") if rule.is_default or rule.priority == "default" else float(rule.priority)


class WeightedChoice:
    """Smooth weighted round robin (nginx's): exact proportions, evenly interleaved."""

    def __init__(self):
        self._current: dict[str, dict[str, int]] = {}

    def pick(self, key: str, weights: list[tuple[str, int]]) -> str | None:
        live = [(arn, w) for arn, w in weights if w > 0]
        if not live:
            return None
        state = self._current.setdefault(key, {})
        total = sum(w for _, w in live)
        for arn, weight in live:
            state[arn] = state.get(arn, 0) + weight
        best = max(live, key=lambda item: state[item[0]])[0]
        state[best] -= total
        return best


class DataPlane:
    def __init__(self, registry: HealthRegistry, resolve: Callable[[object, RegisteredTarget], tuple[str, int] | None],
                 metrics=None):
        self.registry = registry
        self.resolve = resolve
        self.metrics = metrics  # metrics.ALBMetrics: what each request did, for AWS/ApplicationELB
        self.proxy = TargetProxy()
        self.weights = WeightedChoice()
        self._by_host: dict[str, str] = {}  # DNS name -> load balancer ARN

    def app_for_host(self, host: str):
        arn = self._by_host.get(host)
        lb = moto_state.load_balancer(arn) if arn else None
        if lb is None or lb.dns_name.lower() != host:
            lb = moto_state.load_balancer_by_dns(host)
            if lb is None:
                self._by_host.pop(host, None)
                return None
            self._by_host[host] = lb.arn
        if lb.type != "application":
            return None
        arn = lb.arn
        return lambda environ, start_response: self.serve(arn, environ, start_response)

    def close(self) -> None:
        self.proxy.close()
        self._by_host.clear()

    # -- one request ---------------------------------------------------------------------------
    def serve(self, lb_arn: str, environ, start_response):
        lb = moto_state.load_balancer(lb_arn)
        if lb is None:
            return alb_error(503, start_response)
        raw_host = environ.get("HTTP_HOST", "")
        host, _, port_text = raw_host.partition(":")
        port = int(port_text) if port_text.isdigit() else 80
        listener = next((l for l in list(lb.listeners.values())
                         if int(l.port) == port and (l.protocol or "").upper() == "HTTP"), None)
        if listener is None:
            # On AWS nothing listens on that port and the connection fails; a WSGI app cannot
            # refuse a connection, so say exactly that instead.
            body = f"localcloud: load balancer {lb.name} has no HTTP listener on port {port}\n".encode()
            start_response("503 Service Unavailable", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
            return [body]
        request = {
            "method": environ.get("REQUEST_METHOD", "GET"),
            "path": environ.get("PATH_INFO", "/") or "/",
            "host": host.lower(),
            "query": parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True),
            "headers": {k[5:].replace("_", "-").lower(): v for k, v in environ.items() if k.startswith("HTTP_")},
            "client": environ.get("REMOTE_ADDR", "127.0.0.1"),
        }
        rule = next((r for r in sorted(list(listener.rules.values()), key=_priority)
                     if all(condition_matches(c, request) for c in (r.conditions or []))), None)
        actions = sorted(rule.actions if rule else [], key=lambda a: int(a.data.get("Order") or 0))
        action = next((a for a in actions if a.type in FINAL_ACTIONS), None)
        if action is None:
            return self._elb_error(lb, 503, start_response)
        if action.type == "fixed-response":
            return self._fixed_response(action.data.get("FixedResponseConfig") or {}, start_response)
        if action.type == "redirect":
            return self._redirect(action.data.get("RedirectConfig") or {}, request, raw_host, port, environ, start_response)
        return self._forward(lb, listener, rule, action.data, environ, start_response)

    def _forward(self, lb, listener, rule, data: dict, environ, start_response):
        groups = (data.get("ForwardConfig") or {}).get("TargetGroups")
        if groups:
            weights = [(g["TargetGroupArn"], int(g.get("Weight", 1) or 0)) for g in groups]
            tg_arn = self.weights.pick(rule.arn, weights)
        else:
            tg_arn = data.get("TargetGroupArn")
        group = self.registry.group(tg_arn, create=False) if tg_arn else None
        target = group.pick() if group is not None else None
        if target is None:
            return self._elb_error(lb, 503, start_response, tg_arn)
        released = False

        def release() -> None:
            nonlocal released
            if not released:
                released = True
                group.release(target)

        try:
            target_group = moto_state.target_group(tg_arn)
            address = self.resolve(target_group, target) if target_group is not None else None
            if address is None:
                release()
                return self._elb_error(lb, 502, start_response, tg_arn)
            path = environ.get("PATH_INFO", "/") or "/"
            if environ.get("QUERY_STRING"):
                path += "?" + environ["QUERY_STRING"]
            headers = request_headers(environ, int(listener.port), listener.protocol or "HTTP")
            body = read_body(environ)
            sent = time.monotonic()  # TargetResponseTime: request sent -> response headers back
            response = self.proxy.forward(address, environ.get("REQUEST_METHOD", "GET"), path, headers,
                                          body, self._idle_timeout(lb))
            if self.metrics is not None:
                self.metrics.target_answered(lb.arn, tg_arn, int(response.status), time.monotonic() - sent)
        except UnreachableTarget as exc:
            release()
            log.debug("%s", exc)
            return self._elb_error(lb, exc.status, start_response, tg_arn)
        except BaseException:
            release()
            raise
        start_response(f"{response.status} {response.reason or ''}".strip(), response_headers(response))
        return StreamedResponse(response, release)

    def _elb_error(self, lb, status: int, start_response, tg_arn: str | None = None):
        """The load balancer's own error page, counted as ALB counts it (HTTPCode_ELB_*)."""
        if self.metrics is not None:
            self.metrics.elb_answered(lb.arn, status, tg_arn)
        return alb_error(status, start_response)

    @staticmethod
    def _idle_timeout(lb) -> float:
        raw = lb.attrs.get("idle_timeout.timeout_seconds") or DEFAULT_IDLE_TIMEOUT_SECONDS
        try:
            return float(raw)
        except (TypeError, ValueError):
            return float(DEFAULT_IDLE_TIMEOUT_SECONDS)

    @staticmethod
    def _fixed_response(config: dict, start_response):
        body = str(config.get("MessageBody") or "").encode()
        status = int(config.get("StatusCode") or 200)
        headers = [("Server", "awselb/2.0"), ("Content-Length", str(len(body)))]
        if config.get("ContentType"):
            headers.append(("Content-Type", config["ContentType"]))
        start_response(f"{status} {_reason(status)}", headers)
        return [body]

    @staticmethod
    def _redirect(config: dict, request: dict, raw_host: str, port: int, environ, start_response):
        protocol = "http"
        values = {"#{protocol}": protocol, "#{host}": request["host"], "#{port}": str(port),
                  "#{path}": request["path"], "#{query}": environ.get("QUERY_STRING", "")}

        def fill(template: str) -> str:
            for key, value in values.items():
                template = template.replace(key, value)
            return template

        new_protocol = fill(config.get("Protocol") or "#{protocol}").lower()
        new_host = fill(config.get("Host") or "#{host}")
        new_port = fill(config.get("Port") or "#{port}")
        new_path = fill(config.get("Path") or "/#{path}").replace("//", "/")
        new_query = fill(config.get("Query") or "#{query}")
        default_port = {"http": "80", "https": "443"}.get(new_protocol)
        location = f"{new_protocol}://{new_host}" + ("" if new_port == default_port else f":{new_port}") + new_path
        if new_query:
            location += "?" + new_query
        status = 301 if config.get("StatusCode") == "HTTP_301" else 302
        start_response(f"{status} {_reason(status)}", [("Server", "awselb/2.0"), ("Location", location), ("Content-Length", "0")])
        return [b""]


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""
