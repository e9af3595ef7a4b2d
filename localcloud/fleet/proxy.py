"""Forward one HTTP request to a target and stream its answer back, as an ALB node does.

Connection pools (urllib3) per target address keep the proxy cheap under load. Failures map
to the status codes an ALB itself generates: the target refused or dropped the connection ->
502, it did not answer within the load balancer's idle timeout -> 504.
"""
from __future__ import annotations

import threading
import time
import uuid
from typing import Callable, Iterable

import urllib3

HOP_BY_HOP = frozenset({
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
    "trailers", "transfer-encoding", "upgrade",
})

# ALB's own error pages (byte for byte what awselb/2.0 sends).
_TITLES = {502: "502 Bad Gateway", 503: "503 Service Temporarily Unavailable", 504: "504 Gateway Time-out"}


def alb_error(status: int, start_response) -> list[bytes]:
    title = _TITLES[status]
    body = (f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n"
            f"<center><h1>{title}</h1></center>\r\n</body>\r\n</html>\r\n").encode()
    start_response(title, [("Server", "awselb/2.0"), ("Content-Type", "text/html"),
                           ("Content-Length", str(len(body)))])
    return [body]


class UnreachableTarget(Exception):
    """The target could not answer: `status` is what the load balancer returns instead."""

    def __init__(self, status: int, detail: str):
        super().__init__(detail)
        self.status = status


def request_headers(environ, listener_port: int, listener_protocol: str) -> dict[str, str]:
    """The client's headers minus hop-by-hop ones, plus what ALB adds for the target."""
    headers: dict[str, str] = {}
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            name = key[5:].replace("_", "-").title()
            if name.lower() not in HOP_BY_HOP:
                headers[name] = value
    if environ.get("CONTENT_TYPE"):
        headers["Content-Type"] = environ["CONTENT_TYPE"]
    client = environ.get("REMOTE_ADDR", "127.0.0.1")
    previous = headers.get("X-Forwarded-For")
    headers["X-Forwarded-For"] = f"{previous}, {client}" if previous else client  # ALB's default "append"
    headers["X-Forwarded-Proto"] = listener_protocol.lower()
    headers["X-Forwarded-Port"] = str(listener_port)
    if "X-Amzn-Trace-Id" not in headers:
        headers["X-Amzn-Trace-Id"] = f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]}"
    return headers


def read_body(environ) -> bytes:
    stream = environ["wsgi.input"]
    length = environ.get("CONTENT_LENGTH")
    if length:
        return stream.read(int(length))
    if environ.get("wsgi.input_terminated") or environ.get("HTTP_TRANSFER_ENCODING", "").lower() == "chunked":
        return stream.read()
    return b""


class StreamedResponse:
    """WSGI iterable over the target's body; `close()` (called by the server) frees the target."""

    def __init__(self, response: urllib3.BaseHTTPResponse, done: Callable[[], None]):
        self._response = response
        self._done = done
        self._closed = False

    def __iter__(self) -> Iterable[bytes]:
        try:
            yield from self._response.stream(64 * 1024, decode_content=False)
        except urllib3.exceptions.HTTPError:
            return  # the target dropped mid-body; the client sees a short response, as with ALB

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            self._response.release_conn()
        finally:
            self._done()


class TargetProxy:
    def __init__(self, pool_size: int = 32):
        self._pools: dict[tuple[str, int], urllib3.HTTPConnectionPool] = {}
        self._lock = threading.Lock()
        self._pool_size = pool_size

    def _pool(self, host: str, port: int) -> urllib3.HTTPConnectionPool:
        key = (host, port)
        pool = self._pools.get(key)
        if pool is None:
            with self._lock:
                pool = self._pools.get(key)
                if pool is None:
                    pool = urllib3.HTTPConnectionPool(host, port, maxsize=self._pool_size, block=False, retries=False)
                    self._pools[key] = pool
        return pool

    def forward(self, address: tuple[str, int], method: str, path: str, headers: dict[str, str],
                body: bytes, timeout: float) -> urllib3.BaseHTTPResponse:
        host, port = address
        try:
            return self._pool(host, port).urlopen(
                method, path, body=body or None, headers=headers, retries=False, redirect=False,
                preload_content=False, decode_content=False, assert_same_host=False,
                timeout=urllib3.Timeout(connect=min(timeout, 10.0), read=timeout),
            )
        except urllib3.exceptions.NewConnectionError as exc:  # refused (subclasses ConnectTimeoutError)
            raise UnreachableTarget(502, f"target {host}:{port} refused the connection: {exc}") from None
        except (urllib3.exceptions.ReadTimeoutError, urllib3.exceptions.ConnectTimeoutError) as exc:
            raise UnreachableTarget(504, f"target {host}:{port} timed out: {exc}") from None
        except urllib3.exceptions.HTTPError as exc:
            raise UnreachableTarget(502, f"target {host}:{port} failed: {exc}") from None

    def close(self) -> None:
        with self._lock:
            pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            pool.close()


def response_headers(response: urllib3.BaseHTTPResponse) -> list[tuple[str, str]]:
    return [(k, v) for k, v in response.headers.iteritems() if k.lower() not in HOP_BY_HOP]
