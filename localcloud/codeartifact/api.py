"""CodeArtifact's control-plane operations: parse the request, call the backend, shape the output.

Each handler is `handler(params, ctx) -> output dict`; the router has already found the operation
from method and URI, read its members from query string, headers and body (rest_json.py),
authorized the caller (iam/resources.py names the ARNs) and validated against the model.
"""
from __future__ import annotations

import base64
from typing import Callable

from localcloud.aws import RequestContext
from localcloud.codeartifact.exceptions import ResourceNotFoundException, ValidationException
from localcloud.codeartifact.models import (
    LISTED,
    SETTABLE_STATUSES,
    CodeArtifactBackend,
    Domain,
    Package,
    Repository,
    version_key,
)

DEFAULT_PAGE = 100     # UNCONFIRMED: the model allows 1..1000 and AWS documents no default
#: the one package format whose protocol localcloud serves (pypi.py)
EMULATED_FORMATS = {"pypi"}


def _page(items: list, params: dict) -> tuple[list, str | None]:
    size = params.get("maxResults") or DEFAULT_PAGE
    token = params.get("nextToken")
    start = 0
    if token:
        try:
            start = int(base64.urlsafe_b64decode(token.encode()).decode())
        except (ValueError, UnicodeDecodeError):
            raise ValidationException("The nextToken is not one this operation returned.", reason="CANNOT_PARSE") from None
    chunk = items[start:start + size]
    more = start + size < len(items)
    return chunk, base64.urlsafe_b64encode(str(start + size).encode()).decode() if more else None


