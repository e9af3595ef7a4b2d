"""The GitHub workflow passes zizmor's audits with nothing above low: every action pinned by
commit SHA (its version in a comment), checkout credentials not persisted into the uploaded
working tree, least permissions. Offline: zizmor's online audits need GitHub's API."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

WORKFLOW = Path(__file__).resolve().parents[2] / ".github" / "workflows" / "capstone.yml"


def _zizmor() -> str:
    found = shutil.which("zizmor", path=str(Path(sys.executable).parent)) or shutil.which("zizmor")
    if found is None:
        pytest.fail("zizmor is not installed: it is in requirements.lock; run `make venv`")
    return found


def test_the_workflow_has_no_zizmor_finding_above_low():
    result = subprocess.run([_zizmor(), "--offline", "--min-severity", "medium", "--format", "plain", str(WORKFLOW)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_action_is_pinned_by_a_commit_sha_with_its_version_noted():
    uses = [line.split("uses:", 1)[1].strip() for line in WORKFLOW.read_text().splitlines() if "uses:" in line]
    assert uses, "the workflow uses no actions?"
    for use in uses:
        ref, _, comment = use.partition("#")
        sha = ref.strip().rsplit("@", 1)[1]
        assert len(sha) == 40 and all(c in "0123456789abcdef" for c in sha), use
        assert comment.strip().startswith("v"), f"{use}: note the version the SHA is"
