"""Compose moto, the router and the providers into one loopback endpoint, and run it."""
from __future__ import annotations

import importlib
import json
import logging
import os
import shutil
import subprocess
import tempfile
import threading
import uuid
from pathlib import Path
from typing import Callable, TypeVar

from localcloud.aws import DEFAULT_ACCOUNT_ID, DEFAULT_REGION
from localcloud import watchdog
from localcloud.clock import Clock
from localcloud.iam import propagation
from localcloud.iam.authorizer import Authorizer
from localcloud.processes import alive, kill_owner
from localcloud.sandbox import Sandboxes
from localcloud.services import Services
from localcloud.settings import Settings

log = logging.getLogger("localcloud")

T = TypeVar("T")

# Each module exposes `create(cloud) -> Provider`; a provider builds its door as `.contract`.
# Providers reach each other only through `cloud.services`, built once every provider exists.
PROVIDER_MODULES = (
    "localcloud.events.provider",
    "localcloud.codecommit.provider",
    "localcloud.autoscaling.provider",
    "localcloud.fleet.provider",
    "localcloud.cloudwatch.provider",
    "localcloud.codebuild.provider",
    "localcloud.codedeploy.provider",
    "localcloud.codepipeline.provider",
    "localcloud.codeartifact.provider",
    "localcloud.iam.provider",  # only GET /_localcloud/iam/authorizations; IAM itself is moto's
    "localcloud.sts.provider",  # only AssumeRole, through STS's door (the trust check); the rest is moto's
)

OWNER_FILE = "localcloud.owner"   # the running localcloud's token and pid, in its state directory


TEST_ACCESS_KEY_ID = "testing"
TEST_SECRET_ACCESS_KEY = "testing"