def _tags(tags: list[dict] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for tag in tags or []:
        if tag["key"] in out:
            raise ValidationException(f"Tag key '{tag['key']}' is given more than once.")
        out[tag["key"]] = tag["value"]
    return out


def _tag_list(tags: dict[str, str]) -> list[dict]:
    return [{"key": k, "value": v} for k, v in tags.items()]


class CodeArtifactAPI:
    def __init__(self, backend: CodeArtifactBackend, endpoint: Callable[[Domain, Repository, str], str],
                 session_expiration: Callable[[RequestContext], object], bearer_token_check: Callable[[RequestContext], None]):
        self.backend = backend
        self.endpoint = endpoint                      # the repository's PyPI URL on this localcloud
        self.session_expiration = session_expiration  # the caller's role-session expiry, if any (STS's door)
        self.bearer_token_check = bearer_token_check  # sts:GetServiceBearerToken (STS's door)

    def operations(self) -> dict:
        return {
            "CreateDomain": self.create_domain,
            "DescribeDomain": self.describe_domain,
            "ListDomains": self.list_domains,
            "DeleteDomain": self.delete_domain,
            "PutDomainPermissionsPolicy": self.put_domain_permissions_policy,
            "GetDomainPermissionsPolicy": self.get_domain_permissions_policy,
            "DeleteDomainPermissionsPolicy": self.delete_domain_permissions_policy,
            "CreateRepository": self.create_repository,
            "DescribeRepository": self.describe_repository,
            "ListRepositories": self.list_repositories,
            "ListRepositoriesInDomain": self.list_repositories_in_domain,
            "UpdateRepository": self.update_repository,
            "DeleteRepository": self.delete_repository,
            "AssociateExternalConnection": self.associate_external_connection,
            "DisassociateExternalConnection": self.disassociate_external_connection,
            "GetAuthorizationToken": self.get_authorization_token,
            "GetRepositoryEndpoint": self.get_repository_endpoint,
            "ListPackages": self.list_packages,
            "ListPackageVersions": self.list_package_versions,
            "DescribePackageVersion": self.describe_package_version,
            "ListPackageVersionAssets": self.list_package_version_assets,
            "DeletePackageVersions": self.delete_package_versions,
            "UpdatePackageVersionsStatus": self.update_package_versions_status,
            "DisposePackageVersions": self.dispose_package_versions,
            "TagResource": self.tag_resource,
            "UntagResource": self.untag_resource,
            "ListTagsForResource": self.list_tags_for_resource,
        }

    # -- lookups ----------------------------------------------------------------------------------
    def _owner(self, params: dict, ctx: RequestContext) -> str:
        return params.get("domainOwner") or ctx.account_id

    def _domain(self, params: dict, ctx: RequestContext) -> Domain:
        return self.backend.domain(ctx.region, params["domain"], self._owner(params, ctx))

    def _repository(self, params: dict, ctx: RequestContext) -> Repository:
        return self.backend.repository(self._domain(params, ctx), params["repository"])

    def _package(self, params: dict, ctx: RequestContext) -> tuple[Repository, Package]:
        repo = self._repository(params, ctx)
        if params["format"] == "pypi" and params.get("namespace"):
            raise ValidationException("Packages of format pypi have no namespace.")
        return repo, self.backend.package(repo, params["format"], params.get("namespace"), params["package"])

    @staticmethod
    def _package_header(package: Package) -> dict:
        return {"format": package.format, "namespace": package.namespace, "package": package.name}

    # -- domains ----------------------------------------------------------------------------------
    def create_domain(self, params: dict, ctx: RequestContext) -> dict:
        domain = self.backend.create_domain(ctx.region, params["domain"], ctx.account_id, params.get("encryptionKey"),
                                            _tags(params.get("tags")))
        return {"domain": domain.description_shape()}

    def describe_domain(self, params: dict, ctx: RequestContext) -> dict:
        return {"domain": self._domain(params, ctx).description_shape()}

    def list_domains(self, params: dict, ctx: RequestContext) -> dict:
        domains, token = _page(self.backend.list_domains(ctx.region, ctx.account_id), params)
        return {"domains": [d.summary_shape() for d in domains], "nextToken": token}

    def delete_domain(self, params: dict, ctx: RequestContext) -> dict:
        # DeleteDomain declares no ResourceNotFoundException: deleting a domain that is not
        # there answers without one (UNCONFIRMED which shape AWS returns then)
        domain = self.backend.delete_domain(ctx.region, params["domain"], self._owner(params, ctx))
        return {"domain": domain.description_shape(status="Deleted") if domain else None}

    def put_domain_permissions_policy(self, params: dict, ctx: RequestContext) -> dict:
        domain = self.backend.put_domain_policy(self._domain(params, ctx), params["policyDocument"],
                                                params.get("policyRevision"))
        return {"policy": domain.policy_shape()}

    def get_domain_permissions_policy(self, params: dict, ctx: RequestContext) -> dict:
        domain = self._domain(params, ctx)
        if domain.policy is None:
            raise ResourceNotFoundException(f"Domain '{domain.name}' has no permissions policy.", domain.name, "domain")
        return {"policy": domain.policy_shape()}

    def delete_domain_permissions_policy(self, params: dict, ctx: RequestContext) -> dict:
        domain = self._domain(params, ctx)
        policy = self.backend.delete_domain_policy(domain, params.get("policyRevision"))
        return {"policy": {"resourceArn": domain.arn, "revision": policy.revision, "document": policy.document}}

    # -- repositories -----------------------------------------------------------------------------
    def create_repository(self, params: dict, ctx: RequestContext) -> dict:
        repo = self.backend.create_repository(
            self._domain(params, ctx), params["repository"], params.get("description"),
            [u["repositoryName"] for u in params.get("upstreams") or []], _tags(params.get("tags")))
        return {"repository": repo.description_shape()}

    def describe_repository(self, params: dict, ctx: RequestContext) -> dict:
        return {"repository": self._repository(params, ctx).description_shape()}

    def list_repositories(self, params: dict, ctx: RequestContext) -> dict:
        prefix = params.get("repositoryPrefix") or ""
        repos = sorted((r for d in self.backend.list_domains(ctx.region, ctx.account_id)
                        for r in d.repositories.values() if r.name.startswith(prefix)),
                       key=lambda r: (r.name, r.domain.name))
        chunk, token = _page(repos, params)
        return {"repositories": [r.summary_shape() for r in chunk], "nextToken": token}

    def list_repositories_in_domain(self, params: dict, ctx: RequestContext) -> dict:
        domain = self._domain(params, ctx)
        prefix = params.get("repositoryPrefix") or ""
        admin = params.get("administratorAccount")
        repos = sorted((r for r in domain.repositories.values() if r.name.startswith(prefix)
                        and (admin is None or admin == domain.owner)), key=lambda r: r.name)
        chunk, token = _page(repos, params)
        return {"repositories": [r.summary_shape() for r in chunk], "nextToken": token}

    def update_repository(self, params: dict, ctx: RequestContext) -> dict:
        upstreams = params.get("upstreams")
        repo = self.backend.update_repository(
            self._repository(params, ctx), params.get("description"),
            None if upstreams is None else [u["repositoryName"] for u in upstreams])
        return {"repository": repo.description_shape()}

    def delete_repository(self, params: dict, ctx: RequestContext) -> dict:
        return {"repository": self.backend.delete_repository(self._repository(params, ctx)).description_shape()}

    def associate_external_connection(self, params: dict, ctx: RequestContext) -> dict:
        repo = self.backend.associate_external_connection(self._repository(params, ctx), params["externalConnection"])
        return {"repository": repo.description_shape()}

    def disassociate_external_connection(self, params: dict, ctx: RequestContext) -> dict:
        repo = self.backend.disassociate_external_connection(self._repository(params, ctx), params["externalConnection"])
        return {"repository": repo.description_shape()}

    # -- access -----------------------------------------------------------------------------------
    def get_authorization_token(self, params: dict, ctx: RequestContext) -> dict:
        domain = self._domain(params, ctx)
        # "This API requires the codeartifact:GetAuthorizationToken and sts:GetServiceBearerToken
        # permissions": the first was checked on the domain by the router, the second is STS's
        self.bearer_token_check(ctx)
        expiration = self.backend.token_expiration(params.get("durationSeconds"), self.session_expiration(ctx))
        token = self.backend.issue_token(domain, ctx.principal, expiration)
        return {"authorizationToken": token, "expiration": expiration}

    def get_repository_endpoint(self, params: dict, ctx: RequestContext) -> dict:
        repo = self._repository(params, ctx)
        fmt = params["format"]
        if fmt not in EMULATED_FORMATS:
            raise ValidationException(f"localcloud's CodeArtifact serves only the pypi format; the {fmt} "
                                      "repository endpoint is not emulated.", reason="OTHER")
        if params.get("endpointType") == "dualstack":
            raise ValidationException("localcloud listens on 127.0.0.1 only; the dualstack (IPv6) endpoint is not "
                                      "emulated. Ask for endpointType ipv4.", reason="OTHER")
        return {"repositoryEndpoint": self.endpoint(repo.domain, repo, fmt)}

    # -- packages ---------------------------------------------------------------------------------
    def list_packages(self, params: dict, ctx: RequestContext) -> dict:
        repo = self._repository(params, ctx)
        if params.get("publish") or params.get("upstream"):
            # every package here has the default origin configuration: ALLOW, ALLOW
            wanted = {k: params.get(k) for k in ("publish", "upstream") if params.get(k)}
            if any(v != "ALLOW" for v in wanted.values()):
                return {"packages": []}
        prefix = params.get("packagePrefix") or ""
        packages = sorted((p for p in repo.packages.values()
                           if (not params.get("format") or p.format == params["format"])
                           and (params.get("namespace") is None or (p.namespace or "") == params["namespace"])
                           and p.name.startswith(prefix)), key=lambda p: (p.format, p.namespace or "", p.name))
        chunk, token = _page(packages, params)
        return {"packages": [{**self._package_header(p), "originConfiguration": {
            "restrictions": {"publish": "ALLOW", "upstream": "ALLOW"}}} for p in chunk], "nextToken": token}

    def list_package_versions(self, params: dict, ctx: RequestContext) -> dict:
        repo, package = self._package(params, ctx)
        versions = [v for v in package.versions.values()
                    if (not params.get("status") or v.status == params["status"])
                    and (not params.get("originType") or params["originType"] == "INTERNAL")]
        if params.get("sortBy") == "PUBLISHED_TIME":
            versions.sort(key=lambda v: v.published, reverse=True)
        else:
            versions.sort(key=lambda v: version_key(v.version), reverse=True)
        listed = [v for v in package.versions.values() if v.status in LISTED]
        default = max(listed, key=lambda v: version_key(v.version)).version if listed else None
        chunk, token = _page(versions, params)
        return {**self._package_header(package), "defaultDisplayVersion": default,
                "versions": [{"version": v.version, "revision": v.revision, "status": v.status,
                              "origin": self._origin(v)} for v in chunk], "nextToken": token}

    @staticmethod
    def _origin(version) -> dict:
        return {"domainEntryPoint": {"repositoryName": version.entry_point}, "originType": "INTERNAL"}

    def describe_package_version(self, params: dict, ctx: RequestContext) -> dict:
        repo, package = self._package(params, ctx)
        v = self.backend.version(repo, package, params["packageVersion"])
        return {"packageVersion": {
            "format": package.format, "namespace": package.namespace, "packageName": package.name,
            "displayName": package.display_name, "version": v.version, "summary": v.summary, "homePage": v.home_page,
            "publishedTime": v.published, "licenses": v.licenses, "revision": v.revision, "status": v.status,
            "origin": self._origin(v)}}

    def list_package_version_assets(self, params: dict, ctx: RequestContext) -> dict:
        repo, package = self._package(params, ctx)
        v = self.backend.version(repo, package, params["packageVersion"])
        # an archived version's assets are listed (only downloads stop); a disposed one has none left
        assets = sorted(v.assets.values(), key=lambda a: a.name)
        chunk, token = _page(assets, params)
        return {**self._package_header(package), "version": v.version, "versionRevision": v.revision,
                "assets": [a.summary() for a in chunk], "nextToken": token}

    def delete_package_versions(self, params: dict, ctx: RequestContext) -> dict:
        repo, package = self._package(params, ctx)
        ok, failed = self.backend.change_versions(repo, package, params["versions"], {}, params.get("expectedStatus"),
                                                  self.backend.delete)
        return {"successfulVersions": ok, "failedVersions": failed}

    def update_package_versions_status(self, params: dict, ctx: RequestContext) -> dict:
        target = params["targetStatus"]
        if target not in SETTABLE_STATUSES:
            # API_UpdatePackageVersionsStatus: Archived, Published or Unlisted; disposing has its own call
            raise ValidationException(f"targetStatus {target} cannot be set with UpdatePackageVersionsStatus; it "
                                      f"sets only {', '.join(sorted(SETTABLE_STATUSES))} (DisposePackageVersions "
                                      "disposes, DeletePackageVersions deletes).")
        repo, package = self._package(params, ctx)
        ok, failed = self.backend.change_versions(repo, package, params["versions"], params.get("versionRevisions") or {},
                                                  params.get("expectedStatus"), self.backend.set_status(target))
        return {"successfulVersions": ok, "failedVersions": failed}

    def dispose_package_versions(self, params: dict, ctx: RequestContext) -> dict:
        repo, package = self._package(params, ctx)
        ok, failed = self.backend.change_versions(repo, package, params["versions"], params.get("versionRevisions") or {},
                                                  params.get("expectedStatus"), self.backend.dispose)
        return {"successfulVersions": ok, "failedVersions": failed}

    # -- tags -------------------------------------------------------------------------------------
    def tag_resource(self, params: dict, ctx: RequestContext) -> dict:
        self.backend.tag(params["resourceArn"], _tags(params["tags"]))
        return {}

    def untag_resource(self, params: dict, ctx: RequestContext) -> dict:
        self.backend.untag(params["resourceArn"], params["tagKeys"])
        return {}

    def list_tags_for_resource(self, params: dict, ctx: RequestContext) -> dict:
        return {"tags": _tag_list(self.backend.tagged(params["resourceArn"]).tags)}
