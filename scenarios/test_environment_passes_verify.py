"""Scenario 8 — the environment the suite builds passes `capstone verify`: the read-only checks a
team runs against its own pipeline (docs/verify.md) find every promise met in the suite's own
pipeline, so the two definitions of conformance cannot drift apart."""
from __future__ import annotations

import pytest

from pathlib import Path

from capstone import evidence
from capstone.drivers import app
from capstone.drivers.push import WorkingCopy
from capstone.verify import checks
from capstone.verify.profile import Profile
from capstone.verify.run import Changes, verify

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.timeout(90, func_only=True),
    pytest.mark.xdist_group("capstone-a"),
    pytest.mark.capstone(
        requirement="The pipeline the suite builds MUST pass every read-only conformance check of capstone verify.",
        feature="Verify", story="The suite's own pipeline conforms", severity="normal"),
]


def test_the_suites_pipeline_passes_verify(capstone_env, capstone_target, tmp_path):
    n = capstone_env.names
    profile = Profile(pipeline=n.pipeline, alarms=(n.alarm,),
                      stages={"source": n.stages[0], "build": n.stages[1], "approval": n.approval_stage,
                              "deploy": n.stages[3]})
    with evidence.step(f"capstone verify {n.pipeline}"):
        result = verify(capstone_target, profile, tmp_path / "verify")
        evidence.attach("verify verdicts", {v.id: f"{v.verdict}: {v.message}" for v in result.verdicts})
    failed = {v.id: v.message for v in result.verdicts if v.verdict == checks.FAIL}
    assert failed == {}, f"the suite's own pipeline fails capstone verify: {failed}"
    assert result.audit["read_only"]["refused"] == []


def _patch(op, change, path: Path) -> str:
    """`change` (a capstone.drivers.app change) as a unified diff of the branch, the way a team
    would hand verify a patch: applied to a scratch clone, diffed, never pushed."""
    scratch = WorkingCopy(op.env.repository_clone_url, op.env.target.git_env(), path.parent / f"scratch-{path.stem}",
                          log=op.log)
    scratch.sync()
    change(scratch.workdir)
    scratch.git("add", "--all")
    path.write_text(scratch.git("diff", "--cached", "--binary") + "\n")
    return str(path)


@pytest.mark.timeout(300, func_only=True)
def test_the_suites_pipeline_passes_verify_with_changes(operator, capstone_target, tmp_path):
    """--allow-changes with both patches: a harmless marker commit ships (approved by verify) with
    no failed request; a failing test stops at BuildAndTest; an unhealthy green fleet rolls back
    with no failed request; each is reverted and the revert shipped, so the environment is back at
    its baseline for the next scenario (the operator fixture checks it)."""
    op = operator
    patches = {"failing_test": _patch(op, app.failing_test("verify's failing-test patch"), tmp_path / "failing.diff"),
               "unhealthy_green": _patch(op, app.settings(index_status=500), tmp_path / "unhealthy.diff")}
    profile = Profile(pipeline=op.names.pipeline, patches=patches)
    seconds = op.pace.to_approval + op.pace.deployment + op.pace.settle
    with evidence.step(f"capstone verify --allow-changes {op.names.pipeline} (with both patches)"):
        result = verify(capstone_target, profile, tmp_path / "verify", changes=Changes(seconds=seconds),
                        progress=op.log)
        evidence.attach("verify verdicts", {v.id: f"{v.verdict}: {v.message}" for v in result.verdicts})
    failed = {v.id: v.message for v in result.verdicts if v.verdict != checks.PASS}
    assert failed == {}, f"the suite's own pipeline fails capstone verify --allow-changes: {failed}"
    assert {v.id for v in result.verdicts} >= {f"ACT-0{i}" for i in range(1, 7)}
    # approvals: the harmless release, the unhealthy one, and the three restores
    assert result.audit["read_only"]["writes"] == {"codepipeline:PutApprovalResult": 5}
    op.repo.sync()
    assert not (op.repo.workdir / ".capstone-verify").exists(), "the marker commit was not reverted"
