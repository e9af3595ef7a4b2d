"""Scenario 7 — superseded: while a run holds Approval, two pushes follow in quick succession.
The older of the two, waiting in front of the locked Approval stage, is overtaken by the newer
and ends Superseded; the newer reaches Approval and is deployed once approved."""
from __future__ import annotations

import pytest

from capstone import evidence
from capstone.drivers import expect
from capstone.drivers.watch import execution_is

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.timeout(150, func_only=True),
    pytest.mark.xdist_group("capstone-a"),
    pytest.mark.capstone(
        requirement="In SUPERSEDED mode, an execution waiting in front of a locked stage MUST be superseded by a "
                    "newer one, which MUST reach Approval and be deployed when approved.",
        feature="Execution modes", story="Superseded execution", severity="normal"),
]


def test_the_newer_of_two_quick_pushes_supersedes_the_older_and_ships(operator):
    op = operator
    good = op.good_version

    with evidence.step("a first run holds the Approval stage"):
        held_version = op.next_version()
        held = op.release(held_version, message=f"Release {held_version} (held at Approval)")
        op.wait_for_approval(held)

    with evidence.step("two pushes in quick succession"):
        older_version = op.next_version()
        older = op.release(older_version)
        newer_version = op.next_version()
        newer = op.release(newer_version)
        evidence.record("executions", {"held": held.execution_id, "older": older.execution_id, "newer": newer.execution_id})

    with evidence.step("the older execution is superseded by the newer one in front of Approval"):
        newer.watcher.wait_for_stage(op.build_stage, "Succeeded", op.pace.to_approval)
        # the newer run is through the build: it is in front of Approval, so the older one must
        # be overtaken now, not eventually
        snap = older.watcher.wait_for(execution_is("Superseded"), op.pace.find_execution,
                                      what="the older execution to be Superseded once the newer one left the build")
        assert snap.stage(op.build_stage).status == "Succeeded", snap.describe()
        assert not older.watcher.ever("stage", op.approval_stage, "InProgress"), snap.describe()
        newer.watcher.wait_for(lambda s: s.stage(op.approval_stage).inbound, op.pace.to_approval,
                               what=f"the newer execution to wait in front of {op.approval_stage}")

    with evidence.step("the held run is rejected; the newer one reaches Approval and ships when approved"):
        op.reject(held, f"Superseded by {newer_version}")
        with op.probe() as probe:
            op.approve(newer, f"Release {newer_version}")
            deployment_id = op.deployment_id(newer)
            final = op.finish(newer)
            op.wait_served(newer_version)
        summary = probe.summary()

    assert final.status == "Succeeded", f"the newer execution ended {final.status}: {final.describe()}"
    assert older.watcher.poll().status == "Superseded"
    assert held.watcher.poll().status == "Failed"
    deployed = [op.deployments.get(d) for d in op.deployments_since(held)]
    assert [d["deploymentId"] for d in deployed] == [deployment_id], (
        f"only the newer execution may deploy; deployments since the held push: {[d['deploymentId'] for d in deployed]}")
    expect.served(op, newer_version)
    expect.probe_clean(summary)
    assert summary.versions == [good, newer_version] or summary.versions == [newer_version], (
        f"served the wrong version: probe saw {summary.versions}")
    op.mark_good(newer_version)
