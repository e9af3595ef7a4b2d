"""Every identity policy the suite creates, linted offline with parliament (it ships its own
action database): no finding above LOW, and no `Resource: "*"` where the action supports
resource-level permissions. Trust policies are resource policies, which parliament does not
lint; test_iam_policies.py checks them.

parliament imports `pkg_resources`, which the pinned setuptools still provides (setuptools 81
drops it; the pin in requirements.in says so)."""
from __future__ import annotations

import json
import warnings

import pytest

from capstone.builders import iam
from capstone.builders.context import BuildContext
from capstone.builders.names import Names

with warnings.catch_warnings():
    warnings.simplefilter("ignore", UserWarning)  # "pkg_resources is deprecated"
    import parliament
    from parliament import analyze_policy_string

ALLOWED = {"LOW"}
ALWAYS_REFUSED = {"RESOURCE_STAR"}  # LOW in parliament, but exactly what least privilege forbids


class _Ledger:  # policies() needs only names
    pass


def findings(document: str) -> list[tuple[str, str, object]]:
    """(issue, severity, detail) of every finding the suite refuses."""
    out = []
    for finding in analyze_policy_string(document).findings:
        severity = parliament.config.get(finding.issue, {}).get("severity", "UNKNOWN")
        if severity not in ALLOWED or finding.issue in ALWAYS_REFUSED:
            out.append((finding.issue, severity, finding.detail))
    return out


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
