"""CodeArtifact's door: what other services, and its own PyPI endpoint, may do with a repository.

Each method takes the acting principal first and authorizes the IAM action AWS evaluates, on the
resource ARN AWS names (Service Authorization Reference, "AWS CodeArtifact"):
`arn:aws:codeartifact:REGION:ACCOUNT:repository/DOMAIN/REPO` and
`.../package/DOMAIN/REPO/FORMAT/NAMESPACE/NAME` (an empty namespace for pypi).
Source: https://docs.aws.amazon.com/service-authorization/latest/reference/list_awscodeartifact.html
"""
from __future__ import annotations

from dataclasses import dataclass

from localcloud.codeartifact.models import LISTED, CodeArtifactBackend, Repository, version_key
from localcloud.contract import Contract
from localcloud.principal import Principal


@dataclass(frozen=True)
class RepositoryInfo:
    domain: str
    domain_owner: str
    name: str
    arn: str
    upstreams: tuple[str, ...]
    external_connections: tuple[str, ...]


class CodeArtifactContract(Contract):
    action_prefix = "codeartifact"

    def __init__(self, authorizer, backend: CodeArtifactBackend):
        super().__init__(authorizer)
        self._backend = backend

    def authorize_read(self, principal: Principal, repo: Repository) -> None:
        """pip's reads of a repository: codeartifact:ReadFromRepository on the repository."""
        self._authorize(principal, "ReadFromRepository", repo.arn)

    def authorize_publish(self, principal: Principal, repo: Repository, package: str, fmt: str = "pypi") -> None:
        """twine's upload: codeartifact:PublishPackageVersion on the package (packages-overview.html)."""
        self._authorize(principal, "PublishPackageVersion", repo.package_arn(fmt, None, package))

    def describe_repository(self, principal: Principal, region: str, domain: str, repository: str,
                            domain_owner: str | None = None) -> RepositoryInfo:
        owner = domain_owner or self._backend.account_id
        repo = self._backend.repository(self._backend.domain(region, domain, owner), repository)
        self._authorize(principal, "DescribeRepository", repo.arn)
        return RepositoryInfo(repo.domain.name, repo.domain.owner, repo.name, repo.arn, tuple(repo.upstreams),
                              tuple(repo.external_connections))

    def listed_versions(self, principal: Principal, region: str, domain: str, repository: str, package: str,
                        fmt: str = "pypi", domain_owner: str | None = None) -> list[str]:
        """The versions of `package` a package manager sees in the repository itself (Published),
        oldest first."""
        owner = domain_owner or self._backend.account_id
        repo = self._backend.repository(self._backend.domain(region, domain, owner), repository)
        self._authorize(principal, "ListPackageVersions", repo.package_arn(fmt, None, package))
        found = self._backend.package(repo, fmt, None, package)
        return sorted((v.version for v in found.versions.values() if v.status in LISTED), key=version_key)
