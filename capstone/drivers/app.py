"""Changes a developer makes to the sample application (sample_app/ in the repository).

    index.html          shows `awscicd demo app — v<N>`: the version users see
    app/settings.json   deploy-time behaviour: {"index_status": 200, "health_status": 200}
    tests/              the build gate: a failing test here must stop the pipeline
    packages/demo-greeting, requirements.txt
                        the internal package's source and the version of it the app pins
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Callable

from capstone.drivers import http, packages

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


def internal_package(version: str) -> Change:
    """A new version of the internal package (its source in packages/) that the app now pins:
    the build installs it from CodeArtifact, so it must be published before the push can ship."""
    if not re.fullmatch(r"\d+(\.\d+)*", version):
        raise ValueError(f"package versions here look like 1.2.0, got {version!r}")

    def change(tree: Path) -> None:
        module, pins = tree / packages.MODULE, tree / packages.REQUIREMENTS
        module.write_text(re.sub(r'^__version__ = "[^"]+"$', f'__version__ = "{version}"',
                                 module.read_text(encoding="utf-8"), count=1, flags=re.M), encoding="utf-8")
        pins.write_text(re.sub(rf"^{re.escape(packages.PACKAGE)}==\S+$", f"{packages.PACKAGE}=={version}",
                               pins.read_text(encoding="utf-8"), count=1, flags=re.M), encoding="utf-8")
        if packages.source_version(tree) != version or packages.required_version(tree) != version:
            raise ValueError(f"could not set {packages.PACKAGE} to {version} in {tree}")
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
