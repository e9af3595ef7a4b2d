"""localcloud's CodeCommit: real git repositories, the API over them, git smart HTTP, and the
`CodeCommit Repository State Change` event on every ref change (API write or git push).

Other services reach it through its door, contract.py.
"""
from __future__ import annotations

import logging

from localcloud.codecommit.api import RepositoryAPI
from localcloud.codecommit.contract import CodeCommitContract
from localcloud.codecommit.files_api import FilesAPI
from localcloud.codecommit.git_http import PREFIX, make_git_app
from localcloud.codecommit.models import CodeCommitBackend, Repository
from localcloud.codecommit.state_change import DETAIL_TYPE, SOURCE, reference_detail
from localcloud.principal import Principal
from localcloud.provider import Provider

log = logging.getLogger("localcloud.codecommit")

#: CodeCommit emits its events as itself, not as a role
SERVICE_PRINCIPAL = "codecommit.amazonaws.com"


class CodeCommitProvider(Provider):
    service = "codecommit"

    def __init__(self, cloud):
        super().__init__(cloud)
        self.backend = CodeCommitBackend(cloud.state_dir / "codecommit", cloud.account_id, self._ref_changed)
        self.repositories_api = RepositoryAPI(self.backend, lambda: self.cloud.url)
        self.files_api = FilesAPI(self.backend)
        self.contract = CodeCommitContract(cloud.authorizer, self.backend)

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
            self.cloud.services.events.put_service_event(
                Principal.service(SERVICE_PRINCIPAL, repo.account_id), source=SOURCE, detail_type=DETAIL_TYPE,
                detail=detail, resources=[repo.arn], region=repo.region)
        except Exception:  # the ref already moved: a lost notification must not fail the write
            log.exception("emitting %s for %s %s failed", DETAIL_TYPE, repo.name, ref.decode(errors="replace"))

    # -- lifecycle ----------------------------------------------------------------------------
    def reset(self) -> None:
        self.backend.reset()


def create(cloud) -> CodeCommitProvider:
    return CodeCommitProvider(cloud)
