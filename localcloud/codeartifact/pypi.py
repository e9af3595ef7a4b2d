"""The PyPI protocol on a CodeArtifact repository's endpoint: what pip and twine speak.

Served on localcloud's own port under
`/_localcloud/codeartifact/<domain>-<owner>/<region>/pypi/<repository>/` (AWS's host is
`<domain>-<owner>.d.codeartifact.<region>.amazonaws.com/pypi/<repository>/`; GetRepositoryEndpoint
answers this path instead):

- `simple/` and `simple/<project>/`: the simple repository API, HTML (PEP 503) or JSON (PEP 691,
  when the Accept header prefers `application/vnd.pypi.simple.v1+json`, as pip's does), each file
  linked with its `#sha256=` fragment and `data-requires-python`;
- `simple/<project>/<version>/<file>`: the file itself;
- `POST` on the endpoint: the legacy upload API twine uses (multipart form, `:action=file_upload`),
  its metadata checked with `packaging` (PEP 503 names, PEP 440 versions, wheel and sdist file names).

Every request needs a live token from GetAuthorizationToken for this domain, sent as HTTP basic
auth with user `aws` (401 with WWW-Authenticate otherwise); reads need codeartifact:ReadFromRepository
on the repository and uploads codeartifact:PublishPackageVersion on the package, for the principal
the token was issued to. A project resolves in the repository and then its upstreams in order.
public:pypi cannot be reached (localcloud is offline): a project found nowhere, where the search
passes a public:pypi connection, answers 502 saying so, never an empty index.
Sources: https://peps.python.org/pep-0503/ https://peps.python.org/pep-0691/
https://docs.aws.amazon.com/codeartifact/latest/ug/python-configure-pip.html
https://docs.aws.amazon.com/codeartifact/latest/ug/python-configure-twine.html
"""
from __future__ import annotations

import base64
import html
import json
import os
import re
import tarfile
import zipfile
from pathlib import Path
from urllib.parse import quote

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Request, Response

from localcloud.codeartifact.contract import CodeArtifactContract
from localcloud.codeartifact.models import (
    DOWNLOADABLE,
    LISTED,
    CodeArtifactBackend,
    PackageVersion,
    Repository,
    Upload,
    version_key,
)
from localcloud.exceptions import AWSError

PREFIX = "/_localcloud/codeartifact/"
JSON_TYPE = "application/vnd.pypi.simple.v1+json"
HTML_TYPE = "application/vnd.pypi.simple.v1+html"
OFFLINE_CONNECTION = "public:pypi"
#: PEP 508's project name (the core metadata spec: ASCII letters, digits, '.', '_', '-')
PROJECT_NAME = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$", re.IGNORECASE)
#: multipart overhead allowed above the asset limit before the body is refused unread
FORM_OVERHEAD = 1 << 20


def endpoint_path(domain: str, owner: str, region: str, repository: str) -> str:
    return f"{PREFIX}{domain}-{owner}/{region}/pypi/{repository}/"


