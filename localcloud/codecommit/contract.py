"""CodeCommit's door: what other services do with a repository (CodePipeline's source action,
CodeBuild's CODECOMMIT source).

Each method authorizes the IAM action AWS checks for it on the repository's ARN. A missing
repository or commit raises the typed CodeCommit error AWS answers.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from localcloud.codecommit.archive import zip_tree
from localcloud.codecommit.models import CodeCommitBackend, Repository
from localcloud.contract import Contract
from localcloud.principal import Principal
from localcloud.codecommit.exceptions import CommitIdDoesNotExistException


@dataclass(frozen=True)
class RepositoryInfo:
    name: str
    arn: str
    repository_id: str
    default_branch: str | None


@dataclass(frozen=True)
class CommitInfo:
    commit_id: str
    tree_id: str
    message: str
    author_name: str
    author_email: str
    author_date: datetime
    committer_date: datetime
    parents: tuple[str, ...]


def _when(seconds: int, offset: int) -> datetime:
    return datetime.fromtimestamp(seconds, timezone(timedelta(seconds=offset)))


class CodeCommitContract(Contract):
    action_prefix = "codecommit"

    def __init__(self, authorizer, backend: CodeCommitBackend):
        super().__init__(authorizer)
        self._backend = backend

    def _repository(self, principal: Principal, action: str, region: str, name: str) -> Repository:
        arn = f"arn:aws:codecommit:{region}:{self._backend.account_id}:{name}"
        self._authorize(principal, action, arn)
        return self._backend.get(region, name)

    def get_repository(self, principal: Principal, region: str, name: str, *,
                       action: str = "GetRepository") -> RepositoryInfo:
        """`action` as for archive_commit: a clone reads the repository as GitPull."""
        repo = self._repository(principal, action, region, name)
        return RepositoryInfo(repo.name, repo.arn, repo.repository_id, repo.default_branch)

    def branch_head(self, principal: Principal, region: str, repository: str, branch: str, *,
                    action: str = "GetBranch") -> str | None:
        """The commit id at the tip of `branch`, or None when the branch does not exist (a clone
        lists references as GitPull)."""
        return self._repository(principal, action, region, repository).branch_head(branch)

    def get_commit(self, principal: Principal, region: str, repository: str, commit_id: str) -> CommitInfo:
        repo = self._repository(principal, "GetCommit", region, repository)
        with repo.open() as git:
            commit = self._commit(repo, git, commit_id)
        name, _, email = commit.author.decode("utf-8", "replace").partition(" <")
        return CommitInfo(
            commit_id=commit.id.decode(), tree_id=commit.tree.decode(),
            message=commit.message.decode("utf-8", "replace"), author_name=name, author_email=email.rstrip(">"),
            author_date=_when(commit.author_time, commit.author_timezone),
            committer_date=_when(commit.commit_time, commit.commit_timezone),
            parents=tuple(p.decode() for p in commit.parents),
        )

    def archive_commit(self, principal: Principal, region: str, repository: str, commit_id: str, *,
                       action: str = "UploadArchive") -> bytes:
        """ZIP bytes of the commit's tree. `action` is what AWS authorizes: CodePipeline's source
        action uploads an archive (UploadArchive); CodeBuild clones (GitPull)."""
        repo = self._repository(principal, action, region, repository)
        with repo.open() as git:
            commit = self._commit(repo, git, commit_id)
            return zip_tree(git.object_store, commit.tree, commit.commit_time)

    @staticmethod
    def _commit(repo: Repository, git, commit_id: str):
        commit = repo.commit(git, commit_id)
        if commit is None:
            raise CommitIdDoesNotExistException(f"The commit ID {commit_id} does not exist in {repo.name}.")
        return commit
