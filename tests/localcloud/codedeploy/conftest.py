"""Fixtures for the CodeDeploy provider tests (infrastructure built per test through the API)."""
from __future__ import annotations

import threading
import time

import pytest
import requests

from tests.localcloud.codedeploy import infra


@pytest.fixture(scope="session")
def aws(localcloud):
    """Like the session's `aws`, but one client per service: creating boto3 clients is costly."""
    clients: dict = {}
    lock = threading.Lock()

    def client(service, region=None):
        with lock:
            if (service, region) not in clients:
                clients[(service, region)] = localcloud.client(service, region)
            return clients[(service, region)]
    return client


@pytest.fixture
def env(aws):
    built = infra.build(aws)
    yield built
    infra.teardown(built)  # the fleet health-checks every target group: leave none behind


@pytest.fixture
def app_port(localcloud):
    """The loopback port an instance's app serves on (its host, through the fleet's door)."""
    from localcloud.principal import Principal

    tester = Principal.root(localcloud.account_id)
    return lambda instance_id: localcloud.services.fleet.instance_host(tester, instance_id).app_port


@pytest.fixture
def data_plane(localcloud):
    """Tests that need real target health and traffic: the fleet's ALB data plane must be there
    (without it DescribeTargetHealth would be moto's canned 'healthy')."""
    from localcloud.provider import Provider

    assert type(localcloud.provider("fleet")).host_app is not Provider.host_app, "localcloud has no ALB data plane"
    return localcloud


@pytest.fixture
def settings(localcloud):
    """The provider's settings, restored after the test (tests shorten AWS's 1 h health wait)."""
    s = localcloud.provider("codedeploy").settings
    saved = dict(vars(s))
    yield s
    vars(s).update(saved)


class Probe:
    """Continuously GETs the ALB (Terratest's ContinuouslyCheckURL): every answer is recorded."""

    def __init__(self, url: str, dns_name: str, path: str = "/version.txt"):
        self.url, self.host, self.path = url, dns_name, path
        self.results: list[tuple[int, str]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self):
        session = requests.Session()
        while not self._stop.is_set():
            try:
                r = session.get(self.url + self.path, headers={"Host": self.host}, timeout=5)
                self.results.append((r.status_code, r.text.strip()))
            except requests.RequestException as exc:
                self.results.append((0, repr(exc)))
            time.sleep(0.01)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(5)

    @property
    def failures(self):
        return [r for r in self.results if r[0] != 200]

    def versions(self) -> list[str]:
        """Versions in order of first appearance. While green and blue are both registered
        (AllowTraffic on green precedes BlockTraffic on blue) the ALB answers from both, as on
        AWS, so alternation inside that window is not going backward."""
        return list(dict.fromkeys(body for status, body in self.results if status == 200))

    def last_version(self) -> str | None:
        return next((body for status, body in reversed(self.results) if status == 200), None)


@pytest.fixture
def probe(localcloud):
    return lambda dns_name: Probe(localcloud.url, dns_name)
