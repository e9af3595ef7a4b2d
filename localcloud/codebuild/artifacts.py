"""UPLOAD_ARTIFACTS: select files as the buildspec says, zip them, put them in S3 (ArtifactUploader).

Selection follows build-spec-ref: patterns are relative to CODEBUILD_SRC_DIR or to
`base-directory` (itself possibly a glob, whose matching directories are not part of the
output paths); `**` spans any number of directories; `discard-paths: yes` flattens.
"""
from __future__ import annotations

import base64
import fnmatch
import hashlib
import io
import os
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from localcloud.codebuild.buildspec import Buildspec, FileSelection
from localcloud.codebuild.models import Build
from localcloud.exceptions import AWSError


class ArtifactError(Exception):
    """UPLOAD_ARTIFACTS fails with CLIENT_ERROR and this message."""


@dataclass
class Selected:
    source: Path        # the file on disk
    name: str           # its path inside the artifact


def _segments(pattern: str) -> list[str]:
    return [s for s in pattern.replace("\\", "/").split("/") if s not in ("", ".")]


def _match(pattern: list[str], path: list[str]) -> bool:
    if not pattern:
        return not path
    head, rest = pattern[0], pattern[1:]
    if head == "**":
        return any(_match(rest, path[i:]) for i in range(len(path) + 1))
    return bool(path) and fnmatch.fnmatchcase(path[0], head) and _match(rest, path[1:])


def _walk(root: Path) -> list[list[str]]:
    files = []
    for directory, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames.sort()
        rel = Path(directory).relative_to(root).parts
        for name in sorted(filenames):
            files.append([*rel, name])
    return files


def _base_directories(src: Path, base: str | None) -> list[Path]:
    if not base:
        return [src]
    pattern = _segments(base)
    if not any(ch in base for ch in "*?["):
        path = src.joinpath(*pattern)
        return [path] if path.is_dir() else []
    found = []
    for directory, dirnames, _ in os.walk(src):
        rel = list(Path(directory).relative_to(src).parts)
        if rel and _match(pattern, rel):
            found.append(Path(directory))
    return sorted(found)


def _inside(path: Path, src: Path) -> bool:
    """Whether `path`, `..` and symlinks resolved, is within the build's source directory. On
    AWS the container is the build's whole world; here the directory around it is the host's,
    so a `base-directory: ../..` or a link to a host file must not carry host files into S3."""
    return Path(os.path.realpath(path)).is_relative_to(os.path.realpath(src))


def select(src: Path, selection: FileSelection, log) -> list[Selected]:
    """Files chosen by `selection`, logged as CodeBuild logs it; [] when nothing matched.
    Files outside `src` (see `_inside`) are skipped, and the log says so."""
    log("Expanding base directory path: " + (selection.base_directory or "."))
    bases = []
    for base in _base_directories(src, selection.base_directory):
        if _inside(base, src):
            bases.append(base)
        else:
            log(f"Skipping base directory {selection.base_directory}: it resolves outside the source directory, "
                "and localcloud does not read host files")
    log("Assembling file list")
    chosen: dict[str, Selected] = {}
    excludes = [_segments(p) for p in selection.exclude_paths]
    for pattern in selection.files:
        log(f"Expanding {pattern}")
        segments = _segments(pattern)
        hits = 0
        for base in bases:
            for parts in _walk(base):
                if not _match(segments, parts) or any(_match(e, parts) for e in excludes):
                    continue
                if not _inside(base.joinpath(*parts), src):
                    log(f"Skipping {'/'.join(parts)}: it resolves outside the source directory, "
                        "and localcloud does not read host files")
                    continue
                hits += 1
                name = parts[-1] if selection.discard_paths else "/".join(parts)
                chosen.setdefault(name, Selected(base.joinpath(*parts), name))
        if hits == 0:
            log(f"Skipping invalid file path {pattern}")
    if chosen:
        log(f"Found {len(chosen)} file(s)")
    return list(chosen.values())