class LocalCloud:
    """One localcloud endpoint on 127.0.0.1.

    >>> with LocalCloud(port=0, settings=Settings(time_scale=0.05)) as cloud:
    ...     boto3.client("codecommit", endpoint_url=cloud.url, ...)

    `settings` defaults to `Settings.from_env()`; it is the only source of localcloud's knobs.
    """

    host = "127.0.0.1"  # never another interface: localcloud accepts any credentials

    def __init__(self, port: int = 0, state_dir: str | Path | None = None, settings: Settings | None = None):
        self.requested_port = port
        self._own_state_dir = state_dir is None
        self.state_dir = Path(state_dir) if state_dir else Path(tempfile.mkdtemp(prefix="localcloud-"))
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.settings = settings if settings is not None else Settings.from_env()
        self.clock = Clock(self.settings.time_scale)
        self.account_id = DEFAULT_ACCOUNT_ID
        self.region = DEFAULT_REGION
        self.token = uuid.uuid4().hex[:12]  # marks every process this instance starts
        # where builds and instances run (docs/sandbox.md); mandatory mode fails here, at once
        self.sandboxes = Sandboxes(self.settings.sandbox, marker_prefix=self.token + "/")
        self.sandboxes.check()
        self.providers: dict[str, object] = {}
        self.generation = 0  # resets so far (see reset)
        self._reset_lock = threading.Lock()
        # IAM as the services and role sessions see it: `propagation_delay` behind (read live, so
        # a test may change the setting); moto's IAM writes are recorded from here on.
        propagation.install()
        self.iam_view = propagation.IAMView(propagation.RECORD,
                                            lambda: self.clock.scaled(self.settings.iam.propagation_delay))
        propagation.RECORD.keep_for(self.iam_view.delay)
        # Every call through a door is authorized here (see iam/authorizer.py); built before the
        # providers, which hand it to their doors.
        self.authorizer = Authorizer(enforce=self.settings.iam.enforce, iam=self.iam_view)
        self.services: Services | None = None
        self._server = None
        self._thread: threading.Thread | None = None
        self._clients: dict[tuple[str, str], object] = {}
        self._clients_lock = threading.Lock()
        self.port: int | None = None

    # -- composition --------------------------------------------------------------------------
    def _build(self):
        from localcloud.moto_app import create_moto_app
        from localcloud.router import Router
        from localcloud.iam import managed_policies

        from localcloud.s3 import moto_hooks as s3_hooks

        managed_policies.install()  # before moto makes its first IAM backend: cheap resets
        s3_hooks.install()  # S3's default encryption (SSE-S3) on every bucket

        self.router = Router(self, create_moto_app())
        for module_name in PROVIDER_MODULES:
            provider = importlib.import_module(module_name).create(self)
            key = module_name.split(".")[1]
            self.providers[key] = provider
            self.router.add(provider)
        self.services = self._services()
        return self.router

    def _services(self) -> Services:
        """The typed registry of doors: ours from the providers, moto's services' built here."""
        from localcloud import moto_doors

        ours = {name: provider.contract for name, provider in self.providers.items() if hasattr(provider, "contract")}
        doors = moto_doors.build(self.authorizer, self.account_id, self.region, self.iam_view)
        return Services(authorizer=self.authorizer, codecommit=ours["codecommit"], codebuild=ours["codebuild"],
                        codedeploy=ours["codedeploy"], codepipeline=ours["codepipeline"], events=ours["events"],
                        fleet=ours["fleet"], codeartifact=ours["codeartifact"], **doors.as_kwargs())

    def provider(self, name: str):
        """The provider of a localcloud package, e.g. cloud.provider("codebuild"): for tests and
        benchmarks that look inside; providers themselves use `services`."""
        return self.providers[name]

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def owner(self, kind: str, ident: str) -> str:
        """The process-marker owner for something this instance runs (see processes.py)."""
        return f"{self.token}/{kind}/{ident}"

    def endpoint_env(self, region: str | None = None) -> dict[str, str]:
        """Environment that points AWS tools (CLI, boto3) inside builds and hooks at this
        endpoint, with the Region when given. No credentials: as on AWS, a build gets its
        service role's from CodeBuild's container credentials endpoint and an instance its
        profile role's from its metadata service."""
        env = {"AWS_ENDPOINT_URL": self.url}
        if region:
            env.update(AWS_REGION=region, AWS_DEFAULT_REGION=region)
        return env

    def client(self, service: str, region: str | None = None):
        """A boto3 client for this endpoint, as a user makes one (tests, fixtures, benchmarks).
        Providers never use it: they reach each other through `services`.
        Made once per service and Region: building one costs tens of milliseconds of CPU, and
        boto3 clients are safe to share between threads."""
        import boto3
        from botocore.config import Config

        if self.port is None:
            raise RuntimeError("localcloud has no port yet: start() it before making clients")
        key = (service, region or self.region)
        with self._clients_lock:
            client = self._clients.get(key)
            if client is None:
                client = self._clients[key] = boto3.session.Session().client(
                    service,
                    endpoint_url=self.url,
                    region_name=key[1],
                    aws_access_key_id=TEST_ACCESS_KEY_ID,
                    aws_secret_access_key=TEST_SECRET_ACCESS_KEY,
                    config=Config(retries={"max_attempts": 2, "mode": "standard"}, connect_timeout=5,
                                  read_timeout=60, max_pool_connections=50),
                )
            return client

    # -- lifecycle ----------------------------------------------------------------------------
    def start(self) -> "LocalCloud":
        from werkzeug.serving import make_server

        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self._reap_predecessor()
        self._watchdog, self._watchdog_fd = watchdog.start(self.token)
        (self.state_dir / OWNER_FILE).write_text(json.dumps({"token": self.token, "pid": os.getpid()}))
        app = self._build()
        self._server = make_server(self.host, self.requested_port, app, threaded=True)
        self.port = self._server.server_port
        for provider in self.providers.values():
            provider.start()
        self._thread = threading.Thread(target=self._server.serve_forever, name="localcloud-http", daemon=True)
        self._thread.start()
        log.info("localcloud ready at %s", self.url)
        return self

    def reset(self, reset_moto: Callable[[], T]) -> T:
        """A reset that is atomic: no delivery, build or deployment that started before it
        touches the state after it. Resets run one at a time:

        1. every provider quiesces (EventBridge stops taking events and waits for the delivery
           in flight), so nothing new starts while the others stop;
        2. the providers reset in reverse order, the services that start work in others
           (CodePipeline, CodeDeploy, CodeBuild) before those they use (the fleet, EventBridge);
           each stops its own work (joining its threads, bounded) before it forgets its state;
        3. moto resets (`reset_moto`, whose answer is returned);
        4. every provider resumes.

        `generation` counts the resets: work queued on a thread of its own records it and is
        dropped when it has changed."""
        with self._reset_lock:
            self.generation += 1
            try:
                for provider in self.providers.values():
                    provider.quiesce()
                for provider in reversed(list(self.providers.values())):
                    provider.reset()
                propagation.RECORD.clear()  # moto's IAM is reset next: its history goes with it
                return reset_moto()
            finally:
                for provider in self.providers.values():
                    provider.resume()

    def reset_providers(self) -> None:
        """Reset localcloud's providers only (moto keeps its state)."""
        self.reset(lambda: None)

    def stop(self) -> None:
        for provider in reversed(list(self.providers.values())):
            try:
                provider.stop()
            except Exception:  # keep stopping the others
                log.exception("provider %s failed to stop", type(provider).__name__)
        self.sandboxes.close()  # the warm spares
        kill_owner(self.token + "/", prefix=True)
        self._stop_watchdog()
        self._forget_owner_file()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._own_state_dir:
            shutil.rmtree(self.state_dir, ignore_errors=True)

    def _reap_predecessor(self) -> int:
        """A localcloud killed on this state directory (SIGKILL, a crash) may have left processes
        its watchdog has not stopped yet (or could not: it was killed too). Stop them now, unless
        that localcloud is still alive."""
        try:
            previous = json.loads((self.state_dir / OWNER_FILE).read_text())
            token, pid = str(previous["token"]), int(previous["pid"])
        except (OSError, ValueError, KeyError, TypeError):
            return 0
        if alive(pid):  # (this process too: a cloud in it still runs on this directory)
            return 0
        reaped = kill_owner(token + "/", prefix=True)
        if reaped:
            log.warning("reaped %d process(es) a stopped localcloud left running on %s", reaped, self.state_dir)
        return reaped

    def _forget_owner_file(self) -> None:
        path = self.state_dir / OWNER_FILE
        try:
            if json.loads(path.read_text()).get("token") == self.token:
                path.unlink()
        except (OSError, ValueError, AttributeError):
            pass

    def _stop_watchdog(self) -> None:
        fd, self._watchdog_fd = getattr(self, "_watchdog_fd", None), None
        if fd is not None:
            os.close(fd)  # EOF: the watchdog finds nothing left and exits
            try:
                self._watchdog.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._watchdog.kill()

    def __enter__(self) -> "LocalCloud":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
