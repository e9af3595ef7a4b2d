"""The seam between the suite and the AWS it runs on: the ONLY place that knows local vs aws.

Four things differ, and only these (docs/architecture.md): where boto3 sends requests and with which
credentials, how `git push` authenticates, how an ALB's DNS name is reached, and whether the
authorization decisions made during the run can be read (the audit's least-privilege section).
Everything else — builders, drivers, scenarios — makes the same boto3, git and HTTP calls on both.

    local  localcloud on 127.0.0.1 (embedded per pytest worker, or a running `capstone cloud`):
           its test credentials, git with a dummy credential, the ALB through localcloud's port
           with the load balancer's DNS name in the Host header.
    aws    the AWS API with the default credential chain; `endpoint_url` points the same live
           code path at any AWS-compatible endpoint (CI runs it against a standalone
           `capstone cloud`). No authorization log: AWS keeps none the suite can read (IAM's
           last-accessed information and CloudTrail are the live equivalents).
"""
from __future__ import annotations

import os
import shutil
import sys
import threading
from dataclasses import dataclass
from functools import cached_property

import boto3
import requests
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

TARGETS = ("local", "aws")
LOCAL_ACCESS_KEY_ID = "testing"  # localcloud accepts any credentials; these say so plainly
LOCAL_SECRET_ACCESS_KEY = "testing"
DEFAULT_REGION = "us-east-1"
#: localcloud's read-only view of its authorization log (localcloud/iam/authorizations_api.py)
AUTHORIZATIONS_PATH = "/_localcloud/iam/authorizations"
AUTHORIZATIONS_PAGE = 5000


class TargetError(Exception):
    """Bad target settings (unknown target or region, no credentials): raised before anything is created."""


def _known_regions() -> set[str]:
    session = boto3.session.Session()
    regions: set[str] = set()
    for partition in session.get_available_partitions():
        regions.update(session.get_available_regions("ec2", partition_name=partition))
    return regions


def default_region() -> str:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or DEFAULT_REGION


@dataclass(frozen=True)
class Authorizations:
    """Authorization decisions the target made, oldest first."""
    #: {"sequence", "principal", "action", "resource", "allowed"} each
    decisions: list[dict]
    #: the latest decision's number when read
    last_sequence: int
    #: decisions of the asked-for span the target no longer keeps (its log is bounded)
    dropped: int


