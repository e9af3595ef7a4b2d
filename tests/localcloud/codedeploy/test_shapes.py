"""The API renders typed state as AWS's shapes (state holds no camelCase dicts)."""
from __future__ import annotations

from datetime import datetime, timezone

from localcloud.codedeploy.api import shapes
from localcloud.codedeploy.models import DeploymentBrief, ErrorInformation, RollbackInfo


def test_rollback_info_has_only_the_known_members():
    assert shapes.rollback_info(None) is None
    assert shapes.rollback_info(RollbackInfo(triggering_deployment_id="d-AAAAAAAAA")) == {
        "rollbackTriggeringDeploymentId": "d-AAAAAAAAA"}
    assert shapes.rollback_info(RollbackInfo(rollback_deployment_id="d-BBBBBBBBB", message="m")) == {
        "rollbackDeploymentId": "d-BBBBBBBBB", "rollbackMessage": "m"}


def test_error_information_and_last_deployment_info():
    assert shapes.error_information(ErrorInformation("HEALTH_CONSTRAINTS", "m")) == {"code": "HEALTH_CONSTRAINTS", "message": "m"}
    assert shapes.error_information(None) is None
    now = datetime.now(timezone.utc)
    assert shapes.last_deployment_info(DeploymentBrief("d-AAAAAAAAA", "Succeeded", now, now)) == {
        "deploymentId": "d-AAAAAAAAA", "status": "Succeeded", "endTime": now, "createTime": now}
    assert shapes.last_deployment_info(None) is None
