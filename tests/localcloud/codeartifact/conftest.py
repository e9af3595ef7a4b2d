"""Fixtures for the CodeArtifact tests: a fresh domain and repository per test (the session's
localcloud is shared), a token, role sessions with chosen policies, and an isolated HOME for
the real clients (aws, pip, twine)."""
from __future__ import annotations

import json
import os
import time
import uuid

import boto3
import pytest
import requests


@pytest.fixture
def codeartifact(aws):
    return aws("codeartifact")


@pytest.fixture
def domain(codeartifact):
    """A fresh domain name, created; its repositories and it are deleted afterwards."""
    name = f"d-{uuid.uuid4().hex[:10]}"
    codeartifact.create_domain(domain=name)
    yield name
    repos = codeartifact.list_repositories_in_domain(domain=name)["repositories"]
    # downstream repositories first: a repository that is someone's upstream refuses deletion
    pending = {r["name"] for r in repos}
    while pending:
        for repo in sorted(pending):
            try:
                codeartifact.delete_repository(domain=name, repository=repo)
                pending.discard(repo)
            except codeartifact.exceptions.ConflictException:
                continue
    codeartifact.delete_domain(domain=name)


@pytest.fixture
def repo(codeartifact, domain):
    name = f"r-{uuid.uuid4().hex[:8]}"
    codeartifact.create_repository(domain=domain, repository=name)
    return name


@pytest.fixture
def backend(localcloud):
    return localcloud.provider("codeartifact").backend


class PyPI:
    """The repository's PyPI endpoint over real HTTP, with a token."""

    def __init__(self, codeartifact, domain, repo):
        self.url = codeartifact.get_repository_endpoint(domain=domain, repository=repo, format="pypi")["repositoryEndpoint"]
        self.token = codeartifact.get_authorization_token(domain=domain)["authorizationToken"]
        self.http = requests.Session()
        self.http.auth = ("aws", self.token)

    def get(self, path: str, **kw):
        return self.http.get(self.url + path, timeout=10, allow_redirects=False, **kw)

    def upload(self, path, name=None, version=None, **fields):
        """The legacy upload API as twine calls it (form fields from the file name by default)."""
        from packaging.utils import parse_sdist_filename, parse_wheel_filename
        import hashlib

        data = path.read_bytes()
        if path.name.endswith(".whl"):
            parsed_name, parsed_version, _, _ = parse_wheel_filename(path.name)
            filetype = "bdist_wheel"
        else:
            parsed_name, parsed_version = parse_sdist_filename(path.name)
            filetype = "sdist"
        form = {":action": "file_upload", "protocol_version": "1", "metadata_version": "2.1",
                "name": name or str(parsed_name), "version": version or str(parsed_version), "filetype": filetype,
                "pyversion": "py3" if filetype == "bdist_wheel" else "source",
                "sha256_digest": hashlib.sha256(data).hexdigest(), "requires_python": ">=3.8", **fields}
        return self.http.post(self.url, data=form, files={"content": (path.name, data)}, timeout=30)


@pytest.fixture
def pypi(codeartifact, domain, repo):
    return PyPI(codeartifact, domain, repo)


@pytest.fixture
def role_session(aws, localcloud):
    """role_session(*statements) -> a boto3 Session of a role holding exactly those statements,
    used once IAM's change has reached the services (the profile's propagation delay)."""
    iam, sts = aws("iam"), aws("sts")

    def make(*statements):
        name = f"ca-{uuid.uuid4().hex[:8]}"
        trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                         "Principal": {"AWS": "arn:aws:iam::123456789012:root"}}]}
        arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
        iam.put_role_policy(RoleName=name, PolicyName="p", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": list(statements)}))
        time.sleep(localcloud.clock.scaled(localcloud.settings.iam.propagation_delay) + 0.2)
        creds = sts.assume_role(RoleArn=arn, RoleSessionName="tester", DurationSeconds=900)["Credentials"]
        return boto3.session.Session(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                                     aws_session_token=creds["SessionToken"], region_name="us-east-1"), creds

    return make


@pytest.fixture
def client_env(cli_env, tmp_path):
    """Environment for aws, pip and twine: its own HOME (login writes ~/.config/pip/pip.conf and
    ~/.pypirc there) and no machine-wide package sources, so only the CodeArtifact index answers."""
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in cli_env.items() if not k.startswith(("PIP_", "TWINE_"))}
    env.update(HOME=str(home), PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_CACHE_DIR="1", PIP_EXTRA_INDEX_URL="",
               PIP_FIND_LINKS="", PIP_CONSTRAINT="", PIP_NO_INPUT="1", PYTHONDONTWRITEBYTECODE="1")
    return env


@pytest.fixture
def venv_bin():
    import sys
    return os.path.dirname(sys.executable)
