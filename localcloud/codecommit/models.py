"""CodeCommit state: repositories (metadata in memory, a real bare git repository on disk each),
their branches, and every ref change reported to one callback (which emits the EventBridge event).

Layout: <state_dir>/codecommit/<region>/<name>.git. The metadata a real repository has and git
does not (id, ARN, description, tags, dates) lives in `Repository`.
"""
from __future__ import annotations

import re
import shutil
import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from dulwich.errors import NotGitRepository
from dulwich.objects import Commit, valid_hexsha
from dulwich.refs import check_ref_format
from dulwich.repo import Repo


from localcloud.codecommit.exceptions import BranchNameRequiredException, CommitDoesNotExistException, InvalidBranchNameException, InvalidRepositoryNameException, InvalidResourceArnException, InvalidSystemTagUsageException, RepositoryDoesNotExistException, RepositoryNameExistsException, RepositoryNameRequiredException, ResourceArnRequiredException, TooManyTagsException

ZERO_SHA = b"0" * 40
HEADS = b"refs/heads/"
MAX_TAGS = 50
NAME_PATTERN = re.compile(r"[\w.-]{1,100}")

# on_ref_change(repository, ref, old_sha_or_None, new_sha_or_None)
RefListener = Callable[["Repository", bytes, "str | None", "str | None"], None]


def now() -> datetime:
    return datetime.now(timezone.utc)


def check_repository_name(name: str) -> None:
    # The model's pattern is a whole-string match in AWS (Java regex `matches`); names ending in
    # ".git" are refused by the quotas page.
    if not NAME_PATTERN.fullmatch(name) or name.lower().endswith(".git"):
        raise InvalidRepositoryNameException(f"{name!r} is not a valid repository name: use 1-100 letters, digits, '.', '_' or '-', "
                       "not ending in .git")


def check_branch_name(name: str | None) -> bytes:
    if not name:
        raise BranchNameRequiredException("A branch name is required.")
    ref = HEADS + name.encode()
    # Branch names are git refs (git-check-ref-format); a 40-hex name would shadow commit IDs.
    if len(name) > 256 or not check_ref_format(ref) or re.fullmatch(r"[0-9a-fA-F]{40}", name):
        raise InvalidBranchNameException(f"The specified reference name is not valid: {name!r}")
    return ref


def check_tags(tags: dict[str, str], existing: dict[str, str] | None = None) -> None:
    for key in tags:
        if key.lower().startswith("aws:"):
            raise InvalidSystemTagUsageException(f"The specified tag is not valid. Key names cannot be prefixed with aws:. ({key})")
    if len({**(existing or {}), **tags}) > MAX_TAGS:
        raise TooManyTagsException(f"The maximum number of tags for a repository is {MAX_TAGS}.")


@dataclass
class Repository:
    name: str
    region: str
    account_id: str
    path: Path
    description: str | None = None
    kms_key_id: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    repository_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    created: datetime = field(default_factory=now)
    last_modified: datetime = field(default_factory=now)
    default_branch: str | None = None
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    @property
    def arn(self) -> str:
        return f"arn:aws:codecommit:{self.region}:{self.account_id}:{self.name}"

    def open(self) -> Repo:
        try:
            return Repo(str(self.path))
        except NotGitRepository:
            raise RepositoryDoesNotExistException(f"{self.name} does not exist") from None

    def metadata(self, base_url: str) -> dict:
        return {
            "accountId": self.account_id,
            "repositoryId": self.repository_id,
            "repositoryName": self.name,
            "repositoryDescription": self.description,
            "defaultBranch": self.default_branch,
            "lastModifiedDate": self.last_modified,
            "creationDate": self.created,
            # Offline, git reaches the repository at localcloud's own address (see docs/codecommit.md).
            "cloneUrlHttp": f"{base_url}/v1/repos/{self.name}",
            "cloneUrlSsh": f"ssh://git-codecommit.{self.region}.amazonaws.com/v1/repos/{self.name}",
            "Arn": self.arn,
            # UNCONFIRMED: repositories without a customer key report the AWS managed key's alias.
            "kmsKeyId": self.kms_key_id or "alias/aws/codecommit",
        }

    # -- git reads ------------------------------------------------------------------------------
    def branches(self) -> dict[str, str]:
        with self.open() as git:
            refs = git.refs.as_dict(HEADS)
        return {name.decode(): sha.decode() for name, sha in refs.items()}

    def branch_head(self, branch: str) -> str | None:
        with self.open() as git:
            try:
                return git.refs[HEADS + branch.encode()].decode()
            except KeyError:
                return None

    def commit(self, git: Repo, commit_id: str) -> Commit | None:
        if not valid_hexsha(commit_id) or len(commit_id) != 40:
            return None
        try:
            obj = git.object_store[commit_id.encode()]
        except KeyError:
            return None
        return obj if isinstance(obj, Commit) else None

    def resolve(self, git: Repo, specifier: str | None) -> Commit:
        """A commitSpecifier (commit ID, branch, tag or full ref; default branch if None)."""
        if specifier is None:
            if self.default_branch is None:
                raise CommitDoesNotExistException(f"No commit was specified and the repository {self.name} has no default branch.")
            specifier = self.default_branch
        found = self.commit(git, specifier)
        if found is not None:
            return found
        for ref in (specifier.encode(), HEADS + specifier.encode(), b"refs/tags/" + specifier.encode()):
            try:
                sha = git.refs[ref]
            except (KeyError, ValueError):
                continue
            obj = git.object_store[sha]
            while not isinstance(obj, Commit) and hasattr(obj, "object"):  # annotated tag
                obj = git.object_store[obj.object[1]]
            if isinstance(obj, Commit):
                return obj
        raise CommitDoesNotExistException(f"The commit {specifier!r} does not exist in {self.name}.")


