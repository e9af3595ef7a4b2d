"""Scenario 9 — internal packages: a release that needs a version of the app's internal package
that is not yet published to CodeArtifact stops at BuildAndTest, with pip's own error in the
evidence; once that version is published, the next push ships, and users see what the new
package version renders."""
from __future__ import annotations

import pytest

from capstone import evidence
from capstone.aws_status import EXECUTION_ENDED
from capstone.drivers import app, expect, packages
from capstone.drivers.packages import InternalPackages

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.timeout(180, func_only=True),
    pytest.mark.xdist_group("capstone-b"),
    pytest.mark.capstone(
        requirement="A commit pinning an internal package version that is not published in the environment's "
                    "CodeArtifact repository MUST fail BuildAndTest with pip's 'No matching distribution found' "
                    "and MUST never reach Approval; once that version is published the next push MUST ship, and "
                    "the ALB MUST serve what the new package version renders.",
        feature="Internal packages", story="An unpublished package version blocks the release", severity="critical"),
]


def _unpublished(published: list[str], pinned: str) -> str:
    """A version above everything published and pinned so far (minor + 1), so the scenario can
    run again in the same environment."""
    def minor(version: str) -> int:
        parts = version.split(".")
        return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
    major = pinned.split(".")[0]
    return f"{major}.{max(minor(v) for v in [*published, pinned]) + 1}.0"


def test_an_unpublished_internal_package_blocks_the_release_until_it_is_published(operator):
    op = operator
    repo = InternalPackages(op.env.target, op.names, log=op.log)
    served_before = op.good_version
    op.repo.sync()
    pinned = packages.required_version(op.repo.workdir)
    wanted = _unpublished(repo.published(), pinned)
    evidence.record("internal_package", {"package": packages.PACKAGE, "pinned_before": pinned, "wanted": wanted})
    shipped = False

    version = op.next_version()
    blocked = op.release(version, app.internal_package(wanted),
                         message=f"Release {version} with {packages.PACKAGE} {wanted} (not published yet)")
    op.on_teardown(f"revert {blocked.commit[:12]} unless it shipped",
                   lambda: None if shipped else op.restore(blocked))
    evidence.record("commit", blocked.commit)
    evidence.record("execution_id", blocked.execution_id)

    with evidence.step(f"BuildAndTest fails before Approval: {packages.PACKAGE} {wanted} is not published"):
        snap = blocked.watcher.wait_for(
            lambda s: s.status in EXECUTION_ENDED or s.stage(op.approval_stage).status is not None, op.pace.to_approval,
            what=f"{op.build_stage} to decide", fail_if=None)
        assert snap.stage(op.build_stage).status == "Failed", (
            f"the gate did not block: {op.build_stage} is {snap.stage(op.build_stage).status} ({snap.describe()})")
        assert snap.status == "Failed", f"the gate did not block: the execution ended {snap.status}"
        assert not blocked.watcher.ever("stage", op.approval_stage, "InProgress") and \
            snap.stage(op.approval_stage).status is None, (
                f"the gate did not block: {op.approval_stage} was reached ({snap.describe()})")
        expect.no_new_deployment(op, blocked, "the gate did not block")

    with evidence.step("pip's error names the missing version in the build's log"):
        build_id = op.external_id(snap, op.build_stage)
        assert build_id, f"the {op.build_stage} action names no build: {snap.describe()}"
        build = op.builds.build(build_id)
        assert build["buildStatus"] == "FAILED", build["buildStatus"]
        failed = [p["phaseType"] for p in build.get("phases", []) if p.get("phaseStatus") == "FAILED"]
        log = op.builds.log_tail(build)
        evidence.attach(f"build {build_id} log (pip's error)", log)
        expected = f"No matching distribution found for {packages.PACKAGE}=={wanted}"
        assert expected in log, f"pip's error {expected!r} is not in the build's log (failed phases {failed}):\n{log}"
        assert failed == ["INSTALL"], f"the build failed in {failed}, not while installing the package"

    with evidence.step("production still serves the previous version"):
        expect.served(op, served_before)

    with evidence.step(f"the maintainer publishes {packages.PACKAGE} {wanted} from the pushed source"):
        published = repo.publish(op.repo.workdir)
        assert published["version"] == wanted, published
        assert wanted in repo.published(), f"{wanted} is not listed as Published: {repo.published()}"
        evidence.record("published", published)

    next_version = op.next_version()
    ships = op.release(next_version, message=f"Release {next_version} (needs {packages.PACKAGE} {wanted})")
    op.on_teardown(f"revert {ships.commit[:12]} unless it shipped", lambda: None if shipped else op.restore(ships))
    evidence.record("shipping_commit", ships.commit)

    with evidence.step(f"the next push passes BuildAndTest, is approved and deployed"):
        snap = op.wait_for_approval(ships)
        assert snap.stage(op.build_stage).status == "Succeeded", (
            f"{op.build_stage} failed although {wanted} is published: {snap.describe()}")
        op.approve(ships, f"Release {next_version} with {packages.PACKAGE} {wanted}: reviewed")
        snap = op.finish(ships)
        assert snap.status == "Succeeded", f"the release execution ended {snap.status}: {snap.describe()}"
        op.wait_served(next_version)
        shipped = True
        op.mark_good(next_version)

    with evidence.step(f"the ALB serves what {packages.PACKAGE} {wanted} renders"):
        expect.served(op, next_version)
        greetings = {op.get("/").greeting for _ in range(6)}
        assert greetings == {packages.greeting_of(wanted)}, (
            f"served the wrong version of {packages.PACKAGE}: the page shows {greetings}, "
            f"expected {packages.greeting_of(wanted)!r}")