class Refused(Exception):
    def __init__(self, status: int, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers or {}


def _text(status: int, message: str, headers: dict | None = None) -> Response:
    # the reason phrase carries the message too, as PyPI does, because twine shows it
    phrase = re.sub(r"[\r\n]+", " ", message)[:200]
    return Response(message + "\n", status=f"{status} {phrase}", mimetype="text/plain", headers=headers)


class PyPIApp:
    def __init__(self, backend: CodeArtifactBackend, contract: CodeArtifactContract):
        self.backend = backend
        self.contract = contract

    def __call__(self, environ, start_response):
        request = Request(environ)
        try:
            response = self._serve(request)
        except Refused as refused:
            response = _text(refused.status, refused.message, refused.headers)
        except AWSError as err:  # an IAM refusal (AccessDenied) for the token's principal
            response = _text(403 if err.status in (400, 403) else err.status, err.message)
        return response(environ, start_response)

    # -- dispatch ---------------------------------------------------------------------------------
    def _serve(self, request: Request) -> Response:
        parts = request.path[len(PREFIX):].split("/", 4)
        # <domain>-<owner>/<region>/pypi/<repository>/<rest>; the endpoint without its slash is the endpoint
        if len(parts) == 4:
            parts.append("")
        if len(parts) < 5 or parts[2] != "pypi" or "-" not in parts[0]:
            raise Refused(404, "Not Found: a CodeArtifact repository endpoint is "
                               f"{PREFIX}<domain>-<owner>/<region>/pypi/<repository>/")
        domain_name, owner = parts[0].rsplit("-", 1)
        region, repo_name, rest = parts[1], parts[3], parts[4]
        token = self._token(request, owner, region, domain_name)
        try:
            domain = self.backend.domain(region, domain_name, owner)
            repo = self.backend.repository(domain, repo_name)
        except AWSError as err:
            raise Refused(404, err.message) from None
        if request.method == "POST" and rest == "":
            return self._upload(request, repo, token.principal)
        if request.method not in ("GET", "HEAD"):
            raise Refused(405, f"{request.method} is not part of the PyPI protocol here", {"Allow": "GET, HEAD, POST"})
        self.contract.authorize_read(token.principal, repo)
        segments = rest.split("/")
        if segments[0] != "simple":
            raise Refused(404, "Not Found")
        if rest == "simple":
            return Response(status=301, headers={"Location": f"{request.script_root}{request.path}/"})
        if rest == "simple/":
            return self._root(request, repo)
        if len(segments) == 2 or (len(segments) == 3 and segments[2] == ""):
            project = segments[1]
            canonical = canonicalize_name(project)
            if project != canonical or len(segments) == 2:  # PEP 503: redirect to the normalised URL
                return Response(status=301, headers={"Location": f"{request.script_root}{request.path.rsplit('/simple/', 1)[0]}/simple/{canonical}/"})
            return self._project(request, repo, canonical)
        if len(segments) == 4:
            return self._file(repo, canonicalize_name(segments[1]), segments[2], segments[3])
        raise Refused(404, "Not Found")

    def _token(self, request: Request, owner: str, region: str, domain: str):
        challenge = {"WWW-Authenticate": 'Basic realm="localcloud CodeArtifact"'}
        auth = request.headers.get("Authorization", "")
        if not auth.lower().startswith("basic "):
            raise Refused(401, "Unauthorized: send the token from GetAuthorizationToken as basic auth, user 'aws'",
                          challenge)
        try:
            user, _, password = base64.b64decode(auth[6:].strip()).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            raise Refused(401, "Unauthorized: the Authorization header is not valid basic auth", challenge) from None
        token = self.backend.token(password) if user == "aws" else None
        if token is None or (token.owner, token.region, token.domain) != (owner, region, domain):
            raise Refused(401, "Unauthorized: the token is invalid, expired, or for another domain", challenge)
        return token

    # -- reading ----------------------------------------------------------------------------------
    def _versions(self, repo: Repository, project: str) -> list[tuple[Repository, PackageVersion]] | None:
        """Each version of `project` where the search order first finds it (own versions first,
        then each upstream's in list order); None when no repository searched has the project."""
        found: dict[str, tuple[Repository, PackageVersion]] = {}
        seen = False
        with self.backend.lock:
            for r in self.backend.search_order(repo):
                package = r.packages.get(("pypi", "", project))
                if package is None:
                    continue
                seen = True
                for version in package.versions.values():
                    found.setdefault(version.version, (r, version))
        return list(found.values()) if seen else None

    def _not_found(self, repo: Repository, project: str) -> Refused:
        offline = [r.name for r in self.backend.search_order(repo) if OFFLINE_CONNECTION in r.external_connections]
        if offline:
            return Refused(502, f"'{project}' is not in repository {repo.name} or its upstreams, and the "
                                f"{OFFLINE_CONNECTION} external connection (on {', '.join(offline)}) is not emulated: "
                                "localcloud is offline and cannot reach the public Python Package Index.")
        return Refused(404, f"Not Found: no project '{project}' in repository {repo.name} or its upstreams")

    @staticmethod
    def _wants_json(request: Request) -> bool:
        accept = request.accept_mimetypes
        return accept.quality(JSON_TYPE) > max(accept.quality(HTML_TYPE), accept.quality("text/html"))

    def _root(self, request: Request, repo: Repository) -> Response:
        names: dict[str, str] = {}
        with self.backend.lock:
            for r in self.backend.search_order(repo):
                for (fmt, _, name), package in r.packages.items():
                    if fmt == "pypi" and any(v.status in LISTED for v in package.versions.values()):
                        names.setdefault(name, package.display_name)
        if self._wants_json(request):
            body = {"meta": {"api-version": "1.0"}, "projects": [{"name": n} for n in sorted(names)]}
            return Response(json.dumps(body), mimetype=JSON_TYPE)
        links = "\n".join(f'<a href="{quote(n)}/">{html.escape(n)}</a><br/>' for n in sorted(names))
        return Response(f"<!DOCTYPE html>\n<html><head><meta name=\"pypi:repository-version\" content=\"1.0\">"
                        f"<title>Simple index</title></head><body>\n{links}\n</body></html>\n", mimetype="text/html")

    def _project(self, request: Request, repo: Repository, project: str) -> Response:
        versions = self._versions(repo, project)
        if versions is None:
            raise self._not_found(repo, project)
        files = []
        for _, version in sorted(versions, key=lambda rv: version_key(rv[1].version)):
            if version.status not in LISTED:   # Unlisted, Archived, Disposed: not offered to pip
                continue
            for asset in sorted(version.assets.values(), key=lambda a: a.name):
                files.append((version, asset))
        if self._wants_json(request):
            body = {"meta": {"api-version": "1.0"}, "name": project, "files": [
                {"filename": a.name, "url": f"{quote(v.version)}/{quote(a.name)}",
                 "hashes": {"sha256": a.hashes["SHA-256"]},
                 **({"requires-python": v.requires_python} if v.requires_python else {})} for v, a in files]}
            return Response(json.dumps(body), mimetype=JSON_TYPE)
        links = "\n".join(
            f'<a href="{quote(v.version)}/{quote(a.name)}#sha256={a.hashes["SHA-256"]}"'
            + (f' data-requires-python="{html.escape(v.requires_python)}"' if v.requires_python else "")
            + f">{html.escape(a.name)}</a><br/>" for v, a in files)
        return Response(f"<!DOCTYPE html>\n<html><head><meta name=\"pypi:repository-version\" content=\"1.0\">"
                        f"<title>Links for {html.escape(project)}</title></head><body>\n<h1>Links for "
                        f"{html.escape(project)}</h1>\n{links}\n</body></html>\n", mimetype="text/html")

    def _file(self, repo: Repository, project: str, version: str, filename: str) -> Response:
        versions = self._versions(repo, project)
        if versions is None:
            raise self._not_found(repo, project)
        for _, v in versions:
            if v.version == version and filename in v.assets:
                if v.status not in DOWNLOADABLE:
                    raise Refused(404, f"Not Found: version {version} of {project} is {v.status}; its assets "
                                       "cannot be downloaded")
                asset = v.assets[filename]
                response = Response(open(asset.path, "rb"), mimetype="application/octet-stream", direct_passthrough=True)
                response.headers["Content-Length"] = str(asset.size)
                return response
        raise Refused(404, f"Not Found: no file {filename} in version {version} of {project}")

    # -- publishing -------------------------------------------------------------------------------
    def _upload(self, request: Request, repo: Repository, principal) -> Response:
        limit = self.backend.max_asset_bytes
        if request.content_length is not None and request.content_length > limit + FORM_OVERHEAD:
            raise Refused(413, f"Request too large: the upload is {request.content_length} bytes; the largest asset "
                               f"CodeArtifact accepts is {limit} bytes")
        request.max_content_length = limit + FORM_OVERHEAD
        try:
            form, files = request.form, request.files
        except RequestEntityTooLarge:
            raise Refused(413, f"Request too large: the largest asset CodeArtifact accepts is {limit} bytes") from None
        if form.get(":action") != "file_upload":
            raise Refused(400, f"Unsupported ':action' {form.get(':action')!r}: this endpoint takes file_upload")
        if form.get("protocol_version", "1") != "1":
            raise Refused(400, f"Unsupported protocol_version {form.get('protocol_version')!r}: only 1")
        name, version_text = form.get("name", ""), form.get("version", "")
        if not PROJECT_NAME.match(name):
            raise Refused(400, f"Invalid project name {name!r}: it must match PEP 508's name rule")
        try:
            version = Version(version_text)
        except InvalidVersion:
            raise Refused(400, f"Invalid version {version_text!r}: it is not a PEP 440 version") from None
        content = files.get("content")
        if content is None or not content.filename:
            raise Refused(400, "The upload has no 'content' file")
        filename = os.path.basename(content.filename)
        filetype = form.get("filetype", "")
        self._check_filename(filename, filetype, name, version)
        # the package's name is what publishing is authorized on (PublishPackageVersion)
        self.contract.authorize_publish(principal, repo, str(canonicalize_name(name)))
        fd, spooled = self.backend.spool()
        path = Path(spooled)
        try:
            with os.fdopen(fd, "wb") as out:
                size = 0
                for chunk in iter(lambda: content.stream.read(1 << 20), b""):
                    size += len(chunk)
                    if size > limit:
                        raise Refused(413, f"Request too large: the largest asset CodeArtifact accepts is {limit} "
                                           "bytes")
                    out.write(chunk)
            if size == 0:
                raise Refused(400, f"The file {filename} is empty")
            self._check_digests(form, path)
            self._check_archive(filename, path)
            upload = Upload("pypi", name, str(version), filename, path, summary=form.get("summary") or None,
                            home_page=form.get("home_page") or None, license=form.get("license") or None,
                            requires_python=form.get("requires_python") or None)
            try:
                self.backend.publish(repo, upload)
            except AWSError as err:
                raise Refused(err.status if err.status in (400, 409, 413) else 400, err.message) from None
        finally:
            path.unlink(missing_ok=True)   # kept assets were renamed away; this drops only a refused one
        return _text(200, "OK")

    @staticmethod
    def _check_filename(filename: str, filetype: str, name: str, version: Version) -> None:
        try:
            if filetype == "bdist_wheel":
                file_name, file_version, _, _ = parse_wheel_filename(filename)
            elif filetype == "sdist":
                file_name, file_version = parse_sdist_filename(filename)
            else:
                raise Refused(400, f"Unsupported filetype {filetype!r}: wheels (bdist_wheel) and sdists only")
        except (InvalidWheelFilename, InvalidSdistFilename) as err:
            raise Refused(400, f"Invalid file name {filename!r}: {err}") from None
        if file_name != canonicalize_name(name) or file_version != version:
            raise Refused(400, f"The file {filename} is not of {name} {version} (its name says "
                               f"{file_name} {file_version})")

    @staticmethod
    def _check_digests(form, path: Path) -> None:
        import hashlib

        for field, algorithm in (("sha256_digest", "sha256"), ("md5_digest", "md5"), ("blake2_256_digest", "blake2b")):
            wanted = form.get(field)
            if not wanted:
                continue
            digest = hashlib.blake2b(digest_size=32) if algorithm == "blake2b" else hashlib.new(algorithm)
            with open(path, "rb") as f:
                for chunk in iter(lambda: f.read(1 << 20), b""):
                    digest.update(chunk)
            if digest.hexdigest() != wanted.lower():
                raise Refused(400, f"The {field} does not match the uploaded file: it was damaged on the way")

    @staticmethod
    def _check_archive(filename: str, path: Path) -> None:
        readable = zipfile.is_zipfile(path) if filename.endswith((".whl", ".zip")) else tarfile.is_tarfile(path)
        if not readable:
            raise Refused(400, f"The file {filename} is not a readable "
                               f"{'zip' if filename.endswith(('.whl', '.zip')) else 'tar'} archive")
