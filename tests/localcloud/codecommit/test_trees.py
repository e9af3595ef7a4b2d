"""Unit tests for path rules and tree edits (no server)."""
from __future__ import annotations

import pytest
from dulwich.object_store import MemoryObjectStore
from dulwich.objects import Blob

from localcloud.aws import AWSError
from localcloud.codecommit import trees
from localcloud.codecommit.state_change import reference_detail


@pytest.mark.parametrize("raw, parts", [("a/b.txt", ("a", "b.txt")), ("/a//b.txt", ("a", "b.txt")),
                                         ("./a/./b", ("a", "b"))])
def test_split_path(raw, parts):
    assert trees.split_path(raw) == parts


@pytest.mark.parametrize("raw", ["..", "../a", "a/../../b", "a/..", ".git/config", "a/.GIT/x", "/", "a\0b",
                                 "x" * 4097, "/".join(["d"] * 22)])
def test_split_path_refuses(raw):
    with pytest.raises(AWSError) as exc:
        trees.split_path(raw)
    assert exc.value.code == "InvalidPathException"


def test_split_path_required_and_root():
    with pytest.raises(AWSError) as exc:
        trees.split_path("")
    assert exc.value.code == "PathRequiredException"
    assert trees.split_path("/", allow_root=True) == ()
    assert trees.split_path("", allow_root=True) == ()


def _blob(store, data: bytes) -> bytes:
    blob = Blob.from_string(data)
    store.add_object(blob)
    return blob.id


def test_apply_writes_and_deletes_nested_paths():
    store = MemoryObjectStore()
    one = _blob(store, b"1")
    root = trees.apply(store, None, {("a", "b", "c.txt"): (trees.MODE_NORMAL, one), ("top",): (trees.MODE_EXECUTABLE, one)})
    assert trees.lookup(store, root, ("a", "b", "c.txt")) == (trees.MODE_NORMAL, one)
    assert [e.path for e in trees.walk_files(store, root)] == [("a", "b", "c.txt"), ("top",)]
    pruned = trees.apply(store, root, {("a", "b", "c.txt"): None})
    assert trees.lookup(store, pruned, ("a",)) is None          # empty folders disappear
    kept = trees.apply(store, root, {("a", "b", "c.txt"): None}, keep_empty_folders=True)
    assert trees.lookup(store, kept, ("a", "b", ".gitkeep")) is not None


def test_apply_conflicts():
    store = MemoryObjectStore()
    one = _blob(store, b"1")
    root = trees.apply(store, None, {("a", "b"): (trees.MODE_NORMAL, one)})
    with pytest.raises(AWSError) as exc:
        trees.apply(store, root, {("a",): (trees.MODE_NORMAL, one)})
    assert exc.value.code == "FileNameConflictsWithDirectoryNameException"
    with pytest.raises(AWSError) as exc:
        trees.apply(store, root, {("a", "b", "c"): (trees.MODE_NORMAL, one)})
    assert exc.value.code == "DirectoryNameConflictsWithFileNameException"


class _Repo:
    name, repository_id = "r", "id-1"


def test_reference_detail_shapes():
    created = reference_detail(_Repo, b"refs/heads/main", None, "b" * 40)
    assert created["event"] == "referenceCreated" and "oldCommitId" not in created
    updated = reference_detail(_Repo, b"refs/heads/main", "a" * 40, "b" * 40)
    assert (updated["event"], updated["commitId"], updated["oldCommitId"]) == ("referenceUpdated", "b" * 40, "a" * 40)
    deleted = reference_detail(_Repo, b"refs/heads/feature/x", "a" * 40, None)
    assert deleted["event"] == "referenceDeleted" and "commitId" not in deleted
    assert deleted["referenceName"] == "feature/x" and deleted["referenceFullName"] == "refs/heads/feature/x"
    assert reference_detail(_Repo, b"refs/tags/v1", None, "c" * 40)["referenceType"] == "tag"
    assert reference_detail(_Repo, b"refs/notes/commits", None, "c" * 40) is None
