"""Every identity policy the suite creates, linted offline with parliament (it ships its own
action database): no finding above LOW, and no `Resource: "*"` where the action supports
resource-level permissions. Trust policies are resource policies, which parliament does not
lint; test_iam_policies.py checks them.

The lint itself is capstone/policy_lint.py, which `capstone verify` also uses."""
from __future__ import annotations

import json

import pytest

from capstone.builders import iam
from capstone.builders.context import BuildContext
from capstone.builders.names import Names
from capstone.policy_lint import findings


class _Ledger:  # policies() needs only names
    pass


@pytest.mark.parametrize("region", ["us-east-1", "eu-west-1"])
def test_every_policy_the_suite_creates_lints_clean(region):
    names = Names.derive("awscicd", "123456789012", region)
    ctx = BuildContext(target=None, names=names, ledger=_Ledger(), run_id="r", tags={"k": "v"})
    found = {role: findings(document) for role, (_service, document) in iam.policies(ctx).items()}
    assert {role: f for role, f in found.items() if f} == {}


def _statement(action: str, resource: str) -> str:
    return json.dumps({"Version": "2012-10-17",
                       "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource}]})


def test_the_lint_refuses_what_least_privilege_forbids():
    # the lint must be able to fail: a star resource, and a resource of the wrong type
    assert [f[0] for f in findings(_statement("s3:GetObject", "*"))] == ["RESOURCE_STAR"]
    assert [f[0] for f in findings(_statement("ec2:RunInstances", "arn:aws:s3:::bucket/*"))] == ["RESOURCE_MISMATCH"]
    assert findings(_statement("s3:GetObject", "arn:aws:s3:::bucket/*")) == []


def test_the_suite_policy_names_only_real_actions_and_conditions():
    """The documented suite policy (docs/suite-policy.md) lints clean but for its star
    resources: the suite's resources have run-specific names, so it grants by action."""
    from capstone import suite_identity

    document = suite_identity.SUITE_POLICY.read_text()
    assert [f for f in findings(document) if f[0] != "RESOURCE_STAR"] == []


def test_the_lint_refuses_an_allow_of_every_action():
    # parliament does not expand "*" into actions, so it reports nothing for it; the lint does
    assert [f[0] for f in findings(_statement("*", "*"))] == ["ALLOW_ALL_ACTIONS"]
    document = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}]})
    assert "ALLOW_ALL_ACTIONS" in [f[0] for f in findings(document)]
