"""The app's internal package, as its maintainer handles it: build a wheel from an app tree and
publish it with twine to the environment's CodeArtifact repository; ask which versions are
published.

    packages = InternalPackages(target, names)
    packages.publish(tree)            # {"version": "1.0.0", ...}: built from tree/packages/demo-greeting
    packages.published()              # ["1.0.0"]

The token comes from GetAuthorizationToken and the upload URL from GetRepositoryEndpoint, both
with the domain owner (the account) and in the target's Region, so the same code publishes to
localcloud and to AWS. twine gets the token through its environment (TWINE_PASSWORD), never on a
command line, and the token is registered with the evidence so no report can show it.
Sources: https://docs.aws.amazon.com/codeartifact/latest/ug/python-configure-twine.html,
https://twine.readthedocs.io/en/stable/#environment-variables
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Callable

from capstone import evidence
from capstone.retry import is_not_found

PACKAGE = "demo-greeting"                      # the project name (PEP 503 normalised)
SOURCE = "packages/demo-greeting"              # in the app tree
MODULE = f"{SOURCE}/src/demo_greeting/__init__.py"
REQUIREMENTS = "requirements.txt"
FORMAT = "pypi"
#: the shortest token GetAuthorizationToken gives (seconds): a publish takes a few
TOKEN_SECONDS = 900

_VERSION = re.compile(r'^__version__ = "([^"]+)"$', re.M)
_PIN = re.compile(rf"^{re.escape(PACKAGE)}==(\S+)$", re.M)


def source_version(tree: Path) -> str:
    """The version the package's source in `tree` declares."""
    match = _VERSION.search((tree / MODULE).read_text(encoding="utf-8"))
    if not match:
        raise ValueError(f"{MODULE} declares no __version__")
    return match.group(1)


def required_version(tree: Path) -> str:
    """The version the app's requirements pin."""
    match = _PIN.search((tree / REQUIREMENTS).read_text(encoding="utf-8"))
    if not match:
        raise ValueError(f"{REQUIREMENTS} pins no {PACKAGE}==<version>")
    return match.group(1)


def greeting_of(version: str) -> str:
    """What the page shows with that version installed (the package's greeting())."""
    return f"Hello from {PACKAGE} {version}"


def build_wheel(tree: Path, out: Path) -> Path:
    """pip wheel of the package's source, from a copy (a build writes build/ and *.egg-info next
    to the source) and without build isolation: the pinned setuptools of this environment builds
    it, with no index asked."""
    with tempfile.TemporaryDirectory(prefix="capstone-wheel-") as tmp:
        copy = shutil.copytree(tree / SOURCE, Path(tmp) / "src", ignore=shutil.ignore_patterns("build", "*.egg-info"))
        done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                               "--disable-pip-version-check", "--wheel-dir", str(out), str(copy)],
                              capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"building {PACKAGE} failed ({done.returncode}): {(done.stdout + done.stderr)[-800:]}")
    wheels = sorted(out.glob("*.whl"))
    if len(wheels) != 1:
        raise RuntimeError(f"building {PACKAGE} gave {len(wheels)} wheels in {out}")
    return wheels[0]


class InternalPackages:
    def __init__(self, target, names, log: Callable[[str], None] = print):
        self.target = target
        self.names = names
        self.log = log
        self.codeartifact = target.client("codeartifact")

    @property
    def _where(self) -> dict:
        n = self.names
        return {"domain": n.codeartifact_domain, "domainOwner": n.account_id}

    def endpoint(self) -> str:
        return self.codeartifact.get_repository_endpoint(
            **self._where, repository=self.names.codeartifact_repository, format=FORMAT)["repositoryEndpoint"]

    def publish(self, tree: Path) -> dict:
        """Build the package in `tree` and upload it with twine; returns what was published
        ({"package", "version", "file", "bytes"})."""
        version = source_version(tree)
        with tempfile.TemporaryDirectory(prefix="capstone-dist-") as tmp:
            wheel = build_wheel(tree, Path(tmp))
            size = wheel.stat().st_size
            token = self.codeartifact.get_authorization_token(
                **self._where, durationSeconds=TOKEN_SECONDS)["authorizationToken"]
            evidence.register_secret(token)
            env = {**os.environ, "TWINE_USERNAME": "aws", "TWINE_PASSWORD": token,
                   "TWINE_REPOSITORY_URL": self.endpoint(), "TWINE_NON_INTERACTIVE": "1"}
            done = subprocess.run([sys.executable, "-m", "twine", "upload", "--disable-progress-bar", str(wheel)],
                                  env=env, capture_output=True, text=True, timeout=300)
        if done.returncode != 0:
            output = (done.stdout + done.stderr).replace(token, "***")
            raise RuntimeError(f"twine upload of {wheel.name} to {self.names.codeartifact_repository} failed "
                               f"({done.returncode}): {output[-800:]}")
        self.log(f"  published {PACKAGE} {version} ({wheel.name}) to {self.names.codeartifact_repository}")
        evidence.append("internal_packages_published", f"{PACKAGE}=={version}")
        # the cost estimate counts its storage and requests from the timeline
        evidence.event("package_published", package=PACKAGE, version=version, bytes=size,
                       repository=self.names.codeartifact_repository)
        return {"package": PACKAGE, "version": version, "file": wheel.name, "bytes": size}

    def published(self) -> list[str]:
        """The versions of the package the repository serves (status Published)."""
        try:
            pages = self.codeartifact.get_paginator("list_package_versions").paginate(
                **self._where, repository=self.names.codeartifact_repository, format=FORMAT, package=PACKAGE,
                status="Published")
            return [v["version"] for page in pages for v in page.get("versions", [])]
        except Exception as exc:
            if is_not_found(exc):  # no version of it was ever published
                return []
            raise
