"""Changes a developer makes to the sample application (sample_app/ in the repository).

    index.html          shows `awscicd demo app — v<N>`: the version users see
    app/settings.json   deploy-time behaviour: {"index_status": 200, "health_status": 200}
    tests/              the build gate: a failing test here must stop the pipeline
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Callable

from capstone.drivers import http

INDEX = "index.html"
SETTINGS = "app/settings.json"
GOOD_SETTINGS = {"index_status": 200, "health_status": 200, "proxied_index_status": 200}
GATE_TEST = "tests/test_release_gate.py"

Change = Callable[[Path], None]


page_version = http.parse_version  # the version an index.html shows (the same parse as served pages)


def with_version(page: str, version: str) -> str:
    if not re.fullmatch(r"v\d+", version):
        raise ValueError(f"versions look like v<N>, got {version!r}")
    new, count = re.subn(r"(demo app\s+\S+\s+)v\d+", lambda m: m.group(1) + version, page)
    if count == 0:
        raise ValueError(f"{INDEX} shows no `demo app — v<N>` to change")
    return new


def release(version: str) -> Change:
    """Show `version` on the index page."""
    def change(tree: Path) -> None:
        path = tree / INDEX
        path.write_text(with_version(path.read_text(encoding="utf-8"), version), encoding="utf-8")
    return change


def settings(**values: int) -> Change:
    """Change deploy-time settings, e.g. settings(index_status=500)."""
    unknown = set(values) - set(GOOD_SETTINGS)
    if unknown:
        raise ValueError(f"unknown app settings {sorted(unknown)}; known: {sorted(GOOD_SETTINGS)}")

    def change(tree: Path) -> None:
        path = tree / SETTINGS
        current = json.loads(path.read_text(encoding="utf-8"))
        current.update(values)
        path.write_text(json.dumps(current, indent=2) + "\n", encoding="utf-8")
    return change


def failing_test(reason: str) -> Change:
    """Add a test that fails: the build gate must stop the pipeline before Approval."""
    body = (
        '"""Added by the capstone scenario "failing test blocks": this test must fail the build."""\n\n\n'
        "def test_release_gate_blocks_a_failing_change():\n"
        f"    assert False, {reason!r}\n")

    def change(tree: Path) -> None:
        path = tree / GATE_TEST
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body, encoding="utf-8")
    return change


def combine(*changes: Change) -> Change:
    def change(tree: Path) -> None:
        for each in changes:
            each(tree)
    return change


def health_of_tree(tree: Path) -> list[str]:
    """What in a checked-out tree would break a release; [] when it is a known-good tree."""
    problems = []
    current = json.loads((tree / SETTINGS).read_text(encoding="utf-8"))
    bad = {k: v for k, v in current.items() if k in GOOD_SETTINGS and v != GOOD_SETTINGS[k]}
    if bad:
        problems.append(f"{SETTINGS} has {bad}")
    if (tree / GATE_TEST).exists():
        problems.append(f"{GATE_TEST} (a failing gate test) is present")
    if page_version((tree / INDEX).read_text(encoding="utf-8")) is None:
        problems.append(f"{INDEX} shows no version")
    return problems
