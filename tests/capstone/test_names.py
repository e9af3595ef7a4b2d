"""Names from a prefix: the tutorial's names, AWS's limits, bad prefixes refused up front."""
import pytest

from capstone.builders.names import MAX_PREFIX, Names, PrefixError, belongs, default_prefix, validate_prefix


def test_awscicd_prefix_reproduces_the_tutorial_names():
    n = Names.derive("awscicd", "123456789012", "us-east-1")
    assert (n.pipeline, n.repository, n.build_project, n.application, n.deployment_group, n.asg,
            n.launch_template, n.alb, n.target_group, n.pipeline_role) == (
        "awscicd-cap-pipeline", "awscicd-demo-app", "awscicd-demo-build", "awscicd-demo", "awscicd-cap-dg",
        "awscicd-cap-asg", "awscicd-cap-lt", "awscicd-cap-alb", "awscicd-cap-tg", "awscicd-codepipeline-role")
    assert n.stages == ("Source", "BuildAndTest", "Approval", "DeployBlueGreen")
    assert (n.approval_stage, n.approval_action) == ("Approval", "ManualApproval")
    assert n.pipeline_arn == "arn:aws:codepipeline:us-east-1:123456789012:awscicd-cap-pipeline"


@pytest.mark.parametrize("prefix, why", [
    ("", "empty"),
    ("Awscicd", "lowercase"),
    ("aws_cicd", "lowercase letters, digits and hyphens"),
    ("awscicd-", "not ending with a hyphen"),
    ("9lives", "starting with a letter"),
    ("a" * (MAX_PREFIX + 1), "32 characters"),
    ("ab--cd", "'--'"),
    ("internal", "reserves"),
])
def test_bad_prefixes_are_refused_with_the_reason(prefix, why):
    with pytest.raises(PrefixError) as err:
        validate_prefix(prefix)
    assert why in str(err.value)


def test_longest_prefix_keeps_elb_names_within_32():
    n = Names.derive("a" * MAX_PREFIX, "123456789012", "ap-southeast-2")
    assert len(n.alb) == 32 and len(n.target_group) <= 32
    assert len(n.bucket) <= 63


def test_default_prefix_is_unique_per_run_and_worker_and_valid():
    a, b, c = default_prefix("run-1"), default_prefix("run-2"), default_prefix("run-1", "gw1")
    assert len({a, b, c}) == 3
    for prefix in (a, b, c):
        Names.derive(prefix, "123456789012", "us-east-1")


def test_belongs_matches_whole_prefix_segments_only():
    assert belongs("cap-1a2b3c-cap-alb", "cap-1a2b3c")
    assert belongs("CodeDeploy_cap-1a2b3c-cap-dg_d-ABCDEFGHI", "cap-1a2b3c")
    assert belongs("/aws/codebuild/cap-1a2b3c-demo-build", "cap-1a2b3c")
    assert belongs("/capstone/cap-1a2b3c/demo-app/greeting", "cap-1a2b3c")
    assert belongs("cap-1a2b3c/demo-app/api-key", "cap-1a2b3c")
    assert belongs("cap-1a2b3c-gw0-cap-alb", "cap")          # the sweeper's root prefix
    assert not belongs("cap-1a2b3cd-cap-alb", "cap-1a2b3c")  # another run's longer prefix
    assert not belongs("capstone-other", "cap")
