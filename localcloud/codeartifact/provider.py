"""localcloud's CodeArtifact: domains, repositories and packages over the rest-json API, and the
PyPI protocol (pip, twine) on each repository's endpoint (pypi.py).

Other services reach it through its door, contract.py. It reaches STS's door for what
GetAuthorizationToken needs of the caller's session (sts:GetServiceBearerToken, the session's end).
"""
from __future__ import annotations

from localcloud.aws import RequestContext
from localcloud.codeartifact.api import CodeArtifactAPI
from localcloud.codeartifact.contract import CodeArtifactContract
from localcloud.codeartifact.models import CodeArtifactBackend, Domain, Repository
from localcloud.codeartifact.pypi import PREFIX, PyPIApp, endpoint_path
from localcloud.provider import Provider

#: the service name a bearer token is asked for (sts:AWSServiceName)
SERVICE_PRINCIPAL = "codeartifact.amazonaws.com"


class CodeArtifactProvider(Provider):
    service = "codeartifact"

    def __init__(self, cloud):
        super().__init__(cloud)
        self.backend = CodeArtifactBackend(cloud.state_dir / "codeartifact", cloud.account_id)
        self.contract = CodeArtifactContract(cloud.authorizer, self.backend)
        self.api = CodeArtifactAPI(self.backend, self._endpoint, self._session_expiration, self._bearer_token_check)
        self.pypi = PyPIApp(self.backend, self.contract)

    def operations(self):
        return self.api.operations()

    def routes(self):
        return [(PREFIX, self.pypi)]

    def _endpoint(self, domain: Domain, repo: Repository, fmt: str) -> str:
        return self.cloud.url + endpoint_path(domain.name, domain.owner, domain.region, repo.name)

    def _session_expiration(self, ctx: RequestContext):
        return self.cloud.services.sts.session_expiration(ctx.principal, ctx.access_key)

    def _bearer_token_check(self, ctx: RequestContext) -> None:
        self.cloud.services.sts.authorize_service_bearer_token(ctx.principal, SERVICE_PRINCIPAL, answered_by="codeartifact")

    def reset(self) -> None:
        self.backend.reset()


def create(cloud) -> CodeArtifactProvider:
    return CodeArtifactProvider(cloud)
