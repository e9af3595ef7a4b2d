"""IN_PLACE deployments, with and without traffic control, and the agent's bad-input failures."""
from __future__ import annotations

import time

import pytest
import requests

from tests.localcloud.codedeploy import infra

pytestmark = pytest.mark.integration


def deploy(env, key, data, **kw):
    return env.aws("codedeploy").create_deployment(applicationName=env.app, deploymentGroupName=env.group,
                                                   revision=env.upload(key, data), **kw)["deploymentId"]


def served(localcloud, env, deployment_id):
    """What each instance's app answers on its APP_PORT (the instance itself, not through the ALB)."""
    from localcloud.principal import Principal

    out = {}
    for iid in infra.targets(env.aws, deployment_id):
        port = localcloud.services.fleet.instance_host(Principal.root(localcloud.account_id), iid).app_port
        out[iid] = requests.get(f"http://127.0.0.1:{port}/version.txt", timeout=5).text
    return out


def test_in_place_without_traffic_control_installs_and_restarts(aws, env, localcloud):
    infra.in_place_group(env)
    d1 = deploy(env, "v1.zip", infra.bundle("v1"))
    info = infra.wait_status(aws, d1)
    assert info["status"] == "Succeeded", info.get("errorInformation")
    assert info["deploymentOverview"]["Succeeded"] == 2
    assert set(served(localcloud, env, d1).values()) == {"v1"}


def test_in_place_tgz_and_previous_revision(aws, env, localcloud):
    infra.in_place_group(env, config="CodeDeployDefault.AllAtOnce")
    cd = aws("codedeploy")
    d1 = deploy(env, "v1.zip", infra.bundle("v1"))
    assert infra.wait_status(aws, d1)["status"] == "Succeeded"
    rev = env.upload("v2.tgz", infra.bundle("v2", fmt="tgz"), bundle_type="tgz")
    d2 = cd.create_deployment(applicationName=env.app, deploymentGroupName=env.group, revision=rev)["deploymentId"]
    info = infra.wait_status(aws, d2)
    assert info["status"] == "Succeeded", info.get("errorInformation")
    assert info["previousRevision"]["s3Location"]["key"] == "v1.zip"
    assert set(served(localcloud, env, d2).values()) == {"v2"}
    target = next(iter(infra.targets(aws, d2).values()))
    assert "instanceLabel" not in target  # labels are for blue/green only
    names = [e["lifecycleEventName"] for e in target["lifecycleEvents"]]
    assert names == ["BeforeBlockTraffic", "BlockTraffic", "AfterBlockTraffic", "ApplicationStop", "DownloadBundle",
                     "BeforeInstall", "Install", "AfterInstall", "ApplicationStart", "ValidateService",
                     "BeforeAllowTraffic", "AllowTraffic", "AfterAllowTraffic"]
    stop = next(e for e in target["lifecycleEvents"] if e["lifecycleEventName"] == "ApplicationStop")
    assert "[stdout]stopped" in stop["diagnostics"]["logTail"]  # v1's stop script ran before v2 installed


def test_in_place_with_traffic_control_deregisters_and_reregisters(aws, env):
    infra.in_place_group(env, traffic=True)
    d = deploy(env, "v1.zip", infra.bundle("v1"))
    info = infra.wait_status(aws, d)
    assert info["status"] == "Succeeded", info.get("errorInformation")
    descs = aws("elbv2").describe_target_health(TargetGroupArn=env.tg_arn)["TargetHealthDescriptions"]
    assert {x["Target"]["Id"] for x in descs if x["TargetHealth"]["State"] == "healthy"} == set(infra.targets(aws, d))
    for target in infra.targets(aws, d).values():
        events = {e["lifecycleEventName"]: e for e in target["lifecycleEvents"]}
        assert events["BlockTraffic"]["status"] == events["AllowTraffic"]["status"] == "Succeeded"
        assert events["BlockTraffic"]["startTime"] < events["Install"]["startTime"] < events["AllowTraffic"]["startTime"]


def test_one_at_a_time_fails_on_the_first_instance_and_skips_the_rest(aws, env):
    infra.in_place_group(env)
    d = deploy(env, "bad.zip", infra.bundle("bad", validate=infra.VALIDATE_FAIL))
    info = infra.wait_status(aws, d)
    assert info["status"] == "Failed" and info["errorInformation"]["code"] == "HEALTH_CONSTRAINTS"
    assert info["deploymentOverview"]["Failed"] == 1 and info["deploymentOverview"]["Skipped"] == 1
    cd = aws("codedeploy")
    failed = cd.list_deployment_targets(deploymentId=d, targetFilters={"TargetStatus": ["Failed"]})["targetIds"]
    assert len(failed) == 1
    summary = cd.get_deployment_instance(deploymentId=d, instanceId=failed[0])["instanceSummary"]
    assert summary["status"] == "Failed"
    assert cd.list_deployment_instances(deploymentId=d, instanceStatusFilter=["Skipped"])["instancesList"]


@pytest.mark.parametrize("case, kwargs, event, code, message", [
    ("quoted-version", {"appspec": infra.APPSPEC.replace("version: 0.0", 'version: "0.0"')},
     "BeforeInstall", "UnknownError", "invalid version value (0.0)"),
    ("missing-script", {"omit": ("scripts/start.sh",)}, "ApplicationStart", "ScriptMissing", "Script does not exist at specified location"),
    ("unknown-hook", {"appspec": infra.APPSPEC + "  AfterEverything:\n    - location: scripts/start.sh\n"},
     "Install", "UnknownError", 'unknown lifecycle events: ["AfterEverything"]'),
    ("timeout", {"validate": "#!/bin/sh\nsleep 60\n", "appspec": infra.APPSPEC.replace("timeout: 60", "timeout: 10")},
     "ValidateService", "ScriptTimedOut", "failed to complete in 10 seconds"),
])
def test_bad_revisions_fail_at_the_agents_event(aws, env, case, kwargs, event, code, message):
    infra.in_place_group(env, config="CodeDeployDefault.AllAtOnce")
    started = time.monotonic()
    info = infra.wait_status(aws, deploy(env, f"{case}.zip", infra.bundle("v1", **kwargs)))
    assert time.monotonic() - started < 30
    assert info["status"] == "Failed"
    for target in infra.targets(aws, info["deploymentId"]).values():
        ev = next(e for e in target["lifecycleEvents"] if e["lifecycleEventName"] == event)
        assert ev["status"] == "Failed"
        assert ev["diagnostics"]["errorCode"] == code and message in ev["diagnostics"]["message"]


def test_in_place_rollback_redeploys_the_last_good_revision(aws, env, localcloud):
    infra.in_place_group(env, config="CodeDeployDefault.AllAtOnce", rollback_events=["DEPLOYMENT_FAILURE"])
    assert infra.wait_status(aws, deploy(env, "v1.zip", infra.bundle("v1")))["status"] == "Succeeded"
    info = infra.wait_status(aws, deploy(env, "bad.zip", infra.bundle("bad", validate=infra.VALIDATE_FAIL)))
    rb = infra.wait_status(aws, info["rollbackInfo"]["rollbackDeploymentId"])
    assert rb["status"] == "Succeeded" and rb["creator"] == "codeDeployRollback"
    assert set(served(localcloud, env, rb["deploymentId"]).values()) == {"v1"}
