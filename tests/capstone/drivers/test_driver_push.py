"""push.py with the real git CLI against a bare repository (the protocol-independent part;
the localcloud/CodeCommit path is covered in test_driver_pipeline.py)."""
from __future__ import annotations

import subprocess

import pytest

from capstone.drivers.push import GitError, WorkingCopy


def git(*args, cwd):
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def remote(tmp_path):
    bare = tmp_path / "remote.git"
    git("init", "--quiet", "--bare", "--initial-branch=main", str(bare), cwd=tmp_path)
    seed = tmp_path / "seed"
    git("init", "--quiet", "--initial-branch=main", str(seed), cwd=tmp_path)
    (seed / "index.html").write_text("awscicd demo app \u2014 v2\n")
    (seed / "app").mkdir()
    (seed / "app" / "settings.json").write_text('{"index_status": 200}\n')
    git("add", "-A", cwd=seed)
    git("-c", "user.name=seed", "-c", "user.email=seed@x", "commit", "--quiet", "-m", "baseline", cwd=seed)
    git("push", "--quiet", str(bare), "main", cwd=seed)
    return bare


def repo(remote, tmp_path, name="work"):
    return WorkingCopy(str(remote), {}, tmp_path / name, log=lambda line: None)


def remote_file(remote, path, ref="main"):
    return git("show", f"{ref}:{path}", cwd=remote)


def test_push_changes_deletes_and_returns_the_pushed_commit(remote, tmp_path):
    r = repo(remote, tmp_path)
    commit = r.push({"index.html": "awscicd demo app \u2014 v3\n", "tests/test_new.py": "def test(): pass\n",
                     "app/settings.json": None}, "Release v3")
    assert git("rev-parse", "main", cwd=remote) == commit
    assert remote_file(remote, "index.html") == "awscicd demo app \u2014 v3"
    assert "test_new.py" in git("ls-tree", "-r", "--name-only", "main", cwd=remote)
    assert "app/settings.json" not in git("ls-tree", "-r", "--name-only", "main", cwd=remote)
    assert git("log", "-1", "--format=%s|%an", "main", cwd=remote) == "Release v3|capstone scenarios"


def test_push_with_a_callable_builds_on_what_others_pushed(remote, tmp_path):
    first, second = repo(remote, tmp_path, "a"), repo(remote, tmp_path, "b")
    first.push({"a.txt": "a"}, "one")
    second.sync()
    first.push({"b.txt": "b"}, "two")  # second's clone is now behind: push must sync first

    def bump(tree):
        (tree / "c.txt").write_text((tree / "a.txt").read_text() + (tree / "b.txt").read_text())

    commit = second.push(bump, "three")
    assert remote_file(remote, "c.txt") == "ab"
    assert git("rev-list", "--count", commit, cwd=remote) == "4"


def test_revert_restores_the_previous_content(remote, tmp_path):
    r = repo(remote, tmp_path)
    bad = r.push({"app/settings.json": '{"index_status": 500}\n'}, "Break the index page")
    fix = r.revert(bad)
    assert fix != bad
    assert remote_file(remote, "app/settings.json") == '{"index_status": 200}'
    assert git("log", "-1", "--format=%s", "main", cwd=remote).startswith('Revert "Break the index page"')


def test_bad_changes_fail_before_anything_is_pushed(remote, tmp_path):
    r = repo(remote, tmp_path)
    head = git("rev-parse", "main", cwd=remote)
    with pytest.raises(ValueError, match="relative paths"):
        r.push({"../escape.txt": "x"}, "escape")
    with pytest.raises(ValueError, match="relative paths"):
        r.push({".git/config": "x"}, "tamper")
    with pytest.raises(ValueError, match="changes nothing"):
        r.push({"index.html": "awscicd demo app \u2014 v2\n"}, "no-op")
    with pytest.raises(ValueError, match="does not exist"):
        r.push({"missing.txt": None}, "delete nothing")
    with pytest.raises(ValueError, match="message"):
        r.push({"x.txt": "x"}, "  ")
    assert git("rev-parse", "main", cwd=remote) == head


def test_git_failures_name_the_command_and_git_s_words(tmp_path):
    r = WorkingCopy(str(tmp_path / "no-such-remote.git"), {}, tmp_path / "w", log=lambda line: None)
    with pytest.raises(GitError, match=r"`git clone .*` failed \(exit 128\): .*(does not exist|not a git repository|Could not read)"):
        r.sync()
