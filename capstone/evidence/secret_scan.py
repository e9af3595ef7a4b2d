"""Proof with the real values that a run's evidence holds no usable secret.

The embedded localcloud records every approval token and role-session credential it issues
(localcloud/issued.py). After the run's reports are written, every file of the run directory
(audit.json/html, evidence.json, Allure results, JUnit XML, logs) is searched for each of them.
A hit fails the run and names the kind and the file, never the value. This checks the masking
by structure (the watcher drops tokens, the scrubber masks credentials), so the values are not
registered with the scrubber: that would hide exactly the failures this exists to find.
Live runs have no such list: AWS does not tell anyone the tokens it issued.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping

MAX_FILE_BYTES = 64 * 1024 * 1024   # a run's files are far smaller; bound the read anyway


@dataclass(frozen=True)
class Finding:
    kind: str      # "approval token", "role session secret key", ...
    path: Path

    def __str__(self) -> str:
        return f"{self.kind} in {self.path}"


def issued_here() -> dict[str, list[str]]:
    """What this process's embedded localcloud issued ({} when none runs here)."""
    import sys

    module = sys.modules.get("localcloud.issued")
    return module.ISSUED.snapshot() if module is not None else {}


def _files(paths: Iterable[Path]) -> Iterable[Path]:
    for path in paths:
        if path.is_dir():
            yield from (p for p in sorted(path.rglob("*")) if p.is_file())
        elif path.is_file():
            yield path


def scan(issued: Mapping[str, Iterable[str]], paths: Iterable[Path]) -> list[Finding]:
    needles = [(kind, value.encode()) for kind, values in issued.items() for value in values if len(value) >= 8]
    if not needles:
        return []
    findings: list[Finding] = []
    for file in _files(paths):
        if file.stat().st_size > MAX_FILE_BYTES:
            continue
        data = file.read_bytes()
        kinds = sorted({kind for kind, needle in needles if needle in data})
        findings += [Finding(kind, file) for kind in kinds]
    return findings
