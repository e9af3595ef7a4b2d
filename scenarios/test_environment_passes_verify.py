"""Scenario 8 — the environment the suite builds passes `capstone verify`: the read-only checks a
team runs against its own pipeline (docs/verify.md) find every promise met in the suite's own
pipeline, so the two definitions of conformance cannot drift apart."""
from __future__ import annotations

import pytest

from capstone import evidence
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


def test_the_suites_pipeline_passes_verify_with_changes(operator, capstone_target, tmp_path):
    """--allow-changes: a harmless marker commit ships through the whole pipeline (approved by
    verify) with no failed request, and its revert ships after it; the environment is back at
    its baseline for the next scenario (the operator fixture checks it)."""
    op = operator
    n = op.names
    seconds = op.pace.to_approval + op.pace.deployment
    with evidence.step(f"capstone verify --allow-changes {n.pipeline}"):
        result = verify(capstone_target, Profile(pipeline=n.pipeline), tmp_path / "verify",
                        changes=Changes(seconds=seconds), progress=op.log)
        evidence.attach("verify verdicts", {v.id: f"{v.verdict}: {v.message}" for v in result.verdicts})
    verdicts = {v.id: v for v in result.verdicts}
    failed = {v.id: v.message for v in result.verdicts if v.verdict != checks.PASS}
    assert failed == {}, f"the suite's own pipeline fails capstone verify --allow-changes: {failed}"
    assert set(verdicts) >= {"ACT-01", "ACT-02", "ACT-03", "ACT-04"}
    assert result.audit["read_only"]["writes"] == {"codepipeline:PutApprovalResult": 2}
    op.repo.sync()
    assert not (op.repo.workdir / ".capstone-verify").exists(), "the marker commit was not reverted"
