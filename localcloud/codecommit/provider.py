"""localcloud's CodeCommit: real git repositories, the API over them, git smart HTTP, and the
`CodeCommit Repository State Change` event on every ref change (API write or git push).

In-process contract (the CodePipeline engine calls these on `cloud.provider("codecommit")`):
    branch_head(region, repository, branch) -> commit id or None
    commit_metadata(region, repository, commit_id) -> {"commitId", "treeId", "message",
        "authorName", "authorEmail", "authorDate", "committerDate", "parents"}
    archive_commit(region, repository, commit_id) -> ZIP bytes of the tree (CODE_ZIP)
    repository_exists(region, repository) -> bool
They raise AWSError(RepositoryDoesNotExistException / CommitIdDoesNotExistException).
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

from localcloud.aws import AWSError
from localcloud.codecommit.api import RepositoryAPI
from localcloud.codecommit.archive import zip_tree
from localcloud.codecommit.files_api import FilesAPI
from localcloud.codecommit.git_http import PREFIX, make_git_app
from localcloud.codecommit.models import CodeCommitBackend, Repository
from localcloud.codecommit.state_change import DETAIL_TYPE, SOURCE, reference_detail
from localcloud.provider import Provider

log = logging.getLogger("localcloud.codecommit")


def _when(seconds: int, offset: int) -> datetime:
    return datetime.fromtimestamp(seconds, timezone(timedelta(seconds=offset)))


class CodecommitProvider(Provider):
    service = "codecommit"

    def __init__(self, cloud):
        super().__init__(cloud)
        self.backend = CodeCommitBackend(cloud.state_dir / "codecommit", cloud.account_id, self._ref_changed)
        self.repositories_api = RepositoryAPI(self.backend, lambda: self.cloud.url)
        self.files_api = FilesAPI(self.backend)

    def operations(self):
        return {**self.repositories_api.operations(), **self.files_api.operations()}

    def routes(self):
        app = make_git_app(self.backend, lambda name: self.backend.for_git(name, self.cloud.region))
        return [(PREFIX, app)]

    # -- events -------------------------------------------------------------------------------
    def _ref_changed(self, repo: Repository, ref: bytes, old: str | None, new: str | None) -> None:
        detail = reference_detail(repo, ref, old, new)
        if detail is None:
            return
        try:
            self.cloud.provider("events").publish(source=SOURCE, detail_type=DETAIL_TYPE, detail=detail,
                                                  resources=[repo.arn], region=repo.region, account=repo.account_id)
        except Exception:  # the ref already moved: a lost notification must not fail the write
            log.exception("emitting %s for %s %s failed", DETAIL_TYPE, repo.name, ref.decode(errors="replace"))

    # -- in-process contract ------------------------------------------------------------------
    def repository_exists(self, region: str, repository: str) -> bool:
        return self.backend.find(region, repository) is not None

    def branch_head(self, region: str, repository: str, branch: str) -> str | None:
        return self.backend.get(region, repository).branch_head(branch)

    def _commit(self, region: str, repository: str, commit_id: str):
        repo = self.backend.get(region, repository)
        git = repo.open()
        commit = repo.commit(git, commit_id)
        if commit is None:
            git.close()
            raise AWSError("CommitIdDoesNotExistException", f"The commit ID {commit_id} does not exist in {repository}.")
        return git, commit

    def commit_metadata(self, region: str, repository: str, commit_id: str) -> dict:
        git, commit = self._commit(region, repository, commit_id)
        git.close()
        name, _, email = commit.author.decode("utf-8", "replace").partition(" <")
        return {
            "commitId": commit.id.decode(),
            "treeId": commit.tree.decode(),
            "message": commit.message.decode("utf-8", "replace"),
            "authorName": name,
            "authorEmail": email.rstrip(">"),
            "authorDate": _when(commit.author_time, commit.author_timezone),
            "committerDate": _when(commit.commit_time, commit.commit_timezone),
            "parents": [p.decode() for p in commit.parents],
        }

    def archive_commit(self, region: str, repository: str, commit_id: str) -> bytes:
        git, commit = self._commit(region, repository, commit_id)
        with git:
            return zip_tree(git.object_store, commit.tree, commit.commit_time)

    # -- lifecycle ----------------------------------------------------------------------------
    def reset(self) -> None:
        self.backend.reset()


def create(cloud) -> CodecommitProvider:
    return CodecommitProvider(cloud)
