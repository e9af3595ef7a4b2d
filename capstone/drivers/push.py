"""Push a change to the repository's main branch with the git CLI, as a developer does.

Offline the clone URL is localcloud's git endpoint, live it is CodeCommit's HTTPS URL; how git
authenticates is the target's business (`Target.git_env()`), so this code is the same for both.

    repo = WorkingCopy(env.repository_clone_url, env.target.git_env(), workdir)
    commit = repo.push({"index.html": "...v3...", "old.txt": None}, "Release v3")
    repo.revert(commit)
"""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path, PurePosixPath
from typing import Callable, Mapping, Union

from capstone import evidence

Change = Union[Callable[[Path], None], Mapping[str, Union[str, bytes, None]]]

AUTHOR = ("capstone scenarios", "scenarios@capstone.invalid")


class GitError(RuntimeError):
    """A git command failed; the message has the command and git's own words."""


class WorkingCopy:
    """A working clone of one branch, synced to the remote before every change."""

    def __init__(self, clone_url: str, git_env: Mapping[str, str], workdir: str | Path, *,
                 branch: str = "main", author: tuple[str, str] = AUTHOR,
                 log: Callable[[str], None] | None = None, timeout: float = 120.0):
        self.clone_url = clone_url
        self.branch = branch
        self.workdir = Path(workdir)
        self.timeout = timeout
        self._log = log or (lambda line: print(line, flush=True))
        name, email = author
        # Target.git_env() is a complete environment (it drops the caller's GIT_*/AWS_* on
        # purpose); a partial one (no PATH) is laid over ours.
        base = dict(git_env) if "PATH" in git_env else {**os.environ, **dict(git_env)}
        self.env = {**base, "GIT_TERMINAL_PROMPT": "0",
                    "GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": email,
                    "GIT_COMMITTER_NAME": name, "GIT_COMMITTER_EMAIL": email}

    # -- git ----------------------------------------------------------------------------------
    def git(self, *args: str, cwd: Path | None = None) -> str:
        cmd = ["git", *args]
        try:
            done = subprocess.run(cmd, cwd=cwd or self.workdir, env=self.env, capture_output=True,
                                  text=True, timeout=self.timeout)
        except subprocess.TimeoutExpired as exc:
            raise GitError(f"`git {' '.join(args)}` did not finish in {self.timeout:.0f}s") from exc
        if done.returncode != 0:
            raise GitError(f"`git {' '.join(args)}` failed (exit {done.returncode}): "
                           f"{(done.stderr or done.stdout).strip()}")
        return done.stdout.strip()

    def sync(self) -> str:
        """Clone on first use, then fetch and reset to the remote branch; returns its head."""
        if not (self.workdir / ".git").is_dir():
            if self.workdir.exists():
                shutil.rmtree(self.workdir)
            self.workdir.parent.mkdir(parents=True, exist_ok=True)
            self.git("clone", "--quiet", "--branch", self.branch, self.clone_url, str(self.workdir),
                     cwd=self.workdir.parent)
        else:
            self.git("fetch", "--quiet", "origin", self.branch)
            self.git("reset", "--quiet", "--hard", f"origin/{self.branch}")
            self.git("clean", "-fdq")
        return self.git("rev-parse", "HEAD")

    def read(self, path: str) -> str:
        """A file of the branch as last synced."""
        return (self.workdir / _relative(path)).read_text(encoding="utf-8")

    # -- what a developer does ----------------------------------------------------------------
    def push(self, change: Change, message: str) -> str:
        """Apply `change` on top of the remote branch, commit, push; returns the commit id."""
        if not message.strip():
            raise ValueError("a commit needs a message")
        if not callable(change) and not isinstance(change, Mapping):
            raise TypeError(f"a change is a callable(worktree) or a mapping path -> content/None, got {type(change).__name__}")
        if isinstance(change, Mapping):
            for path in change:
                _relative(path)  # bad paths fail before anything is cloned or written
        parent = self.sync()
        if callable(change):
            change(self.workdir)
        else:
            _apply(self.workdir, change)
        self.git("add", "--all")
        changed = self.git("diff", "--cached", "--name-only").splitlines()
        if not changed:
            raise ValueError(f"the change for {message!r} changes nothing on {self.branch} at {parent[:12]}")
        self.git("commit", "--quiet", "-m", message)
        return self._push(message, parent, changed)

    def revert(self, commit: str, message: str | None = None) -> str:
        """Commit the inverse of `commit` on top of the remote branch and push it."""
        parent = self.sync()
        try:
            self.git("revert", "--no-edit", commit)
        except GitError as exc:
            if (self.workdir / ".git" / "REVERT_HEAD").exists():
                self.git("revert", "--abort")
            raise GitError(f"cannot revert {commit[:12]} on {self.branch} at {parent[:12]}: {exc}") from exc
        if message:
            self.git("commit", "--quiet", "--amend", "-m", message)
        changed = self.git("diff", "--name-only", "HEAD~1", "HEAD").splitlines()
        subject = self.git("log", "-1", "--format=%s")
        return self._push(subject, parent, changed)

    def _push(self, message: str, parent: str, changed: list[str]) -> str:
        commit = self.git("rev-parse", "HEAD")
        self.git("push", "--quiet", "origin", f"HEAD:refs/heads/{self.branch}")
        self._log(f"[push] {commit[:12]} on {self.branch} (parent {parent[:12]}): {message} "
                  f"[{', '.join(changed)}]")
        evidence.event("push", commit=commit, parent=parent, branch=self.branch, message=message, files=changed)
        return commit


def _relative(path: str) -> PurePosixPath:
    rel = PurePosixPath(path)
    if rel.is_absolute() or not rel.parts or ".." in rel.parts or rel.parts[0] == ".git":
        raise ValueError(f"change paths are relative paths inside the repository, got {path!r}")
    return rel


def _apply(root: Path, change: Mapping[str, str | bytes | None]) -> None:
    for path, content in change.items():
        target = root / _relative(path)
        if content is None:
            if not target.exists():
                raise ValueError(f"cannot delete {path}: it does not exist on the branch")
            target.unlink()
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
