"""The demo app: `/` serves index.html, `/health` answers the load balancer's health check.
Requests through the load balancer (X-Forwarded-For) get `/` with `proxied_index_status`.

Standard library plus one internal package, demo-greeting (the greeting the page shows), which
the build installs from the environment's CodeArtifact repository into vendor/ and ships with
the revision. The HTTP status of each comes from settings.json, read once at start-up,
so a deployment can ship a broken setting that the unit tests (the build gate) do not see.
On EC2 it listens on port 80 on all interfaces; in localcloud's instance runtime APP_PORT says
which loopback port stands for port 80.
"""
from __future__ import annotations

import json
import os
import sys
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

APP_DIR = Path(__file__).resolve().parent
SITE_DIR = APP_DIR.parent
VENDOR_DIR = SITE_DIR / "vendor"  # what the build installed from requirements.txt
if VENDOR_DIR.is_dir() and str(VENDOR_DIR) not in sys.path:
    sys.path.insert(0, str(VENDOR_DIR))

from demo_greeting import greeting  # noqa: E402 (found in vendor/, put on the path just above)

GREETING_MARK = "<!-- greeting -->"
# proxied_index_status: the status of `/` for requests that came through the load balancer (they
# carry X-Forwarded-For; the ALB's health checks and a hook's local check do not). A release
# can so break only for real users, after the hooks and the health checks passed.
DEFAULT_SETTINGS = {"index_status": 200, "health_status": 200, "proxied_index_status": 200}


def load_settings(path: Path = APP_DIR / "settings.json") -> dict:
    settings = dict(DEFAULT_SETTINGS)
    settings.update(json.loads(path.read_text()))
    return settings


class Handler(BaseHTTPRequestHandler):
    server_version = "awscicd-demo/1"

    def __init__(self, *args, settings: dict, site: Path, **kwargs):
        self.settings = settings
        self.site = site
        super().__init__(*args, **kwargs)

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        path = self.path.split("?", 1)[0]
        if path == "/health":
            status = int(self.settings["health_status"])
            self._send(status, b"ok\n" if status == 200 else b"unhealthy\n", "text/plain")
        elif path in ("/", "/index.html"):
            setting = "proxied_index_status" if self.headers.get("X-Forwarded-For") else "index_status"
            self._send(int(self.settings[setting]), render_index(self.site), "text/html; charset=utf-8")
        else:
            self._send(404, b"not found\n", "text/plain")

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt: str, *args) -> None:
        sys.stderr.write("%s %s\n" % (self.address_string(), fmt % args))


def render_index(site: Path) -> bytes:
    """index.html with the internal package's greeting where the page marks it."""
    page = (site / "index.html").read_text(encoding="utf-8")
    return page.replace(GREETING_MARK, f'<p class="greeting">{greeting()}</p>').encode("utf-8")


def make_server(port: int, settings: dict, site: Path = SITE_DIR, bind: str = "0.0.0.0") -> ThreadingHTTPServer:
    server = ThreadingHTTPServer((bind, port), partial(Handler, settings=settings, site=site))
    server.daemon_threads = True
    return server


def main() -> None:
    port = int(os.environ.get("APP_PORT", "80"))
    # Offline the instance is a directory on a shared machine: stay on loopback there.
    bind = "127.0.0.1" if os.environ.get("INSTANCE_ROOT") else "0.0.0.0"
    server = make_server(port, load_settings(), bind=bind)
    print(f"awscicd demo app listening on {bind}:{port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
