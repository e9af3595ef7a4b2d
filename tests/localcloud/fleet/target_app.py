"""The application a test runs 'on' an instance: serves on $APP_PORT what EC2 serves on port 80.

Behaviour is steered by files in $INSTANCE_ROOT, the way a real deployment would change it:
`unhealthy` -> /health answers 500; `hang` -> /health answers after 5 s. `/slow?seconds=N`
answers after N seconds; `/status/<code>` answers <code>. Every other path echoes what the load balancer forwarded.
"""
import json
import os
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

ROOT = Path(os.environ["INSTANCE_ROOT"])
INSTANCE = os.environ["INSTANCE_ID"]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as a production server would
    disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms delayed-ACK stall

    def _send(self, status, body: bytes, content_type="application/json"):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _answer(self):
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if url.path == "/health":
            if (ROOT / "hang").exists():
                time.sleep(5)
            status = 500 if (ROOT / "unhealthy").exists() else 200
            return self._send(status, b"ok" if status == 200 else b"broken", "text/plain")
        if url.path.startswith("/status/") and url.path[8:].isdigit():
            return self._send(int(url.path[8:]), b"as asked", "text/plain")
        if url.path == "/slow":
            time.sleep(float(parse_qs(url.query).get("seconds", ["1"])[0]))
        payload = {"instance": INSTANCE, "method": self.command, "path": url.path, "query": url.query,
                   "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body.decode()}
        self._send(200, json.dumps(payload).encode())

    do_GET = do_POST = do_PUT = do_DELETE = _answer

    def log_message(self, *args):
        pass


ThreadingHTTPServer(("127.0.0.1", int(os.environ["APP_PORT"])), Handler).serve_forever()