class Target:
    def __init__(self, name: str, region: str | None = None, endpoint_url: str | None = None,
                 credentials: tuple[str, str] | None = None):
        if name not in TARGETS:
            raise TargetError(f"unknown target {name!r}: choose one of {', '.join(TARGETS)}")
        region = region or default_region()
        if region not in _known_regions():
            raise TargetError(f"unknown region {region!r}: use an AWS region name such as us-east-1 or eu-west-1")
        if endpoint_url is not None and not endpoint_url.startswith(("http://", "https://")):
            raise TargetError(f"--endpoint-url must be an http(s) URL, got {endpoint_url!r}")
        if name == "local" and not endpoint_url:
            raise TargetError("the local target needs a localcloud endpoint URL (an embedded one, or `capstone cloud`'s)")
        self.name = name
        self.region = region
        self.endpoint_url = endpoint_url.rstrip("/") if endpoint_url else None
        # (access key id, secret): an identity other than the default one (capstone/operator.py)
        self._credentials = credentials
        self._clients: dict[str, object] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        who = f", as={self._credentials[0]!r}" if self._credentials else ""
        return f"Target({self.name!r}, region={self.region!r}, endpoint_url={self.endpoint_url!r}{who})"

    # -- boto3 ------------------------------------------------------------------------------
    @cached_property
    def session(self) -> boto3.session.Session:
        if self._credentials is not None or self.name == "local":
            key, secret = self._credentials or (LOCAL_ACCESS_KEY_ID, LOCAL_SECRET_ACCESS_KEY)
            return boto3.session.Session(aws_access_key_id=key, aws_secret_access_key=secret,
                                         region_name=self.region)
        return boto3.session.Session(region_name=self.region)

    def client(self, service: str, *, attempts: int = 5):
        """A boto3 client (standard/adaptive retries; cached: clients are thread-safe)."""
        key = f"{service}/{attempts}"
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                mode = "standard" if self.name == "local" else "adaptive"
                client = self.session.client(
                    service, endpoint_url=self.endpoint_url,
                    config=Config(retries={"max_attempts": attempts, "mode": mode}, connect_timeout=10,
                                  read_timeout=60, max_pool_connections=20))
                self._clients[key] = client
            return client

    def check(self) -> None:
        """Fail with a clear message if this target cannot be used (checked before anything is
        created): no credentials for aws, or an endpoint that does not answer."""
        if self.name == "aws" and self.session.get_credentials() is None:
            raise TargetError(
                "--target aws needs AWS credentials, and none were found (environment, shared config, "
                "SSO or instance role). Configure them (e.g. `aws configure` or AWS_PROFILE), or run "
                "offline with --target local.")
        try:
            self.account_id()
        except NoCredentialsError as exc:  # pragma: no cover - caught above for aws
            raise TargetError(f"no credentials for target {self.name}: {exc}") from None
        except (BotoCoreError, ClientError) as exc:
            where = self.endpoint_url or f"AWS in {self.region}"
            raise TargetError(f"cannot reach {where} with the configured credentials: {exc}") from None

    @cached_property
    def _account_id(self) -> str:
        return self.client("sts").get_caller_identity()["Account"]

    def account_id(self) -> str:
        return self._account_id

    # -- authorization decisions -------------------------------------------------------------
    @property
    def records_authorizations(self) -> bool:
        """Whether the decisions made during the run can be read: localcloud logs every one;
        live AWS (also the live path pointed at an endpoint) keeps none the suite can read."""
        return self.name == "local"

    def authorizations_mark(self) -> int | None:
        """The number of the target's latest authorization decision (None: it records none), so
        a run can later read only its own."""
        if not self.records_authorizations:
            return None
        return int(self._authorization_page(0, 0)["last_sequence"])

    def authorizations(self, since: int = 0) -> Authorizations | None:
        """Every decision numbered after `since`, read page by page; None where the target
        records none."""
        if not self.records_authorizations:
            return None
        decisions: list[dict] = []
        page = self._authorization_page(since, AUTHORIZATIONS_PAGE)
        dropped = int(page.get("dropped") or 0)
        while True:
            decisions += page["decisions"]
            if len(page["decisions"]) < AUTHORIZATIONS_PAGE:
                return Authorizations(decisions, int(page["last_sequence"]), dropped)
            page = self._authorization_page(decisions[-1]["sequence"], AUTHORIZATIONS_PAGE)

    def _authorization_page(self, since: int, limit: int) -> dict:
        answer = requests.get(f"{self.endpoint_url}{AUTHORIZATIONS_PATH}", params={"since": since, "limit": limit},
                              timeout=60)
        answer.raise_for_status()
        return answer.json()

    # -- git --------------------------------------------------------------------------------
    def git_env(self) -> dict[str, str]:
        """Environment for git CLI commands: never prompts; credentials by target.

        live AWS: the AWS CLI credential helper signs each request (UseHttpPath so the signature
        covers the repository path). An endpoint (localcloud) accepts any credentials, so a
        helper answers a dummy pair — git asks only if the server demands authentication."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "AWS_"))}
        env["PATH"] = _path_with_own_bin()
        env["GIT_TERMINAL_PROMPT"] = "0"
        env["GIT_AUTHOR_NAME"] = env["GIT_COMMITTER_NAME"] = "capstone"
        env["GIT_AUTHOR_EMAIL"] = env["GIT_COMMITTER_EMAIL"] = "capstone@example.invalid"
        config: list[tuple[str, str]] = [("credential.helper", "")]  # forget the user's helpers
        if self.endpoint_url:
            config.append(("credential.helper", "!f() { test \"$1\" = get && echo username=capstone && echo password=localcloud; }; f"))
        else:
            config.append(("credential.helper", "!aws codecommit credential-helper $@"))
            config.append(("credential.UseHttpPath", "true"))
            env.update(self._aws_env())
        config.append(("init.defaultBranch", "main"))
        env["GIT_CONFIG_COUNT"] = str(len(config))
        for i, (key, value) in enumerate(config):
            env[f"GIT_CONFIG_KEY_{i}"] = key
            env[f"GIT_CONFIG_VALUE_{i}"] = value
        return env

    def _aws_env(self) -> dict[str, str]:
        """Credentials for the AWS CLI credential helper, resolved once from our session."""
        env = {"AWS_REGION": self.region, "AWS_DEFAULT_REGION": self.region}
        creds = self.session.get_credentials()
        if creds is not None:
            frozen = creds.get_frozen_credentials()
            env["AWS_ACCESS_KEY_ID"] = frozen.access_key
            env["AWS_SECRET_ACCESS_KEY"] = frozen.secret_key
            if frozen.token:
                env["AWS_SESSION_TOKEN"] = frozen.token
        return env

    def cli_env(self) -> dict[str, str]:
        """Environment for the AWS CLI pointed at this target."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env["PATH"] = _path_with_own_bin()
        env["AWS_PAGER"] = ""
        env.update(self._aws_env())
        if self.endpoint_url:
            env["AWS_ENDPOINT_URL"] = self.endpoint_url
        return env

    # -- the load balancer ------------------------------------------------------------------
    def alb_url(self, dns_name: str, path: str = "/") -> tuple[str, dict]:
        """(url, headers) that reach the ALB `dns_name`: through the endpoint with a Host header
        (localcloud routes by it), or the DNS name itself on AWS."""
        if not path.startswith("/"):
            path = "/" + path
        if self.endpoint_url:
            return f"{self.endpoint_url}{path}", {"Host": dns_name}
        return f"http://{dns_name}{path}", {}


def _path_with_own_bin() -> str:
    """PATH with this interpreter's bin first, so `aws` (the credential helper) and `python`
    are the pinned ones."""
    own_bin = os.path.dirname(sys.executable)
    rest = [p for p in os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin").split(os.pathsep) if p and p != own_bin]
    return os.pathsep.join([own_bin, *rest])


def git_available() -> bool:
    return shutil.which("git") is not None
