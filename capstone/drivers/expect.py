"""Expectations shared by scenarios, phrased as a user would check them. Failure messages use
the phrases the evidence categories match ("rollback did not happen", "served the wrong
version", "the gate did not block", "approval was not honoured" — capstone/evidence/categories.py).
"""
from __future__ import annotations

import time

from capstone import evidence
from capstone.aws_status import DEPLOYMENT_DONE
from capstone.drivers.deployments import epoch, event_time
from capstone.drivers.operator import Operator, Release
from capstone.retry import Deadline, WaitTimeout
from capstone.drivers.probe import ProbeSummary
from capstone.drivers.watch import Snapshot


def green_group_name(op: Operator, deployment_id: str) -> str:
    return f"CodeDeploy_{op.names.deployment_group}_{deployment_id}"


def rollback_of(op: Operator, deployment_id: str) -> dict:
    """Wait for the codeDeployRollback deployment of `deployment_id` to exist and to end."""
    deadline, backoff = Deadline(op.pace.settle), op.backoff()
    while (rollback := op.deployments.rollback_of(deployment_id)) is None:
        if deadline.expired():
            info = op.deployments.get(deployment_id)
            raise AssertionError(
                f"rollback did not happen: deployment {deployment_id} ended {info.get('status')} "
                f"({(info.get('errorInformation') or {}).get('code')}) and after {deadline.seconds:.0f}s no "
                f"codeDeployRollback deployment points back to it (rollbackInfo {info.get('rollbackInfo')})")
        deadline.sleep(backoff.next())
    assert rollback.get("creator") == "codeDeployRollback", (
        f"rollback did not happen as CodeDeploy does it: {rollback['deploymentId']} was created by "
        f"{rollback.get('creator')!r}, not 'codeDeployRollback'")
    assert (rollback.get("rollbackInfo") or {}).get("rollbackTriggeringDeploymentId") == deployment_id, (
        f"rollback {rollback['deploymentId']} does not name {deployment_id} as the deployment that triggered it: "
        f"{rollback.get('rollbackInfo')}")
    done = op.deployments.wait_until_done(rollback["deploymentId"], op.pace.settle)
    assert done["status"] == "Succeeded", (
        f"rollback did not happen: rollback deployment {rollback['deploymentId']} ended {done['status']} "
        f"({done.get('errorInformation')})")
    evidence.record("rollback_deployment_id", rollback["deploymentId"])
    return done


def failed_at_deploy(op: Operator, run: Release, deployment_status: str = "Failed") -> tuple[Snapshot, str, dict]:
    """The run's execution failed in DeployBlueGreen because its deployment ended `deployment_status`."""
    snap = op.finish(run)
    deployment_id = op.external_id(snap, op.deploy_stage)
    assert deployment_id, f"the {op.deploy_stage} action of {run.execution_id} created no deployment: {snap.describe()}"
    info = op.deployments.get(deployment_id)
    evidence.record("deployment_id", deployment_id)
    assert info["status"] == deployment_status, (
        f"deployment {deployment_id} ended {info['status']}, expected {deployment_status} "
        f"({info.get('errorInformation')})")
    assert snap.status == "Failed" and snap.stage(op.deploy_stage).status == "Failed", (
        f"a {deployment_status} deployment must fail the {op.deploy_stage} stage and the execution: {snap.describe()}")
    detail = op.action_of(snap, op.deploy_stage) or {}
    error = ((detail.get("output") or {}).get("executionResult") or {}).get("errorDetails") or {}
    evidence.attach("deploy action result", detail.get("output") or {})
    return snap, deployment_id, {"error": error, "info": info}


