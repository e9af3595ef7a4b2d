"""Commits made through the API (PutFile, CreateCommit, DeleteFile): the parent-commit rules,
author/message limits, and the atomic branch update that makes the commit visible.

The parent rules are AWS's (PutFile docs): in an empty repository no parent is needed and the
branch is created; otherwise the parent is required and must be the branch's current tip, or
the write is refused with ParentCommitIdOutdatedException - never merged silently.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from dulwich.objects import Commit, valid_hexsha
from dulwich.repo import Repo


from localcloud.codecommit.models import HEADS, CodeCommitBackend, Repository, check_branch_name
from localcloud.codecommit.exceptions import BranchDoesNotExistException, BranchNameIsTagNameException, CommitMessageLengthExceededException, InvalidEmailException, InvalidParentCommitIdException, NameLengthExceededException, ParentCommitDoesNotExistException, ParentCommitIdOutdatedException, ParentCommitIdRequiredException

MAX_FILE_SIZE = 6 * 1024 * 1024            # 6 MB per file (quotas page; the model's FileContent max)
MAX_COMMIT_CONTENT = 7 * 1024 * 1024       # "the combined file content change size is 7 MB"
MAX_MESSAGE = 256 * 1024                   # "Commit messages are limited to 256 KB"
MAX_NAME = 1024                            # quotas: user names in commits, 1-1,024 characters
MAX_EMAIL = 256                            # quotas: email addresses, 1-256 characters


@dataclass
class Base:
    """Where a new commit goes: the branch ref, its current tip (None if it is being created)."""
    ref: bytes
    head: bytes | None
    parent: Commit | None

    @property
    def tree_id(self) -> bytes | None:
        return self.parent.tree if self.parent is not None else None


def base_for(repo: Repository, git: Repo, branch: str | None, parent_commit_id: str | None) -> Base:
    ref = check_branch_name(branch)
    branches = git.refs.as_dict(HEADS)
    if (b"refs/tags/" + ref[len(HEADS):]) in git.refs:
        raise BranchNameIsTagNameException(f"The branch name {branch!r} is the name of a tag in {repo.name}.")
    if not branches:
        if parent_commit_id:
            _check_parent_format(parent_commit_id)
            raise ParentCommitDoesNotExistException(f"The parent commit ID {parent_commit_id} does not exist: {repo.name} is empty.")
        return Base(ref, None, None)
    head = branches.get(ref[len(HEADS):])
    if head is None:
        raise BranchDoesNotExistException(f"The branch {branch} does not exist in {repo.name}.")
    if not parent_commit_id:
        raise ParentCommitIdRequiredException(f"A parent commit ID is required: {repo.name} is not empty. Use GetBranch for the tip of {branch}.")
    _check_parent_format(parent_commit_id)
    parent = repo.commit(git, parent_commit_id)
    if parent is None:
        raise ParentCommitDoesNotExistException(f"The parent commit ID {parent_commit_id} does not exist.")
    if parent.id != head:
        raise ParentCommitIdOutdatedException(f"The parent commit ID {parent_commit_id} is not the current tip of branch {branch} "
                       f"({head.decode()}). Use GetBranch for the current tip.")
    return Base(ref, head, parent)


def _check_parent_format(parent_commit_id: str) -> None:
    if len(parent_commit_id) != 40 or not valid_hexsha(parent_commit_id):
        raise InvalidParentCommitIdException(f"The parent commit ID {parent_commit_id!r} is not valid.")


def identity(name: str | None, email: str | None, default_name: str) -> bytes:
    if name is not None and len(name) > MAX_NAME:
        raise NameLengthExceededException(f"The name exceeds {MAX_NAME} characters.")
    if email is not None and (len(email) > MAX_EMAIL or any(c in email for c in "<>\n\r")):
        raise InvalidEmailException(f"The email address {email[:64]!r} is not valid.")
    # git refuses these in an identity; it strips them the same way
    clean = "".join(c for c in (name or default_name) if c not in "<>\n\r").strip() or default_name
    return f"{clean} <{email or ''}>".encode()


def check_message(message: str | None) -> None:
    if message is not None and len(message.encode()) > MAX_MESSAGE:
        raise CommitMessageLengthExceededException("The commit message is longer than 256 KB.")


def commit_tree(backend: CodeCommitBackend, repo: Repository, git: Repo, base: Base, tree_id: bytes, *,
                author: bytes, message: str) -> Commit:
    """Write the commit and move the branch to it, atomically against concurrent pushes."""
    commit = Commit()
    commit.tree = tree_id
    commit.parents = [base.parent.id] if base.parent is not None else []
    commit.author = commit.committer = author
    commit.author_time = commit.commit_time = int(time.time())
    commit.author_timezone = commit.commit_timezone = 0
    commit.encoding = b"UTF-8"
    commit.message = message.encode()
    git.object_store.add_object(commit)
    if not backend.set_ref(repo, base.ref, base.head, commit.id):
        raise ParentCommitIdOutdatedException(f"The branch {base.ref[len(HEADS):].decode()} moved while the commit was made. "
                       "Use GetBranch for the current tip and try again.")
    return commit
