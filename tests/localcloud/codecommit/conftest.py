"""Fixtures for the CodeCommit tests: unique repositories and a git CLI that never prompts."""
from __future__ import annotations

import os
import subprocess
import uuid

import pytest


@pytest.fixture
def codecommit(aws):
    return aws("codecommit")


@pytest.fixture
def repo_name(codecommit):
    """A fresh repository name (the session's localcloud is shared); deleted afterwards."""
    name = f"repo-{uuid.uuid4().hex[:10]}"
    yield name
    codecommit.delete_repository(repositoryName=name)


@pytest.fixture
def repo(codecommit, repo_name):
    return codecommit.create_repository(repositoryName=repo_name)["repositoryMetadata"]


@pytest.fixture
def git(tmp_path):
    """git(*args, cwd=...) -> CompletedProcess; isolated from the user's git config."""
    home = tmp_path / "home"
    home.mkdir()
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_TERMINAL_PROMPT": "0",   # fail, never prompt, if a server ever asked for credentials
        "LANG": "C.UTF-8",
    }

    def run(*args, cwd=None, check=True, timeout=30):
        cmd = ["git", "-c", "user.name=Tester", "-c", "user.email=tester@example.com",
               "-c", "init.defaultBranch=main", *args]
        out = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
        if check and out.returncode != 0:
            raise AssertionError(f"git {' '.join(args)} failed ({out.returncode}): {out.stderr}")
        return out

    return run
