"""CodeArtifact's state and its rules: domains, repositories, packages, versions, assets, tokens.

State is kept per account and Region: a domain is named by (owner account, Region, name), and
everything else lives inside its domain. Assets are files under the provider's state directory,
named by their SHA-256, written completely before any record points at them, so a failed or
refused upload leaves nothing behind.

Sources (AWS's own words on each rule are cited where the rule is):
https://docs.aws.amazon.com/codeartifact/latest/APIReference/Welcome.html
https://docs.aws.amazon.com/codeartifact/latest/ug/service-limits.html
https://docs.aws.amazon.com/codeartifact/latest/ug/packages-overview.html#package-version-status
https://docs.aws.amazon.com/codeartifact/latest/ug/repo-upstream-search-order.html
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import shutil
import tempfile
import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable, Iterable, Iterator

from packaging.version import InvalidVersion, Version

from localcloud.codeartifact.exceptions import (
    ConflictException,
    ResourceNotFoundException,
    ServiceQuotaExceededException,
    ValidationException,
)
from localcloud.principal import Principal

# -- AWS's quotas (service-limits.html) --------------------------------------------------------
MAX_DOMAINS_PER_ACCOUNT = 10
MAX_REPOSITORIES_PER_DOMAIN = 1000
MAX_DIRECT_UPSTREAMS = 10
MAX_UPSTREAMS_SEARCHED = 25
MAX_ASSETS_PER_VERSION = 150
MAX_ASSET_BYTES = 5 * 1024 ** 3          # "Asset file size: 5 Gigabytes" (adjustable on AWS)
MAX_TAGS = 200                           # the model's TagList max

# -- tokens (API_GetAuthorizationToken.html) ---------------------------------------------------
DEFAULT_TOKEN_SECONDS = 12 * 3600       # login's tokens last 12 hours; the API's default is the same
MIN_TOKEN_SECONDS = 900

#: the external connections AWS offers (external-connection.html#supported-public-repositories)
EXTERNAL_CONNECTIONS = {
    "public:npmjs": "npm", "public:pypi": "pypi", "public:maven-central": "maven",
    "public:maven-googleandroid": "maven", "public:maven-gradleplugins": "maven",
    "public:maven-commonsware": "maven", "public:maven-clojars": "maven", "public:nuget-org": "nuget",
    "public:ruby-gems-org": "ruby", "public:crates-io": "cargo",
}

#: what a package manager may see of a version in each status (package-version-status)
LISTED = {"Published"}                       # in the index a package manager reads
DOWNLOADABLE = {"Published", "Unlisted"}     # assets still served by their URL
SETTABLE_STATUSES = {"Published", "Unlisted", "Archived"}  # UpdatePackageVersionsStatus targets


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _revision() -> str:
    return base64.b64encode(secrets.token_bytes(24)).decode()


def pypi_normalise(name: str) -> str:
    """PEP 503: lowercase, and each run of '-', '_' and '.' becomes one '-'
    (python-name-normalization.html: the API and ARNs use the normalised name)."""
    from packaging.utils import canonicalize_name

    return str(canonicalize_name(name))


def version_key(version: str):
    try:
        return (1, Version(version), version)
    except InvalidVersion:
        return (0, Version("0"), version)


@dataclass
class Asset:
    name: str
    size: int
    hashes: dict[str, str]          # MD5, SHA-1, SHA-256, SHA-512 (the model's HashAlgorithm)
    path: Path

    def summary(self) -> dict:
        return {"name": self.name, "size": self.size, "hashes": dict(self.hashes)}


@dataclass
class PackageVersion:
    version: str
    published: datetime
    revision: str = field(default_factory=_revision)
    status: str = "Published"
    summary: str | None = None
    home_page: str | None = None
    licenses: list[dict] = field(default_factory=list)
    requires_python: str | None = None
    #: the repository it was published to (the domain's entry point)
    entry_point: str = ""
    assets: dict[str, Asset] = field(default_factory=dict)


@dataclass
class Package:
    format: str
    namespace: str | None
    name: str                       # normalised (pypi)
    display_name: str
    versions: dict[str, PackageVersion] = field(default_factory=dict)


@dataclass
class Repository:
    name: str
    domain: "Domain"
    description: str | None
    created: datetime
    upstreams: list[str] = field(default_factory=list)
    external_connections: list[str] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)
    packages: dict[tuple[str, str, str], Package] = field(default_factory=dict)  # (format, namespace, name)

    @property
    def arn(self) -> str:
        d = self.domain
        return f"arn:aws:codeartifact:{d.region}:{d.owner}:repository/{d.name}/{self.name}"

    def package_arn(self, fmt: str, namespace: str | None, name: str) -> str:
        d = self.domain
        return f"arn:aws:codeartifact:{d.region}:{d.owner}:package/{d.name}/{self.name}/{fmt}/{namespace or ''}/{name}"

    def description_shape(self) -> dict:
        return {
            "name": self.name, "administratorAccount": self.domain.owner, "domainName": self.domain.name,
            "domainOwner": self.domain.owner, "arn": self.arn, "description": self.description,
            "upstreams": [{"repositoryName": u} for u in self.upstreams],
            "externalConnections": [{"externalConnectionName": c, "packageFormat": EXTERNAL_CONNECTIONS[c],
                                     "status": "Available"} for c in self.external_connections],
            "createdTime": self.created,
        }

    def summary_shape(self) -> dict:
        return {"name": self.name, "administratorAccount": self.domain.owner, "domainName": self.domain.name,
                "domainOwner": self.domain.owner, "arn": self.arn, "description": self.description,
                "createdTime": self.created}


@dataclass
class Policy:
    document: str
    revision: str = field(default_factory=_revision)


@dataclass
class Domain:
    name: str
    owner: str
    region: str
    created: datetime
    encryption_key: str
    tags: dict[str, str] = field(default_factory=dict)
    policy: Policy | None = None
    repositories: dict[str, Repository] = field(default_factory=dict)

    @property
    def arn(self) -> str:
        return f"arn:aws:codeartifact:{self.region}:{self.owner}:domain/{self.name}"

    def asset_bytes(self) -> int:
        return sum(a.size for r in self.repositories.values() for p in r.packages.values()
                   for v in p.versions.values() for a in v.assets.values())

    def summary_shape(self, status: str = "Active") -> dict:
        return {"name": self.name, "owner": self.owner, "arn": self.arn, "status": status,
                "createdTime": self.created, "encryptionKey": self.encryption_key}

    def description_shape(self, status: str = "Active") -> dict:
        return {**self.summary_shape(status), "repositoryCount": len(self.repositories),
                "assetSizeBytes": self.asset_bytes(),
                # AWS keeps a domain's assets in a bucket of its own; localcloud on disk
                "s3BucketArn": f"arn:aws:s3:::assets-{self.owner}-{self.region}/{self.name}"}

    def policy_shape(self) -> dict:
        assert self.policy is not None
        return {"resourceArn": self.arn, "revision": self.policy.revision, "document": self.policy.document}


@dataclass(frozen=True)
class Token:
    owner: str
    region: str
    domain: str
    principal: Principal
    expiration: datetime


@dataclass
class Upload:
    """A file a client publishes (the PyPI upload API), checked before any of it is kept."""
    format: str
    name: str                       # as the client spelt it
    version: str
    filename: str
    content: Path                   # a temporary file holding the asset
    summary: str | None = None
    home_page: str | None = None
    license: str | None = None
    requires_python: str | None = None


def _not_found_domain(name: str, owner: str) -> ResourceNotFoundException:
    # AWS's wording, as users report it (aws/aws-cdk#19792)
    return ResourceNotFoundException(f"Domain not found. Domain '{name}' owned by account '{owner}' does not exist.",
                                     name, "domain")


class CodeArtifactBackend:
    def __init__(self, state_dir: Path, account_id: str, now: Callable[[], datetime] = utcnow):
        self.state_dir = Path(state_dir)
        self.account_id = account_id
        self.now = now                  # tests move time to expire tokens
        self.max_asset_bytes = MAX_ASSET_BYTES
        self._lock = threading.RLock()
        self.domains: dict[tuple[str, str, str], Domain] = {}
        self.tokens: dict[str, Token] = {}

    @property
    def lock(self) -> threading.RLock:
        return self._lock

    def reset(self) -> None:
        with self._lock:
            self.domains.clear()
            self.tokens.clear()
            shutil.rmtree(self.state_dir / "assets", ignore_errors=True)

    # -- domains --------------------------------------------------------------------------------
    def create_domain(self, region: str, name: str, owner: str, encryption_key: str | None,
                      tags: dict[str, str]) -> Domain:
        with self._lock:
            if (owner, region, name) in self.domains:
                raise ConflictException(f"Domain '{name}' already exists in account '{owner}'.", name, "domain")
            if sum(1 for o, r, _ in self.domains if (o, r) == (owner, region)) >= MAX_DOMAINS_PER_ACCOUNT:
                raise ServiceQuotaExceededException(
                    f"The maximum number of domains per AWS account ({MAX_DOMAINS_PER_ACCOUNT}) has been reached.",
                    name, "domain")
            key = encryption_key or f"arn:aws:kms:{region}:{owner}:key/{uuid.uuid4()}"  # the aws/codeartifact key
            domain = Domain(name, owner, region, self.now(), key, dict(tags))
            self.domains[(owner, region, name)] = domain
            return domain

    def domain(self, region: str, name: str, owner: str) -> Domain:
        with self._lock:
            domain = self.domains.get((owner, region, name))
        if domain is None:
            raise _not_found_domain(name, owner)
        return domain

    def list_domains(self, region: str, owner: str) -> list[Domain]:
        with self._lock:
            return sorted((d for (o, r, _), d in self.domains.items() if (o, r) == (owner, region)),
                          key=lambda d: d.name)

    def delete_domain(self, region: str, name: str, owner: str) -> Domain | None:
        with self._lock:
            domain = self.domains.get((owner, region, name))
            if domain is None:
                return None
            if domain.repositories:
                # the message AWS answers (aws-cloudformation-resource-providers-codeartifact#63)
                raise ConflictException("Domain must contain 0 repositories before deletion", name, "domain")
            del self.domains[(owner, region, name)]
            self.tokens = {t: tok for t, tok in self.tokens.items() if (tok.owner, tok.region, tok.domain) != (owner, region, name)}
            return domain

    def put_domain_policy(self, domain: Domain, document: str, revision: str | None) -> Domain:
        try:
            parsed = json.loads(document)
        except ValueError:
            raise ValidationException("The policy document is not valid JSON.") from None
        if not isinstance(parsed, dict) or "Statement" not in parsed:
            raise ValidationException("The policy document must be a JSON object with a Statement.")
        with self._lock:
            current = domain.policy.revision if domain.policy else None
            if revision is not None and revision != current:
                raise ConflictException("The policy revision does not match the domain's current policy revision.",
                                        domain.name, "domain")
            domain.policy = Policy(document)
            return domain

    def delete_domain_policy(self, domain: Domain, revision: str | None) -> Policy:
        with self._lock:
            if domain.policy is None:
                raise ResourceNotFoundException(f"Domain '{domain.name}' has no permissions policy.", domain.name, "domain")
            if revision is not None and revision != domain.policy.revision:
                raise ConflictException("The policy revision does not match the domain's current policy revision.",
                                        domain.name, "domain")
            policy, domain.policy = domain.policy, None
            return policy

    # -- repositories ---------------------------------------------------------------------------
    def create_repository(self, domain: Domain, name: str, description: str | None, upstreams: list[str],
                          tags: dict[str, str]) -> Repository:
        with self._lock:
            if name in domain.repositories:
                raise ConflictException(f"Repository '{name}' already exists in domain '{domain.name}'.", name, "repository")
            if len(domain.repositories) >= MAX_REPOSITORIES_PER_DOMAIN:
                raise ServiceQuotaExceededException(
                    f"The maximum number of repositories per domain ({MAX_REPOSITORIES_PER_DOMAIN}) has been reached.",
                    name, "repository")
            self._check_upstreams(domain, name, upstreams)
            repo = Repository(name, domain, description, self.now(), list(upstreams), [], dict(tags))
            domain.repositories[name] = repo
            return repo

    def repository(self, domain: Domain, name: str) -> Repository:
        with self._lock:
            repo = domain.repositories.get(name)
        if repo is None:
            raise ResourceNotFoundException(
                f"Repository not found. Repository '{name}' in domain '{domain.name}' owned by account "
                f"'{domain.owner}' does not exist.", name, "repository")
        return repo

    def update_repository(self, repo: Repository, description: str | None, upstreams: list[str] | None) -> Repository:
        with self._lock:
            if upstreams is not None:
                self._check_upstreams(repo.domain, repo.name, upstreams)
                repo.upstreams = list(upstreams)
            if description is not None:
                repo.description = description
            return repo

    def delete_repository(self, repo: Repository) -> Repository:
        with self._lock:
            downstream = sorted(r.name for r in repo.domain.repositories.values() if repo.name in r.upstreams)
            if downstream:
                raise ConflictException(
                    f"Repository '{repo.name}' is an upstream of {', '.join(downstream)}; remove it from their "
                    "upstreams first.", repo.name, "repository")
            del repo.domain.repositories[repo.name]
            for package in repo.packages.values():
                for version in package.versions.values():
                    self._drop_assets(version)
            return repo

    def _check_upstreams(self, domain: Domain, name: str, upstreams: list[str]) -> None:
        if len(upstreams) > MAX_DIRECT_UPSTREAMS:
            raise ValidationException(f"A repository can have at most {MAX_DIRECT_UPSTREAMS} direct upstream repositories.")
        if len(set(upstreams)) != len(upstreams):
            raise ValidationException("The upstreams list names a repository more than once.")
        for upstream in upstreams:
            if upstream == name:
                raise ValidationException(f"Repository '{name}' cannot be its own upstream.")
            if upstream not in domain.repositories:
                raise ResourceNotFoundException(
                    f"Repository not found. Repository '{upstream}' in domain '{domain.name}' owned by account "
                    f"'{domain.owner}' does not exist.", upstream, "repository")
            # a cycle: `name` reachable from the upstream
            seen, todo = set(), [upstream]
            while todo:
                current = todo.pop()
                if current == name:
                    raise ValidationException(f"Adding upstream '{upstream}' to '{name}' would create a cycle.")
                if current in seen or current not in domain.repositories:
                    continue
                seen.add(current)
                todo.extend(domain.repositories[current].upstreams)

    def associate_external_connection(self, repo: Repository, connection: str) -> Repository:
        if connection not in EXTERNAL_CONNECTIONS:
            raise ValidationException(f"'{connection}' is not a supported external connection.")
        with self._lock:
            if connection in repo.external_connections:
                raise ConflictException(f"Repository '{repo.name}' already has external connection '{connection}'.",
                                        repo.name, "repository")
            if repo.external_connections:  # external-connection.html: a repository has at most one
                raise ValidationException(
                    f"Repository '{repo.name}' already has an external connection "
                    f"({repo.external_connections[0]}); a repository can have only one.")
            repo.external_connections.append(connection)
            return repo

    def disassociate_external_connection(self, repo: Repository, connection: str) -> Repository:
        with self._lock:
            if connection not in repo.external_connections:
                raise ResourceNotFoundException(
                    f"Repository '{repo.name}' has no external connection '{connection}'.", repo.name, "repository")
            repo.external_connections.remove(connection)
            return repo

    def search_order(self, repo: Repository) -> list[Repository]:
        """The repository, then its upstreams in list order, depth first, each once, at most
        MAX_UPSTREAMS_SEARCHED of them (repo-upstream-search-order.html)."""
        order: list[Repository] = []

        def visit(r: Repository) -> None:
            if r in order or len(order) > MAX_UPSTREAMS_SEARCHED:
                return
            order.append(r)
            for name in r.upstreams:
                upstream = r.domain.repositories.get(name)
                if upstream is not None:
                    visit(upstream)

        with self._lock:
            visit(repo)
        return order

    # -- tags -----------------------------------------------------------------------------------
    def tagged(self, arn: str) -> Domain | Repository:
        with self._lock:
            for domain in self.domains.values():
                if domain.arn == arn:
                    return domain
                for repo in domain.repositories.values():
                    if repo.arn == arn:
                        return repo
        raise ResourceNotFoundException(f"Resource not found. No domain or repository has the ARN {arn}.", arn, None)

    def tag(self, arn: str, tags: dict[str, str]) -> None:
        with self._lock:
            resource = self.tagged(arn)
            merged = {**resource.tags, **tags}
            if len(merged) > MAX_TAGS:
                raise ServiceQuotaExceededException(f"A resource can have at most {MAX_TAGS} tags.", arn, None)
            resource.tags = merged

    def untag(self, arn: str, keys: Iterable[str]) -> None:
        with self._lock:
            resource = self.tagged(arn)
            resource.tags = {k: v for k, v in resource.tags.items() if k not in set(keys)}

    # -- packages -------------------------------------------------------------------------------
    def package(self, repo: Repository, fmt: str, namespace: str | None, name: str) -> Package:
        key = (fmt, namespace or "", pypi_normalise(name) if fmt == "pypi" else name)
        with self._lock:
            package = repo.packages.get(key)
        if package is None:
            raise ResourceNotFoundException(
                f"Package not found. Package '{name}' of format '{fmt}' does not exist in repository "
                f"'{repo.name}'.", name, "package")
        return package

    def version(self, repo: Repository, package: Package, version: str) -> PackageVersion:
        found = package.versions.get(version)
        if found is None:
            raise ResourceNotFoundException(
                f"Package version not found. Version '{version}' of package '{package.name}' does not exist in "
                f"repository '{repo.name}'.", version, "package-version")
        return found

    def change_versions(self, repo: Repository, package: Package, versions: list[str],
                        revisions: dict[str, str], expected: str | None,
                        change: Callable[[PackageVersion], None]) -> tuple[dict, dict]:
        """Apply `change` to each named version that exists, has the expected status and
        revision: (successfulVersions, failedVersions) as the model shapes them."""
        ok, failed = {}, {}
        with self._lock:
            for name in list(dict.fromkeys(list(versions) + list(revisions))):
                version = package.versions.get(name)
                if version is None:
                    failed[name] = {"errorCode": "NOT_FOUND", "errorMessage": f"Version '{name}' does not exist."}
                elif expected is not None and version.status != expected:
                    failed[name] = {"errorCode": "MISMATCHED_STATUS",
                                    "errorMessage": f"Version '{name}' is {version.status}, not {expected}."}
                elif name in revisions and revisions[name] != version.revision:
                    failed[name] = {"errorCode": "MISMATCHED_REVISION",
                                    "errorMessage": f"Version '{name}' is at another revision."}
                else:
                    try:
                        change(version)
                    except ValueError as err:
                        failed[name] = {"errorCode": "NOT_ALLOWED", "errorMessage": str(err)}
                        continue
                    ok[name] = {"revision": version.revision, "status": version.status}
            for name, result in ok.items():
                if result["status"] == "Deleted":
                    package.versions.pop(name, None)
            if not package.versions:
                repo.packages.pop((package.format, package.namespace or "", package.name), None)
        return ok, failed

    def set_status(self, target: str) -> Callable[[PackageVersion], None]:
        def change(version: PackageVersion) -> None:
            if version.status == "Disposed":
                raise ValueError(f"Version '{version.version}' is Disposed: its assets are gone.")
            version.status = target
            version.revision = _revision()
        return change

    def dispose(self, version: PackageVersion) -> None:
        self._drop_assets(version)
        version.status = "Disposed"
        version.revision = _revision()

    def delete(self, version: PackageVersion) -> None:
        self._drop_assets(version)
        version.status = "Deleted"

    def _drop_assets(self, version: PackageVersion) -> None:
        for asset in version.assets.values():
            if not self._referenced(asset.path, version):
                asset.path.unlink(missing_ok=True)
        version.assets = {}

    def _referenced(self, path: Path, besides: PackageVersion) -> bool:
        return any(a.path == path for v in self._all_versions() if v is not besides for a in v.assets.values())

    def _all_versions(self) -> Iterator[PackageVersion]:
        for domain in self.domains.values():
            for repo in domain.repositories.values():
                for package in repo.packages.values():
                    yield from package.versions.values()

    # -- publishing -----------------------------------------------------------------------------
    def spool(self) -> tuple[int, str]:
        """A temporary file for an upload, in the asset store's file system (so keeping it is a rename)."""
        folder = self.state_dir / "assets"
        folder.mkdir(parents=True, exist_ok=True)
        return tempfile.mkstemp(dir=folder, prefix=".upload-")

    def publish(self, repo: Repository, upload: Upload) -> PackageVersion:
        """Keep an uploaded asset as a version of its package: all of it, or (on any refusal) none."""
        name = pypi_normalise(upload.name)
        size = upload.content.stat().st_size
        if size > self.max_asset_bytes:
            raise ValidationException(f"The asset is {size} bytes; the largest asset CodeArtifact accepts is "
                                      f"{self.max_asset_bytes} bytes.")
        hashes = _hashes(upload.content)
        with self._lock:
            package = repo.packages.get((upload.format, "", name))
            existing = package.versions.get(upload.version) if package else None
            if existing is not None:
                if existing.status not in ("Published", "Unlisted"):
                    raise ConflictException(f"Version '{upload.version}' of '{name}' is {existing.status}; "
                                            "no asset can be added to it.", upload.version, "package-version")
                if upload.filename in existing.assets:
                    raise ConflictException(f"Asset '{upload.filename}' already exists in version '{upload.version}' "
                                            f"of '{name}'.", upload.filename, "asset")
                if len(existing.assets) >= MAX_ASSETS_PER_VERSION:
                    raise ServiceQuotaExceededException(
                        f"A package version can have at most {MAX_ASSETS_PER_VERSION} assets.", upload.version,
                        "package-version")
            final = self.state_dir / "assets" / hashes["SHA-256"]
            os.replace(upload.content, final)
            asset = Asset(upload.filename, size, hashes, final)
            if package is None:
                package = repo.packages[(upload.format, "", name)] = Package(upload.format, None, name, upload.name)
            if existing is None:
                existing = package.versions[upload.version] = PackageVersion(
                    upload.version, self.now(), summary=upload.summary, home_page=upload.home_page,
                    licenses=[{"name": upload.license}] if upload.license else [],
                    requires_python=upload.requires_python, entry_point=repo.name)
            existing.assets[upload.filename] = asset
            existing.revision = _revision()
            return existing

    # -- tokens ---------------------------------------------------------------------------------
    def issue_token(self, domain: Domain, principal: Principal, expiration: datetime) -> str:
        token = "lc-" + secrets.token_urlsafe(48)
        with self._lock:
            self.tokens[token] = Token(domain.owner, domain.region, domain.name, principal, expiration)
        return token

    def token(self, token: str) -> Token | None:
        """The live token, or None when unknown or expired (expired tokens are forgotten)."""
        with self._lock:
            found = self.tokens.get(token)
            if found is not None and self.now() >= found.expiration:
                del self.tokens[token]
                return None
            return found

    def token_expiration(self, duration: int | None, session_expiration: datetime | None) -> datetime:
        """When a token asked for now with `duration` seconds expires. 0 follows the caller's
        role session; the token otherwise ignores the session's length (GetAuthorizationToken)."""
        if duration is not None and 0 < duration < MIN_TOKEN_SECONDS:
            raise ValidationException(
                f"1 validation error detected: Value '{duration}' at 'durationSeconds' failed to satisfy constraint: "
                f"Member must be 0 or between {MIN_TOKEN_SECONDS} and {DEFAULT_TOKEN_SECONDS}")
        now = self.now()
        if duration == 0:
            # long-term credentials have no session: UNCONFIRMED what AWS does; the default applies
            return session_expiration or now + timedelta(seconds=DEFAULT_TOKEN_SECONDS)
        return now + timedelta(seconds=duration or DEFAULT_TOKEN_SECONDS)


def _hashes(path: Path) -> dict[str, str]:
    digests = {"MD5": hashlib.md5(), "SHA-1": hashlib.sha1(), "SHA-256": hashlib.sha256(), "SHA-512": hashlib.sha512()}
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            for d in digests.values():
                d.update(chunk)
    return {k: d.hexdigest() for k, d in digests.items()}
