"""`capstone verify` over HTTP against localcloud: an example pipeline built by a different path
(example_pipeline.py) is verified green, each misconfigured variant fails the right check with a
message that says what to change, and the run is read-only, proven from localcloud's
authorization log (every decision for verify's identity is a read)."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from capstone.target import Target
from capstone.verify import checks
from capstone.verify.profile import Profile
from capstone.verify.readonly import MutatingCallRefused, guard
from capstone.verify.run import verify
from tests.capstone.verify import example_pipeline


@pytest.fixture(scope="module")
def example(localcloud, aws):
    # module-scoped, so tests/conftest.py's per-test switch-off of the IAM propagation delay does
    # not cover it yet: the builder uses its fresh roles at once, so switch it off here too
    iam = localcloud.settings.iam
    saved, iam.propagation_delay = iam.propagation_delay, 0.0
    try:
        ex = example_pipeline.build(aws, localcloud.account_id)
    finally:
        iam.propagation_delay = saved
    yield ex
    example_pipeline.teardown(ex)


def _verify(localcloud, ex, tmp_path, credentials=None, **profile):
    target = Target("aws", region="us-east-1", endpoint_url=localcloud.url,
                    credentials=credentials or ("testing", "testing"))
    return verify(target, Profile(pipeline=ex.pipeline, **profile), tmp_path / "run")


def _failed(result) -> dict[str, str]:
    return {v.id: v.message for v in result.verdicts if v.verdict == checks.FAIL}


def test_the_example_pipeline_conforms(localcloud, example, tmp_path):
    result = _verify(localcloud, example, tmp_path)
    assert _failed(result) == {}, json.dumps([v.as_dict() for v in result.verdicts if v.verdict == "fail"], indent=1)
    assert {v.id for v in result.verdicts} == {c.id for c in checks.CHECKS}
    topology = result.audit["topology"]
    assert topology["build_projects"] == [example.project]
    assert topology["auto_scaling_groups"] == [f"{example.name}-fleet"]
    assert topology["alarms"] == [f"{example.name}-target-5xx"]
    assert len(topology["roles"]) == 3  # pipeline, build, deploy (the events role is the trigger's)
    assert result.audit["read_only"]["refused"] == []
    run = tmp_path / "run"
    for name in ("junit.xml", "audit.json", "audit.html", "SHA256SUMS"):
        assert (run / name).is_file()
    assert len(list((run / "allure-results").glob("*-result.json"))) == len(checks.CHECKS)
    assert 'failures="0"' in (run / "junit.xml").read_text()


def test_an_unknown_pipeline_fails_every_check_naming_why(localcloud, tmp_path):
    target = Target("aws", region="us-east-1", endpoint_url=localcloud.url, credentials=("testing", "testing"))
    result = verify(target, Profile(pipeline="no-such-pipeline"), tmp_path / "run")
    assert all(v.verdict == checks.FAIL and "PipelineNotFoundException" in v.message for v in result.verdicts)


@pytest.fixture
def mutate(aws, example):
    """Apply a misconfiguration; undo it after the test whatever happens."""
    undo = []
    yield undo.append
    for fn in reversed(undo):
        fn()


def _update_pipeline(aws, example, change):
    cp = aws("codepipeline")
    declaration = json.loads(json.dumps(example.declaration))
    change(declaration)
    cp.update_pipeline(pipeline=declaration)
    return lambda: cp.update_pipeline(pipeline=example.declaration)


def test_no_approval(localcloud, aws, example, mutate, tmp_path):
    mutate(_update_pipeline(aws, example, lambda d: d.update(stages=[s for s in d["stages"] if s["name"] != "SignOff"])))
    failed = _failed(_verify(localcloud, example, tmp_path))
    assert "PIPE-03" in failed and "add a stage with a Manual approval action" in failed["PIPE-03"]
    assert set(failed) == {"PIPE-02", "PIPE-03"}


def test_a_v1_pipeline(localcloud, aws, example, mutate, tmp_path):
    def v1(d):
        d["pipelineType"] = "V1"
        d.pop("executionMode")
    mutate(_update_pipeline(aws, example, v1))
    failed = _failed(_verify(localcloud, example, tmp_path))
    assert set(failed) == {"PIPE-01"} and "set pipelineType V2" in failed["PIPE-01"]


def test_rollback_off(localcloud, aws, example, mutate, tmp_path):
    cd = aws("codedeploy")
    cd.update_deployment_group(applicationName=example.application, currentDeploymentGroupName=example.deployment_group,
                               autoRollbackConfiguration={"enabled": False, "events": []})
    mutate(lambda: cd.update_deployment_group(
        applicationName=example.application, currentDeploymentGroupName=example.deployment_group,
        autoRollbackConfiguration={"enabled": True, "events": ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"]}))
    failed = _failed(_verify(localcloud, example, tmp_path))
    assert set(failed) == {"DEPLOY-02", "DEPLOY-03"}
    assert "enable autoRollbackConfiguration with the DEPLOYMENT_FAILURE event" in failed["DEPLOY-02"]


def test_no_reports(localcloud, aws, example, mutate, tmp_path):
    cc = aws("codecommit")

    def put(text):
        head = cc.get_branch(repositoryName=example.repository, branchName="main")["branch"]["commitId"]
        cc.put_file(repositoryName=example.repository, branchName="main", fileContent=text.encode(),
                    filePath="buildspec.yml", parentCommitId=head, commitMessage="buildspec")
    put(example_pipeline.BUILDSPEC_WITHOUT_REPORTS)
    mutate(lambda: put(example_pipeline.BUILDSPEC))
    failed = _failed(_verify(localcloud, example, tmp_path))
    assert set(failed) == {"BUILD-01"} and "has no `reports:` section" in failed["BUILD-01"]


def test_a_star_role(localcloud, aws, example, mutate, tmp_path):
    iam, role = aws("iam"), example.roles["build"].rsplit("/", 1)[-1]
    iam.put_role_policy(RoleName=role, PolicyName="everything", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
    mutate(lambda: iam.delete_role_policy(RoleName=role, PolicyName="everything"))
    failed = _failed(_verify(localcloud, example, tmp_path))
    assert set(failed) == {"IAM-01"}
    assert role in failed["IAM-01"] and "scope each statement to the resources it needs" in failed["IAM-01"]


def test_an_unversioned_bucket(localcloud, aws, example, mutate, tmp_path):
    s3 = aws("s3")
    s3.put_bucket_versioning(Bucket=example.bucket, VersioningConfiguration={"Status": "Suspended"})
    mutate(lambda: s3.put_bucket_versioning(Bucket=example.bucket, VersioningConfiguration={"Status": "Enabled"}))
    failed = _failed(_verify(localcloud, example, tmp_path))
    assert set(failed) == {"S3-01"} and "versioning is Suspended: enable it" in failed["S3-01"]


def test_verify_makes_no_mutating_call(localcloud, aws, example, tmp_path):
    """Proven from localcloud's authorization log: verify runs as an IAM user (whose every request
    localcloud evaluates and records) allowed everything, so a write would have been allowed, and
    still every decision recorded for it is a read."""
    iam = aws("iam")
    user = f"{example.name}-auditor"
    arn = iam.create_user(UserName=user)["User"]["Arn"]
    iam.put_user_policy(UserName=user, PolicyName="all", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
    key = iam.create_access_key(UserName=user)["AccessKey"]
    target = Target("aws", region="us-east-1", endpoint_url=localcloud.url,
                    credentials=(key["AccessKeyId"], key["SecretAccessKey"]))
    local = Target("local", region="us-east-1", endpoint_url=localcloud.url)
    mark = local.authorizations_mark()
    result = verify(target, Profile(pipeline=example.pipeline), tmp_path / "run")
    assert _failed(result) == {}
    mine = [d for d in local.authorizations(mark).decisions if d["principal"] == arn]
    actions = sorted({d["action"] for d in mine})
    assert len(actions) >= 15, actions
    writes = [a for a in actions if not a.split(":", 1)[1].startswith(("Get", "List", "Describe", "BatchGet"))]
    assert writes == []


def test_the_documented_verify_policy_is_enough(localcloud, aws, example, tmp_path):
    """docs/verify.md's policy (capstone/verify/verify_policy.json), proven: an IAM user holding
    exactly it verifies the example green (localcloud enforces it)."""
    from pathlib import Path

    import capstone.verify

    iam = aws("iam")
    user = f"{example.name}-reader"
    iam.create_user(UserName=user)
    iam.put_user_policy(UserName=user, PolicyName="verify", PolicyDocument=(
        Path(capstone.verify.__file__).parent / "verify_policy.json").read_text())
    key = iam.create_access_key(UserName=user)["AccessKey"]
    result = _verify(localcloud, example, tmp_path, credentials=(key["AccessKeyId"], key["SecretAccessKey"]))
    assert _failed(result) == {}, _failed(result)


def test_the_guard_refuses_a_write_before_it_is_sent(localcloud):
    import boto3

    # a client of its own: localcloud.client() hands out shared clients, which must stay unguarded
    client = guard(boto3.client("s3", endpoint_url=localcloud.url, region_name="us-east-1",
                                aws_access_key_id="testing", aws_secret_access_key="testing"))
    with pytest.raises(MutatingCallRefused, match="read-only and refused s3:CreateBucket"):
        client.create_bucket(Bucket="never-made")
    assert "never-made" not in [b["Name"] for b in localcloud.client("s3").list_buckets()["Buckets"]]


def test_the_command_line(localcloud, example, tmp_path):
    env = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-m", "capstone.cli", "verify", "--pipeline", example.pipeline,
                           "--endpoint-url", localcloud.url, "--region", "us-east-1", "--reports-dir", str(tmp_path)],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    assert f"{example.pipeline} PASS" in done.stdout
    assert "PASS  PIPE-01" in done.stderr  # progress as it goes
    bad = subprocess.run([sys.executable, "-m", "capstone.cli", "verify", "--pipeline", "bad name!",
                          "--endpoint-url", localcloud.url], capture_output=True, text=True, env=env, timeout=60)
    assert bad.returncode == 2 and "`pipeline` 'bad name!' is not a pipeline name" in bad.stderr


def test_a_topic_eventbridge_may_not_publish_to(localcloud, aws, example, mutate, tmp_path):
    sns = aws("sns")
    topic = next(arn for kind, arn in example.created if kind == "topic")
    saved = sns.get_topic_attributes(TopicArn=topic)["Attributes"]["Policy"]
    policy = json.loads(saved)
    policy["Statement"] = [s for s in policy["Statement"] if s["Sid"] != "release-outcome"]
    sns.set_topic_attributes(TopicArn=topic, AttributeName="Policy", AttributeValue=json.dumps(policy))
    mutate(lambda: sns.set_topic_attributes(TopicArn=topic, AttributeName="Policy", AttributeValue=saved))
    failed = _failed(_verify(localcloud, example, tmp_path))
    assert set(failed) == {"NOTE-01"} and "does not let events.amazonaws.com publish" in failed["NOTE-01"]
