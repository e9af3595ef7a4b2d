"""UPLOAD_ARTIFACTS: select files as the buildspec says, zip them, put them in S3.

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
import zipfile
from dataclasses import dataclass
from pathlib import Path

from localcloud.codebuild.buildspec import FileSelection


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


def select(src: Path, selection: FileSelection, log) -> list[Selected]:
    """Files chosen by `selection`, logged as CodeBuild logs it; [] when nothing matched."""
    log("Expanding base directory path: " + (selection.base_directory or "."))
    bases = _base_directories(src, selection.base_directory)
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


def upload(s3, *, bucket: str, key: str, body: bytes, build_arn: str) -> dict:
    """Put one object with the metadata CodeBuild writes; return the Build.artifacts fields."""
    md5 = hashlib.md5(body).hexdigest()
    sha256 = hashlib.sha256(body).hexdigest()
    s3.put_object(Bucket=bucket, Key=key, Body=body, Metadata={
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
