"""Unit tests for the repository registry (no server): disk layout, ref changes, reset."""
from __future__ import annotations

import pytest
from dulwich.objects import Blob, Commit, Tree

from localcloud.aws import AWSError
from localcloud.codecommit.models import CodeCommitBackend


@pytest.fixture
def backend(tmp_path):
    changes: list[tuple] = []
    b = CodeCommitBackend(tmp_path / "codecommit", "123456789012",
                          lambda repo, ref, old, new: changes.append((repo.name, ref, old, new)))
    b.changes = changes
    return b


def _commit(repo) -> bytes:
    with repo.open() as git:
        blob = Blob.from_string(b"x")
        tree = Tree()
        tree.add(b"x", 0o100644, blob.id)
        commit = Commit()
        commit.tree, commit.parents = tree.id, []
        commit.author = commit.committer = b"t <t@example.com>"
        commit.author_time = commit.commit_time = 0
        commit.author_timezone = commit.commit_timezone = 0
        commit.message = b"m"
        for obj in (blob, tree, commit):
            git.object_store.add_object(obj)
    return commit.id


def test_layout_and_names(backend, tmp_path):
    repo = backend.create("eu-west-1", "svc", None, {}, None)
    assert repo.path == tmp_path / "codecommit" / "eu-west-1" / "svc.git"
    assert (repo.path / "HEAD").exists()
    with pytest.raises(AWSError) as exc:
        backend.create("eu-west-1", "svc", None, {}, None)
    assert exc.value.code == "RepositoryNameExistsException"
    backend.create("us-east-1", "svc", None, {}, None)   # the same name in another region is another repository
    assert backend.for_git("svc", "us-east-1").region == "us-east-1"
    assert backend.for_git("svc", "ap-south-1").region == "eu-west-1"
    assert backend.for_git("other", "us-east-1") is None


def test_first_branch_becomes_default_and_every_change_is_reported(backend):
    repo = backend.create("us-east-1", "r", None, {}, None)
    sha = _commit(repo)
    assert backend.set_ref(repo, b"refs/heads/dev", None, sha)
    assert repo.default_branch == "dev"
    with repo.open() as git:
        assert git.refs.get_symrefs()[b"HEAD"] == b"refs/heads/dev"
    assert backend.set_ref(repo, b"refs/heads/main", None, sha)
    assert repo.default_branch == "dev"
    assert not backend.set_ref(repo, b"refs/heads/main", None, sha)      # already exists: compare fails
    assert backend.set_ref(repo, b"refs/heads/main", sha, None)
    assert backend.changes == [("r", b"refs/heads/dev", None, sha.decode()), ("r", b"refs/heads/main", None, sha.decode()),
                               ("r", b"refs/heads/main", sha.decode(), None)]


def test_delete_and_reset_remove_the_repositories_on_disk(backend):
    one = backend.create("us-east-1", "one", None, {}, None)
    two = backend.create("us-east-1", "two", None, {}, None)
    assert backend.delete("us-east-1", "one") == one.repository_id
    assert not one.path.exists() and backend.delete("us-east-1", "one") is None
    backend.reset()
    assert not two.path.exists() and backend.list("us-east-1") == []
