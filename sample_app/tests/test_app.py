"""The app's own tests: CodeBuild runs them as the pipeline's gate (a failing test stops the
release before Approval). They pass their own settings, so a bad deploy-time settings.json is
NOT caught here — that is the load balancer's and ValidateService's job."""
import json
import re
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from app.server import SITE_DIR, load_settings, make_server

VERSION = re.compile(r"awscicd demo app — v\d+")


@pytest.fixture
def serve():
    servers = []

    def start(settings):
        server = make_server(0, settings, bind="127.0.0.1")
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_index_names_a_version():
    assert VERSION.search((SITE_DIR / "index.html").read_text(encoding="utf-8"))


def test_index_is_served(serve):
    status, body = get(serve({"index_status": 200, "health_status": 200, "proxied_index_status": 200}) + "/")
    assert status == 200
    assert VERSION.search(body)


def test_health_answers_its_setting(serve):
    base = serve({"index_status": 200, "health_status": 503})
    assert get(base + "/health")[0] == 503


def test_requests_through_the_load_balancer_get_their_own_status(serve):
    base = serve({"index_status": 200, "health_status": 200, "proxied_index_status": 500})
    assert get(base + "/")[0] == 200  # a hook's local check
    forwarded = urllib.request.Request(base + "/", headers={"X-Forwarded-For": "203.0.113.7"})
    try:
        urllib.request.urlopen(forwarded, timeout=5)
        status = 200
    except urllib.error.HTTPError as error:
        status = error.code
    assert status == 500


def test_unknown_path_is_404(serve):
    assert get(serve({"index_status": 200, "health_status": 200}) + "/nope")[0] == 404


def test_settings_file_is_valid_json_with_both_keys(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"index_status": 500}))
    assert load_settings(path) == {"index_status": 500, "health_status": 200, "proxied_index_status": 200}


def test_index_shows_the_internal_packages_greeting(serve):
    from demo_greeting import __version__, greeting

    status, body = get(serve({"index_status": 200, "health_status": 200}) + "/")
    assert status == 200
    assert f'<p class="greeting">{greeting()}</p>' in body and __version__ in body