def back_on_blue(op: Operator, deployment_id: str, blue_group: str, blue_instances: list[str]) -> None:
    """After a rollback: the green group is gone, the group still points at blue, blue serves."""
    green = green_group_name(op, deployment_id)
    try:
        op.wait_group_gone(green)
    except WaitTimeout as exc:
        raise AssertionError(f"rollback did not happen completely: {exc}") from exc
    current = op.env.current_asg_name()
    assert current == blue_group, (
        f"rollback did not happen: the deployment group points at {current}, not the original {blue_group}")
    health = op.fleet.target_health(op.env.target_group_arn)
    healthy = sorted(i for i, state in health.items() if state == "healthy")
    assert healthy == sorted(blue_instances), (
        f"rollback did not happen: healthy targets {healthy} (all: {health}) are not the blue instances "
        f"{sorted(blue_instances)}")


def served(op: Operator, version: str) -> None:
    answer = op.get("/")
    assert answer.ok and answer.version == version, (
        f"served the wrong version: the ALB answers {answer.status if answer.status is not None else answer.error} "
        f"showing {answer.version}, expected {version}")


def never_served(summary: ProbeSummary, version: str) -> None:
    assert version not in summary.versions, (
        f"served the wrong version: the ALB served {version} to users during the deployment "
        f"(versions seen: {summary.versions})")


def no_new_deployment(op: Operator, run: Release, why: str) -> None:
    created = op.deployments_since(run)
    assert not created, f"{why}: deployments {created} were created after {run.commit[:12]} was pushed"


def probe_clean(summary: ProbeSummary, forward: bool = True) -> None:
    evidence.attach("probe summary", summary.to_dict())
    evidence.record("probe", {k: summary.to_dict()[k] for k in ("total", "failed", "seconds", "mixed_seconds")}
                    | {"versions": summary.versions})
    summary.assert_no_failed_request()
    if forward:
        summary.assert_versions_move_forward()


def bad_release_rolled_back(op: Operator, settings: dict, message: str, failure: str):
    """Push a version with bad deploy-time `settings` (`message` may name `{version}`), approve it
    under the probe and wait for its deployment to fail and be rolled back. Returns the failed
    deployment's result and lifecycle, for the scenario's own claim about *where* green failed, and
    a check of what every unhealthy-green scenario shares: users are back on blue, the green group
    is gone, and the probe saw neither an error nor the bad version."""
    good, bad = op.good_version, op.next_version()
    blue_group = op.env.current_asg_name()
    blue_instances = op.fleet.instance_ids(blue_group)

    run = op.release(bad, settings, message=message.format(version=bad))
    op.on_teardown(f"revert {run.commit[:12]}", lambda: op.restore(run, deploy=False))
    evidence.record("commit", run.commit)
    evidence.record("execution_id", run.execution_id)

    with evidence.step(f"approve {bad}; {failure}"):
        op.wait_for_approval(run)
        with op.probe() as probe:
            op.approve(run, f"Release {bad}")
            _, deployment_id, result = failed_at_deploy(op, run)
            rollback = rollback_of(op, deployment_id)
            op.wait_served(good)
        summary = probe.summary()
    lifecycle = op.deployments.lifecycle(deployment_id)
    evidence.attach("failed deployment lifecycle", lifecycle)

    def back_on_blue_unseen() -> None:
        with evidence.step("back on blue: green group gone, users saw no error and never the bad version"):
            back_on_blue(op, deployment_id, blue_group, blue_instances)
            served(op, good)
            probe_clean(summary, forward=False)
            never_served(summary, bad)
            evidence.attach("rollback deployment", op.deployments.summary(rollback["deploymentId"]))

    return result, lifecycle, back_on_blue_unseen


