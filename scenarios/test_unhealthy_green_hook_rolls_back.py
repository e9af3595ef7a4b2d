"""Scenario 3 — unhealthy green, caught by a hook: ValidateService fails on the green fleet, the
deployment fails and CodeDeploy rolls back; users never see the bad version nor an error."""
from __future__ import annotations

import pytest

from capstone import evidence
from capstone.drivers import app, expect

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.timeout(150, func_only=True),
    pytest.mark.xdist_group("capstone-b"),
    pytest.mark.capstone(
        requirement="A version whose ValidateService hook fails MUST fail its deployment, which MUST be rolled "
                    "back by a codeDeployRollback deployment removing the green group, and users MUST never see "
                    "the bad version nor a failed request.",
        feature="Rollback", story="Unhealthy green: ValidateService fails", severity="critical"),
]


def test_a_version_failing_validate_service_is_rolled_back_unseen(operator):
    result, lifecycle, back_on_blue_unseen = expect.bad_release_rolled_back(
        operator, app.settings(index_status=500), message="Release {version} with a broken index page",
        failure="its deployment fails at ValidateService and is rolled back")

    with evidence.step("the failure is the green ValidateService hook"):
        info = result["info"]
        assert (info.get("errorInformation") or {}).get("code") == "HEALTH_CONSTRAINTS", info.get("errorInformation")
        failed_hooks = [(t["label"], e["name"], e.get("errorCode")) for t in lifecycle for e in t["events"]
                        if e["status"] == "Failed"]
        assert ("Green", "ValidateService", "ScriptFailed") in failed_hooks, failed_hooks
        assert result["error"].get("code") == "JobFailed", result["error"]

    back_on_blue_unseen()