def make_zip(files: list[Selected]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for item in files:
            info = zipfile.ZipInfo.from_file(item.source, arcname=item.name)
            info.compress_type = zipfile.ZIP_DEFLATED
            with open(item.source, "rb") as fh:
                archive.writestr(info, fh.read())
    return buffer.getvalue()


def upload(s3, principal, *, bucket: str, key: str, body: bytes, build_arn: str) -> dict:
    """Put one object with the metadata CodeBuild writes; return the Build.artifacts fields."""
    md5 = hashlib.md5(body).hexdigest()
    sha256 = hashlib.sha256(body).hexdigest()
    s3.put_object(principal, bucket, key, body, metadata={
        "codebuild-buildarn": build_arn,
        "codebuild-content-md5": base64.b64encode(bytes.fromhex(md5)).decode(),
        "codebuild-content-sha256": sha256,
    })
    return {"location": f"arn:aws:s3:::{bucket}/{key}", "md5sum": md5, "sha256sum": sha256}


def s3_destination(config: dict, build_uuid: str, name_override: str | None) -> tuple[str, str]:
    """Bucket and key (or key prefix when packaging is NONE) for an S3 artifacts config:
    `<path>/<build id if namespaceType BUILD_ID>/<name>`."""
    name = name_override if (config.get("overrideArtifactName") and name_override) else config.get("name") or build_uuid
    parts = [p for p in (config.get("path") or "").split("/") if p]
    if config.get("namespaceType") == "BUILD_ID":
        parts.append(build_uuid)
    parts.append(name)
    return config["location"], "/".join(parts)


_VARIABLE = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")


def _expand_with(text: str, env: dict[str, str]) -> str:
    """`$NAME` and `${NAME}` replaced from `env` (unset -> empty, as the shell does)."""
    return _VARIABLE.sub(lambda m: env.get(m.group(1) or m.group(2), ""), text)


class ArtifactUploader:
    """UPLOAD_ARTIFACTS for one build: the buildspec's primary and secondary artifacts, packaged
    and put where the pipeline or the project's artifacts config says; the result is recorded on
    the build (Build.artifacts, Build.secondary_artifacts). Raises ArtifactError."""

    def __init__(self, s3, principal, build: Build, spec: Buildspec, src: Path, env: dict[str, str], log):
        self.s3, self.principal = s3, principal  # S3's door, as the build's service-role session
        self.build = build
        self.spec = spec
        self.src = src
        self.env = env          # the build's final environment: artifact names are expanded with it
        self._agent = log

    def upload(self) -> None:
        build = self.build
        spec_artifacts = self.spec.artifacts
        if build.pipeline is not None:
            outputs = build.pipeline["output_artifacts"]
            if not outputs:
                return
            if spec_artifacts is None:
                # UNCONFIRMED wording; AWS refuses to produce a declared output without a definition
                raise ArtifactError("no definition for primary artifact in buildspec")
            primary = outputs[0]
            build.artifacts = self._package(spec_artifacts, primary["bucket"], primary["key"])
            for extra in outputs[1:]:
                selection = self.spec.secondary_artifacts.get(extra["name"])
                if selection is None:
                    raise ArtifactError(f"no definition for secondary artifact {extra['name']} in buildspec")
                info = self._package(selection, extra["bucket"], extra["key"])
                build.secondary_artifacts.append({**info, "artifactIdentifier": extra["name"]})
            return
        config = build.artifacts_config or {}
        if config.get("type") != "S3":
            build.artifacts = {"location": ""}
            return
        if spec_artifacts is None:
            raise ArtifactError("no definition for primary artifact in buildspec")
        name = self._expand(spec_artifacts.name) if spec_artifacts.name else None
        bucket, key = s3_destination(config, build.uuid, name)
        if config.get("packaging") == "ZIP":
            build.artifacts = self._package(spec_artifacts, bucket, key)
        else:
            build.artifacts = self._copy_files(spec_artifacts, bucket, key)
        build.artifacts.update(overrideArtifactName=bool(config.get("overrideArtifactName")),
                               encryptionDisabled=bool(config.get("encryptionDisabled")))

    def _select(self, selection) -> list:
        files = select(self.src, selection, self._agent)
        if not files:
            raise ArtifactError("no matching artifact paths found")
        return files

    def _package(self, selection, bucket: str, key: str) -> dict:
        body = make_zip(self._select(selection))
        self._agent(f"Uploading artifact to s3://{bucket}/{key}")
        return self._put(bucket, key, body)

    def _copy_files(self, selection, bucket: str, prefix: str) -> dict:
        for item in self._select(selection):
            self._put(bucket, f"{prefix}/{item.name}", item.source.read_bytes())
        return {"location": f"arn:aws:s3:::{bucket}/{prefix}"}

    def _put(self, bucket: str, key: str, body: bytes) -> dict:
        try:
            return upload(self.s3, self.principal, bucket=bucket, key=key,
                          body=body, build_arn=self.build.arn)
        except AWSError as err:  # S3's refusal (AccessDenied, NoSuchBucket, ...), with S3's code and message
            raise ArtifactError(f"{err.code}: {err.message} (uploading arn:aws:s3:::{bucket}/{key})") from None

    def _expand(self, text: str) -> str:
        """Artifact names are shell-expanded with the build's final environment."""
        return _expand_with(text, self.env)
