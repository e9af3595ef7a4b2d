"""Who ran what, where and with which versions: the run metadata of the audit report, and the
Allure environment.properties / executor.json files built from it."""
from __future__ import annotations

import getpass
import os
import platform
import socket
import subprocess
from datetime import datetime, timezone
from importlib import metadata as pkg_metadata
from pathlib import Path
from typing import Any

from capstone.evidence.scrub import mask_account

# The suite's dependencies whose versions an auditor may ask about.
DEPENDENCIES = ("boto3", "botocore", "awscli", "moto", "dulwich", "pytest", "pytest-xdist",
                "allure-pytest", "requests", "tenacity", "PyYAML", "Jinja2")
PROJECT_DIST = "capstone-conformance"
REPO_ROOT = Path(__file__).resolve().parents[2]


def _version(dist: str) -> str | None:
    try:
        return pkg_metadata.version(dist)
    except pkg_metadata.PackageNotFoundError:
        return None


def git_commit(root: Path = REPO_ROOT) -> str | None:
    """The suite's own commit (+ '-dirty' when the work tree has changes), or None outside git."""
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True,
                              timeout=5, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                               capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return os.environ.get("GITHUB_SHA")
    return head + ("-dirty" if dirty else "")


def run_metadata(run_id: str, facts: dict[str, Any], started: float | None = None,
                 finished: float | None = None) -> dict[str, Any]:
    """facts are the run facts the session recorded (target, region, account_id, endpoint_url)."""
    def iso(t: float | None) -> str | None:
        return datetime.fromtimestamp(t, timezone.utc).isoformat(timespec="seconds") if t else None

    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = os.environ.get("GITHUB_ACTOR", "unknown")
    return {
        "run_id": run_id,
        "user": os.environ.get("GITHUB_ACTOR", user),
        "host": socket.gethostname(),
        "started": iso(started),
        "finished": iso(finished),
        "target": facts.get("target", "local"),
        "region": facts.get("region"),
        "account": mask_account(str(facts["account_id"])) if facts.get("account_id") else None,
        "endpoint_url": facts.get("endpoint_url"),
        "prefix": facts.get("prefix"),
        "suite_version": _version(PROJECT_DIST),
        "suite_commit": git_commit(),
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "dependencies": {d: _version(d) for d in DEPENDENCIES if _version(d)},
    }


def environment_properties(meta: dict[str, Any]) -> str:
    """Allure's environment.properties (java.util.Properties: key=value, one a line)."""
    rows = {"Target": meta["target"], "Region": meta.get("region") or "",
            "Endpoint" if meta.get("endpoint_url") else "Account":
                meta.get("endpoint_url") or meta.get("account") or "",
            "Run": meta["run_id"], "Suite": f"{meta.get('suite_version')} ({meta.get('suite_commit')})",
            "Python": meta["python"]}
    rows.update({f"dep.{k}": v for k, v in meta["dependencies"].items()})

    def esc(text: Any) -> str:
        return str(text).replace("\\", "\\\\").replace("\n", " ").replace("=", "\\=").replace(":", "\\:")

    return "".join(f"{k}={esc(v)}\n" for k, v in rows.items())


def executor(env: dict[str, str] | None = None) -> dict[str, Any] | None:
    """Allure executor.json when CI variables say who is executing (GitHub Actions, else generic CI)."""
    env = dict(os.environ if env is None else env)
    if env.get("GITHUB_ACTIONS") == "true":
        server = env.get("GITHUB_SERVER_URL", "https://github.com")
        repo = env.get("GITHUB_REPOSITORY", "")
        run = env.get("GITHUB_RUN_ID", "")
        url = f"{server}/{repo}/actions/runs/{run}"
        return {"name": "GitHub Actions", "type": "github", "url": f"{server}/{repo}",
                "buildOrder": int(env.get("GITHUB_RUN_NUMBER", "0") or 0),
                "buildName": f"{env.get('GITHUB_WORKFLOW', 'capstone')} #{env.get('GITHUB_RUN_NUMBER', '')}",
                "buildUrl": url, "reportUrl": url}
    if env.get("CI"):
        return {"name": env.get("CI_NAME", "CI"), "type": "ci",
                "buildName": env.get("BUILD_TAG") or env.get("CI_JOB_ID") or "ci",
                "buildUrl": env.get("BUILD_URL") or env.get("CI_JOB_URL") or ""}
    return None
