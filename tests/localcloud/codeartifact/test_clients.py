"""The real clients, unchanged, against localcloud over HTTP: `aws codeartifact login --tool
twine|pip` configures them, `twine upload` publishes, `pip install` installs from the repository,
and a version that is not published fails pip as it would on AWS."""
from __future__ import annotations

import configparser
import os
import subprocess
import uuid

import pytest

from tests.localcloud.codeartifact import dists

pytestmark = pytest.mark.integration


def _run(env, *cmd, check=True, timeout=120):
    out = subprocess.run(list(cmd), env=env, capture_output=True, text=True, timeout=timeout)
    if check and out.returncode != 0:
        raise AssertionError(f"{' '.join(cmd[:3])} failed ({out.returncode}):\n{out.stdout}\n{out.stderr}")
    return out


def _login(env, venv_bin, tool, domain, repo):
    return _run(env, f"{venv_bin}/aws", "codeartifact", "login", "--tool", tool, "--domain", domain,
                "--domain-owner", "123456789012", "--repository", repo)


def test_login_twine_upload_login_pip_install(client_env, venv_bin, domain, repo, codeartifact, tmp_path):
    name = f"lc-greeting-{uuid.uuid4().hex[:6]}"
    module = name.replace("-", "_")
    endpoint = codeartifact.get_repository_endpoint(domain=domain, repository=repo, format="pypi")["repositoryEndpoint"]

    out = _login(client_env, venv_bin, "twine", domain, repo)
    assert f"Successfully configured twine to use AWS CodeArtifact repository {endpoint}" in out.stdout
    assert "Login expires in 12 hours" in out.stdout
    pypirc = configparser.RawConfigParser()
    pypirc.read(os.path.join(client_env["HOME"], ".pypirc"))
    assert (pypirc["codeartifact"]["repository"], pypirc["codeartifact"]["username"]) == (endpoint, "aws")

    dist = tmp_path / "dist"
    dist.mkdir()
    files = [dists.wheel(dist, name, "1.0.0", greeting="hello from 1.0.0"), dists.sdist(dist, name, "1.0.0")]
    _run(client_env, f"{venv_bin}/twine", "upload", "--repository", "codeartifact", "--non-interactive",
         "--disable-progress-bar", *map(str, files))
    assets = codeartifact.list_package_version_assets(domain=domain, repository=repo, format="pypi", package=name,
                                                      packageVersion="1.0.0")["assets"]
    assert sorted(a["name"] for a in assets) == sorted(f.name for f in files)

    out = _login(client_env, venv_bin, "pip", domain, repo)
    assert f"Successfully configured pip to use AWS CodeArtifact repository {endpoint}" in out.stdout
    target = tmp_path / "site"
    out = _run(client_env, f"{venv_bin}/pip", "install", "--target", str(target), f"{name}==1.0.0")
    assert f"Successfully installed {name}-1.0.0" in out.stdout
    assert "hello from 1.0.0" in (target / module / "__init__.py").read_text()
    # no token in what pip prints
    assert "aws:****@" in out.stdout and _token_in(client_env) not in out.stdout + out.stderr

    missing = _run(client_env, f"{venv_bin}/pip", "install", "--target", str(tmp_path / "t2"), f"{name}==2.0.0", check=False)
    assert missing.returncode != 0
    assert f"No matching distribution found for {name}==2.0.0" in missing.stderr


def _token_in(env) -> str:
    text = open(os.path.join(env["HOME"], ".config", "pip", "pip.conf")).read()
    return text.split("aws:", 1)[1].split("@", 1)[0]


def test_twine_is_refused_with_an_expired_or_foreign_token_and_nothing_is_kept(client_env, venv_bin, domain, repo,
                                                                             codeartifact, backend, tmp_path):
    name = f"lc-refused-{uuid.uuid4().hex[:6]}"
    wheel = dists.wheel(tmp_path, name, "1.0")
    env = {**client_env, "TWINE_USERNAME": "aws", "TWINE_PASSWORD": "not-a-token",
           "TWINE_REPOSITORY_URL": codeartifact.get_repository_endpoint(domain=domain, repository=repo,
                                                                        format="pypi")["repositoryEndpoint"]}
    out = _run(env, f"{venv_bin}/twine", "upload", "--non-interactive", "--disable-progress-bar", str(wheel), check=False)
    assert out.returncode != 0 and "401" in out.stdout + out.stderr
    with pytest.raises(codeartifact.exceptions.ResourceNotFoundException):
        codeartifact.list_package_versions(domain=domain, repository=repo, format="pypi", package=name)


def test_pip_with_a_bad_token_gets_401(client_env, venv_bin, domain, repo, codeartifact, tmp_path):
    endpoint = codeartifact.get_repository_endpoint(domain=domain, repository=repo, format="pypi")["repositoryEndpoint"]
    index = endpoint.replace("http://", "http://aws:wrong@") + "simple/"
    out = _run(client_env, f"{venv_bin}/pip", "install", "-vvv", "--target", str(tmp_path / "t"), "--index-url", index,
               "anything", check=False)
    assert out.returncode != 0 and "401" in out.stdout + out.stderr
