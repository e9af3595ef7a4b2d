"""Scenario 4 — unhealthy green, caught by the load balancer: every hook passes but the green
targets never pass the target group's health check; the deployment fails and is rolled back."""
from __future__ import annotations

import pytest

from capstone import evidence
from capstone.drivers import app, expect

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.timeout(180, func_only=True),
    pytest.mark.xdist_group("capstone-b"),
    pytest.mark.capstone(
        requirement="A version that passes its hooks but fails the target group health check MUST fail its "
                    "deployment, which MUST be rolled back by a codeDeployRollback deployment removing the green "
                    "group, and users MUST never see the bad version nor a failed request.",
        feature="Rollback", story="Unhealthy green: load balancer health check fails", severity="critical"),
]


def test_a_version_failing_the_health_check_is_rolled_back_unseen(operator):
    result, lifecycle, back_on_blue_unseen = expect.bad_release_rolled_back(
        operator, app.settings(health_status=503), message="Release {version} with a failing health check",
        failure="green never turns healthy, the deployment fails and is rolled back")

    with evidence.step("the hooks passed; the failure is green's AllowTraffic"):
        green = [t for t in lifecycle if t["label"] == "Green"]
        assert green, f"the deployment has no green targets: {lifecycle}"
        for target in green:
            statuses = {e["name"]: e["status"] for e in target["events"]}
            assert statuses.get("ValidateService") == "Succeeded", (target["targetId"], statuses)
        failed = [(t["targetId"], e["name"]) for t in green for e in t["events"] if e["status"] == "Failed"]
        assert failed and all(name == "AllowTraffic" for _, name in failed), (
            f"expected green to fail at AllowTraffic (health check), failed events: {failed}")
        assert result["error"].get("code") == "JobFailed", result["error"]

    back_on_blue_unseen()