def approval_notice(op: Operator, run: Release) -> None:
    """The approval's notice reached the topic's subscriber while the approval waited, naming the
    pipeline, stage and action, with AWS's review link and the release's commit as the external
    link, and carried a token (AWS's does) that the evidence never holds."""
    notice = op.approval_notice(run)
    approval = notice.payload["approval"]
    named = (approval.get("pipelineName"), approval.get("stageName"), approval.get("actionName"))
    assert named == (op.names.pipeline, op.approval_stage, op.approval_action), (
        f"the approval notice names {named}, not this pipeline's approval: {notice.summary()}")
    review = f"#/view/{op.names.pipeline}/{op.approval_stage}/{op.approval_action}/approve/"
    assert review in (approval.get("approvalReviewLink") or ""), f"no review link to this approval: {notice.summary()}"
    assert run.commit in (approval.get("externalEntityLink") or ""), (
        f"the approval notice does not link the release's commit {run.commit[:12]}: {notice.summary()}")
    assert notice.payload.get("token_was_present"), f"AWS's approval notice carries its token; this had none: {notice.summary()}"
    no_secret_in_notifications(op)
    evidence.attach("approval notice (token removed)", notice.summary())


def execution_notice(op: Operator, run: Release, state: str) -> None:
    """The pipeline told the topic's subscriber how the run's execution ended."""
    notice = op.execution_notice(run, state)
    no_secret_in_notifications(op)
    evidence.attach(f"execution {state} notification", notice.summary())


def no_secret_in_notifications(op: Operator) -> None:
    assert not op.notifications.holds_any(evidence.scrubber().secrets), (
        "a secret of the build (its parameter or its secret value) reached a notification")


def blue_lives_through_termination_wait(op: Operator, deployment_id: str, blue_group: str,
                                        blue_instances: list[str]) -> dict:
    """Wait until traffic left blue (every blue BlockTraffic ended) while the deployment is still
    running, then check that blue is still there: its group exists and every instance runs. That
    is the termination wait a rollback relies on. Returns {"blue_blocked_at", "seen_alive_at"}."""
    from capstone.builders.deploy import TERMINATION_WAIT_MINUTES

    deadline, backoff = Deadline(op.pace.deployment), op.backoff()
    while True:
        info = op.deployments.get(deployment_id)
        lifecycle = op.deployments.lifecycle(deployment_id)
        blue = [t for t in lifecycle if t["label"] == "Blue"]
        blocked = event_time(lifecycle, "Blue", "BlockTraffic")
        if blue and blocked is not None and all(t["status"] == "Succeeded" for t in blue):
            break
        assert info["status"] not in DEPLOYMENT_DONE, (
            f"blue instances not terminated after the wait could not be checked: deployment {deployment_id} ended "
            f"{info['status']} before traffic was seen leaving blue")
        assert not deadline.expired(), f"timed out after {deadline.seconds:.0f}s waiting for blue's BlockTraffic"
        deadline.sleep(backoff.next())
    seen = time.time()
    assert info["status"] == "InProgress", (
        f"the termination wait was not observed: deployment {deployment_id} is {info['status']} as soon as traffic "
        f"left blue, although blue must wait {TERMINATION_WAIT_MINUTES} min")
    states = op.fleet.instance_states(blue_instances)
    assert op.fleet.group(blue_group) is not None and all(states.get(i) == "running" for i in blue_instances), (
        f"blue did not live through the termination wait: group {blue_group} "
        f"{'exists' if op.fleet.group(blue_group) else 'is gone'}, instances {states}")
    return {"blue_blocked_at": blocked, "seen_alive_at": seen, "wait_seconds":
            TERMINATION_WAIT_MINUTES * 60 * op.pace.time_scale}


def terminated_after_the_wait(op: Operator, deployment_id: str, wait: dict) -> None:
    """The deployment ended (blue terminated) no sooner than the termination wait after blue's
    BlockTraffic, with a tenth of slack for clock granularity."""
    info = op.deployments.get(deployment_id)
    ended = epoch(info.get("completeTime"))
    assert ended is not None, f"deployment {deployment_id} has no completeTime: {info}"
    waited = ended - wait["blue_blocked_at"]
    assert waited >= 0.9 * wait["wait_seconds"], (
        f"blue instances not terminated after the wait: the deployment ended {waited:.2f}s after blue's "
        f"BlockTraffic, before the {wait['wait_seconds']:.2f}s termination wait was over")
