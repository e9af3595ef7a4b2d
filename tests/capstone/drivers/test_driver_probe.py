"""The zero-downtime probe against a real local HTTP server whose answers we control."""
from __future__ import annotations

import http.server
import socket
import threading
import time

import pytest

from capstone.drivers.http import parse_version
from capstone.drivers.probe import Probe, Sample, summarize


class App:
    """What the server answers: a status and a version, changeable while the probe runs."""

    def __init__(self):
        self.status, self.version, self.hosts = 200, "v2", []


@pytest.fixture
def app():
    state = App()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            state.hosts.append(self.headers.get("Host"))
            body = f"<h1>awscicd demo app \u2014 {state.version}</h1>".encode()
            self.send_response(state.status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    state.url = f"http://127.0.0.1:{server.server_port}/"
    yield state
    server.shutdown()
    server.server_close()


def quiet(_line):
    pass


def test_parse_version_reads_the_sample_app_page():
    assert parse_version("<h1>awscicd demo app \u2014 v12</h1>") == "v12"
    assert parse_version("awscicd demo app - v3") == "v3"
    assert parse_version("nothing here") is None


def test_probe_records_versions_in_order_and_no_failure(app):
    probe = Probe(app.url, {"Host": "my-alb.example"}, rate=50, log=quiet).start()
    time.sleep(0.25)
    app.version = "v3"
    time.sleep(0.25)
    summary = probe.stop()
    assert summary.total >= 10
    assert summary.versions == ["v2", "v3"]
    assert summary.failed_requests == 0
    summary.assert_no_failed_request()
    summary.assert_versions_move_forward()
    assert set(app.hosts) == {"my-alb.example"}  # the Host header reaches the ALB (offline routing)


def test_probe_counts_non_200_answers_as_failures(app):
    with Probe(app.url, rate=50, log=quiet) as probe:
        time.sleep(0.15)
        app.status = 503
        time.sleep(0.15)
        app.status = 200
        time.sleep(0.15)
    summary = probe.summary()
    assert summary.failed_requests >= 2 and summary.statuses.get("503") == summary.failed_requests
    with pytest.raises(AssertionError, match=r"zero-downtime violated: \d+ of \d+ requests .* failed: \+[\d.]+s 503"):
        summary.assert_no_failed_request()


def test_probe_counts_refused_connections_as_failures():
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with Probe(f"http://127.0.0.1:{port}/", rate=50, timeout=0.5, log=quiet) as probe:
        time.sleep(0.1)
    summary = probe.summary()
    assert summary.total >= 1 and summary.failed_requests == summary.total
    assert "ConnectionError" in summary.failures[0].error
    with pytest.raises(AssertionError, match="zero-downtime violated"):
        summary.assert_no_failed_request()


def test_probe_stops_at_its_duration_bound_and_says_so(app):
    probe = Probe(app.url, rate=50, max_seconds=0.2, log=quiet).start()
    time.sleep(0.4)
    assert not probe.running
    summary = probe.stop()
    assert summary.bounded
    with pytest.raises(AssertionError, match="stopped at its duration bound"):
        summary.assert_no_failed_request()


def test_probe_keeps_its_rate_bound(app):
    with Probe(app.url, rate=20, log=quiet) as probe:
        time.sleep(0.5)
    assert probe.summary().total <= 12  # 20 req/s for 0.5 s, plus the first


def test_probe_rejects_unbounded_settings():
    with pytest.raises(ValueError, match="rate"):
        Probe("http://127.0.0.1:1/", rate=0)
    with pytest.raises(ValueError, match="rate"):
        Probe("http://127.0.0.1:1/", rate=1000)
    with pytest.raises(ValueError, match="max_seconds"):
        Probe("http://127.0.0.1:1/", max_seconds=0)


def samples(*versions, status=200, start=1000.0):
    return [Sample(start + i * 0.1, 0.01, status, v) for i, v in enumerate(versions)]


@pytest.mark.parametrize("versions", [
    ("v2", "v2", "v3", "v3"),
    ("v2", "v3", "v2", "v3", "v2", "v3", "v3"),   # both fleets registered during the shift
    ("v4",),
])
def test_versions_moving_forward(versions):
    summary = summarize("u", samples(*versions), 1000.0, 1010.0)
    assert summary.forward_violation() is None


@pytest.mark.parametrize("versions, reason", [
    (("v3", "v3", "v2"), "v2 first appeared after v3"),
    (("v2", "v3", "v2"), "the last answer showed v2"),
    (("v2", None), "showed no version"),
])
def test_versions_going_backward_are_named(versions, reason):
    summary = summarize("u", samples(*versions), 1000.0, 1010.0)
    with pytest.raises(AssertionError, match=f"versions go backward: .*{reason}"):
        summary.assert_versions_move_forward()


def test_mixed_window_and_answers_after_a_time():
    summary = summarize("u", samples("v2", "v3", "v2", "v3", "v3"), 1000.0, 1010.0)
    assert summary.mixed_seconds() == pytest.approx(0.1)
    assert summary.answers_after(1000.25) == ["v3"]
    facts = summary.to_dict()
    assert facts["total"] == 5 and facts["failed"] == 0 and [v["version"] for v in facts["versions"]] == ["v2", "v3"]
