"""Deployment configs: minimum healthy hosts as CodeDeploy computes them."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from localcloud.codedeploy.models import DeploymentConfig, builtin_configs, deployment_id


@pytest.mark.parametrize("name, total, expected", [
    ("CodeDeployDefault.OneAtATime", 2, 1),
    ("CodeDeployDefault.OneAtATime", 1, 0),
    ("CodeDeployDefault.HalfAtATime", 3, 2),   # 50 % of 3 rounds up
    ("CodeDeployDefault.AllAtOnce", 5, 0),
])
def test_builtin_minimum_healthy_hosts(name, total, expected):
    assert builtin_configs(datetime.now(timezone.utc))[name].min_healthy(total) == expected


def test_custom_configs_follow_the_api_reference_examples():
    now = datetime.now(timezone.utc)
    assert DeploymentConfig("c", {"type": "HOST_COUNT", "value": 6}, now).min_healthy(9) == 6
    assert DeploymentConfig("c", {"type": "FLEET_PERCENT", "value": 40}, now).min_healthy(9) == 4


def test_deployment_ids_look_like_aws_ones():
    ident = deployment_id()
    assert ident.startswith("d-") and len(ident) == 11 and ident[2:].isupper() or ident[2:].isalnum()
