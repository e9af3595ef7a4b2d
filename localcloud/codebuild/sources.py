"""DOWNLOAD_SOURCE: put a build's sources in its work directory.

CODEPIPELINE and S3 sources are ZIP objects in S3; CODECOMMIT sources are the localcloud
repository's tree at the requested version; NO_SOURCE is an empty directory. A failure raises
`SourceError`, which CodeBuild reports as CLIENT_ERROR "<problem> for primary source and source
version <version>" (wording from public build logs). A service role the source's service refuses
(S3 GetObject, CodeCommit GitPull) fails the same way, with that service's code and message.
"""
from __future__ import annotations

import io
import os
import re
import stat
import zipfile
from pathlib import Path

from localcloud.codecommit.exceptions import CommitIdDoesNotExistException, RepositoryDoesNotExistException
from localcloud.exceptions import ServiceError
from localcloud.iam.exceptions import AccessDeniedByPolicy

COMMIT_ID = re.compile(r"^[0-9a-f]{40}$")
REPO_URL = re.compile(r"/v1/repos/([^/?#]+)/?$")


class SourceError(Exception):
    def __init__(self, message: str, status_code: str = "CLIENT_ERROR"):
        super().__init__(message)
        self.status_code = status_code
        self.message = message


def extract_zip(data: bytes, dest: Path) -> None:
    """Unpack keeping the executable bit (scripts stay runnable) and refusing paths that
    would land outside `dest`."""
    dest.mkdir(parents=True, exist_ok=True)
    root = dest.resolve()
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise SourceError("the source artifact is not a valid ZIP archive") from None
    with archive:
        for info in archive.infolist():
            target = (dest / info.filename).resolve()
            if root != target and root not in target.parents:
                raise SourceError(f"the source archive entry {info.filename} points outside the source directory")
            if info.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            mode = (info.external_attr >> 16) & 0o777
            if stat.S_ISLNK(info.external_attr >> 16):
                os.symlink(archive.read(info).decode(), target)
                continue
            with archive.open(info) as src, open(target, "wb") as out:
                while chunk := src.read(1 << 20):
                    out.write(chunk)
            if mode:
                os.chmod(target, mode | 0o600)


def split_s3_location(location: str) -> tuple[str, str]:
    """`bucket/key` or `arn:aws:s3:::bucket/key` -> (bucket, key)."""
    if location.startswith("arn:aws:s3:::"):
        location = location[len("arn:aws:s3:::"):]
    bucket, _, key = location.partition("/")
    return bucket, key


def s3_object(s3, principal, bucket: str, key: str, version: str | None = None) -> bytes:
    """The object's bytes through S3's door, as the build's service-role session."""
    try:
        return s3.get_object(principal, bucket, key, version_id=version or None)
    except ServiceError as err:
        raise SourceError(f"{err.code}: {err.message} for primary source and source version "
                          f"arn:aws:s3:::{bucket}/{key}") from None


def codecommit_tree(codecommit, principal, region: str, location: str, version: str | None) -> tuple[bytes, str]:
    """(zip of the tree, resolved commit id) of the CodeCommit repository at `location`, read
    through CodeCommit's door as the build's role (a clone is `codecommit:GitPull`)."""
    match = REPO_URL.search(location or "")
    if not match:
        raise SourceError(f"invalid CodeCommit location {location!r}: expecting https://git-codecommit.<region>.amazonaws.com/v1/repos/<name>")
    repository = match.group(1)
    label = version or "refs/heads/<default branch>"
    try:
        # a clone is one permission, codecommit:GitPull, for the references and the objects alike
        info = codecommit.get_repository(principal, region, repository, action="GitPull")
        commit = _resolve_commit(codecommit, principal, region, info, version)
        if commit is None:
            raise SourceError(f"reference not found for primary source and source version {label}")
        return codecommit.archive_commit(principal, region, repository, commit, action="GitPull"), commit
    except RepositoryDoesNotExistException:
        raise SourceError(f"repository not found for primary source and source version {label}") from None
    except (CommitIdDoesNotExistException, AccessDeniedByPolicy) as err:
        raise SourceError(f"{err.code}: {err.message} for primary source and source version {label}") from None


def _resolve_commit(codecommit, principal, region: str, info, version: str | None) -> str | None:
    if version and COMMIT_ID.match(version):
        return version
    if version:
        branch = version[len("refs/heads/"):] if version.startswith("refs/heads/") else version
    else:
        branch = info.default_branch
        if not branch:
            return None
    return codecommit.branch_head(principal, region, info.name, branch, action="GitPull")


def download(build, services, principal, src: Path, work: Path) -> dict[str, Path]:
    """DOWNLOAD_SOURCE: the primary source into `src`, a pipeline's other input artifacts beside
    it; returns their directories by artifact name. Sets the build's resolved source version.
    Raises SourceError."""
    secondary: dict[str, Path] = {}
    if build.pipeline is not None:
        inputs = build.pipeline["input_artifacts"]
        primary = build.pipeline.get("primary_source") or (inputs[0]["name"] if inputs else None)
        for artifact in inputs:
            target = src if artifact["name"] == primary else work / f"src-{artifact['name']}"
            extract_zip(s3_object(services.s3, principal, artifact["bucket"], artifact["key"]), target)
            if target != src:
                secondary[artifact["name"]] = target
        # sourceVersion is the input artifact's S3 object; the revision behind it (the commit)
        # is what CodePipeline hands over as the resolved source version
        build.resolved_source_version = build.pipeline.get("source_version")
        return secondary
    kind = build.source.get("type")
    if kind == "S3":
        bucket, key = split_s3_location(build.source.get("location", ""))
        extract_zip(s3_object(services.s3, principal, bucket, key, build.source_version), src)
        build.resolved_source_version = build.source_version
    elif kind == "CODECOMMIT":
        data, commit = codecommit_tree(services.codecommit, principal, build.region, build.source.get("location", ""),
                                       build.source_version)
        extract_zip(data, src)
        build.resolved_source_version = commit
    elif kind == "CODEPIPELINE":
        raise SourceError("a CODEPIPELINE source can only be built by CodePipeline "
                          "(StartBuild on such a project has no input artifact)")
    return secondary