class CodeCommitBackend:
    """Every repository of one localcloud, keyed by (region, name)."""

    def __init__(self, root: Path, account_id: str, on_ref_change: RefListener):
        self.root = root
        self.account_id = account_id
        self.on_ref_change = on_ref_change
        self.repositories: dict[tuple[str, str], Repository] = {}
        self._lock = threading.Lock()

    def create(self, region: str, name: str, description: str | None, tags: dict[str, str],
               kms_key_id: str | None) -> Repository:
        check_repository_name(name)
        check_tags(tags)
        with self._lock:
            if (region, name) in self.repositories:
                raise RepositoryNameExistsException(f"Repository named {name} already exists")
            path = self.root / region / f"{name}.git"
            if path.exists():  # left by a crashed delete: the repository is gone, its files too
                shutil.rmtree(path, ignore_errors=True)
            path.parent.mkdir(parents=True, exist_ok=True)
            Repo.init_bare(str(path), mkdir=True).close()
            repo = Repository(name=name, region=region, account_id=self.account_id, path=path,
                              description=description, kms_key_id=kms_key_id, tags=dict(tags))
            self.repositories[(region, name)] = repo
            return repo

    def get(self, region: str, name: str | None) -> Repository:
        if not name:
            raise RepositoryNameRequiredException("A repository name is required.")
        check_repository_name(name)
        repo = self.repositories.get((region, name))
        if repo is None:
            raise RepositoryDoesNotExistException(f"{name} does not exist")
        return repo

    def find(self, region: str, name: str) -> Repository | None:
        return self.repositories.get((region, name))

    def for_git(self, name: str, preferred_region: str) -> Repository | None:
        """The repository a git URL names. The URL carries no region offline (AWS has it in the
        host name), so the cloud's own region wins, then the first region that has the name."""
        repo = self.repositories.get((preferred_region, name))
        if repo is not None:
            return repo
        candidates = sorted(key for key in list(self.repositories) if key[1] == name)  # snapshot: other threads write
        return self.repositories[candidates[0]] if candidates else None

    def delete(self, region: str, name: str) -> str | None:
        with self._lock:
            repo = self.repositories.pop((region, name), None)
        if repo is None:
            return None
        # Rename first: a git request racing the delete sees "not found", never a half-deleted repo.
        trash = repo.path.with_name(f".deleted-{uuid.uuid4().hex}")
        try:
            repo.path.rename(trash)
        except OSError:
            trash = repo.path
        shutil.rmtree(trash, ignore_errors=True)
        return repo.repository_id

    def list(self, region: str) -> list[Repository]:
        return [r for (reg, _), r in list(self.repositories.items()) if reg == region]

    def by_arn(self, arn: str | None) -> Repository:
        if not arn:
            raise ResourceArnRequiredException("A resource ARN is required.")
        parts = arn.split(":")
        if len(parts) != 6 or parts[:3] != ["arn", "aws", "codecommit"] or not parts[5]:
            raise InvalidResourceArnException(f"The value for the resource ARN is not valid: {arn}")
        repo = self.repositories.get((parts[3], parts[5]))
        if repo is None or parts[4] != repo.account_id:
            raise RepositoryDoesNotExistException(f"{parts[5]} does not exist")
        return repo

    def reset(self) -> None:
        with self._lock:
            repos = list(self.repositories.values())
            self.repositories.clear()
        for repo in repos:
            shutil.rmtree(repo.path, ignore_errors=True)

    # -- ref changes (API writes and git pushes both end here) -----------------------------------
    def set_ref(self, repo: Repository, ref: bytes, old: bytes | None, new: bytes | None) -> bool:
        """Compare-and-swap `ref` from `old` to `new` (None = absent); report it; False if the ref
        moved meanwhile (a concurrent push or write)."""
        with repo.open() as git:
            if new is None:
                ok = git.refs.remove_if_equals(ref, old)
            elif old is None:
                ok = git.refs.add_if_new(ref, new)
            else:
                ok = git.refs.set_if_equals(ref, old, new)
        if ok:
            self.ref_changed(repo, ref, old, new)
        return ok

    def ref_changed(self, repo: Repository, ref: bytes, old: bytes | None, new: bytes | None) -> None:
        """Book-keeping after a ref moved, whoever moved it; then tell the listener."""
        old = None if old in (None, ZERO_SHA) else old
        new = None if new in (None, ZERO_SHA) else new
        with repo.lock:
            repo.last_modified = now()
            if repo.default_branch is None and new is not None and ref.startswith(HEADS):
                # AWS: the first branch pushed or written to an empty repository becomes its default.
                self.set_default_branch(repo, ref[len(HEADS):].decode())
        self.on_ref_change(repo, ref, old.decode() if old else None, new.decode() if new else None)

    @staticmethod
    def set_default_branch(repo: Repository, branch: str) -> None:
        with repo.open() as git:
            git.refs.set_symbolic_ref(b"HEAD", HEADS + branch.encode())
        repo.default_branch = branch
