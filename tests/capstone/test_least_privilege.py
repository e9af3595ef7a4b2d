"""Least privilege, shown: the IAM action matcher, one role's record from fixed policies and
decisions, the audit's section folded from the environments' records and rendered; and, against
the session's localcloud, the record of a role whose session made door calls."""
from __future__ import annotations

import json
import uuid

import pytest

from capstone import least_privilege as lp
from capstone.evidence import audit, page
from capstone.target import Target

ACCOUNT = "123456789012"
ROLE = "cc-beef-deploy"
SESSION = f"arn:aws:sts::{ACCOUNT}:assumed-role/{ROLE}/AWSCodeDeploy"
TOKEN = "5b0d8a8e-4b6a-4c1e-9f3e-2d7c9a1b0e42"
ACCESS_KEY = "ASIAIOSFODNN7EXAMPLE"


@pytest.mark.parametrize("pattern, action, matches", [
    ("s3:GetObject", "s3:GetObject", True),
    ("s3:getobject", "S3:GetObject", True),          # action names are case-insensitive
    ("s3:Get*", "s3:GetObjectVersion", True),
    ("s3:Get*", "s3:PutObject", False),
    ("s3:*", "s3tables:GetTable", False),             # the service prefix is not a wildcard
    ("*", "codebuild:StartBuild", True),
    ("ec2:*Tags", "ec2:CreateTags", True),
    ("s3:GetObject?ersion", "s3:GetObjectVersion", True),
    ("s3:GetObject?", "s3:GetObject", False),         # ? is exactly one character
    ("s3:Get[O]bject", "s3:GetObject", False),         # no [] classes in IAM
    ("s3:Get.bject", "s3:GetObject", False),           # a dot is a dot
    ("s3:GetObject", "s3:GetObjectVersion", False),    # whole name, not a prefix
])
def test_the_matcher_is_iams(pattern, action, matches):
    assert lp.action_matches(pattern, action) is matches


def test_allowed_patterns_read_allow_statements_only():
    document = {"Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:List*"], "Resource": "*"},
        {"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"},
        {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}]}
    assert lp.allowed_patterns(document) == (["s3:GetObject", "s3:List*"], ["iam:*"])
    # a raw IAM answer is URL-encoded JSON; a single statement need not be a list
    raw = "%7B%22Statement%22%3A%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22sns%3APublish%22%7D%7D"
    assert lp.allowed_patterns(raw) == (["sns:Publish"], [])


def test_session_role():
    assert lp.session_role(SESSION) == ROLE
    assert lp.session_role(f"arn:aws:iam::{ACCOUNT}:role/{ROLE}") is None
    assert lp.session_role("codedeploy.amazonaws.com") is None
    assert lp.session_role(f"arn:aws:iam::{ACCOUNT}:root") is None


ROLE_READ = {"role": ROLE, "arn": f"arn:aws:iam::{ACCOUNT}:role/{ROLE}", "trusted_by": ["codedeploy.amazonaws.com"],
             "policies": [
                 {"policy": f"{ROLE}-policy", "kind": "inline", "document": {"Statement": [
                     {"Effect": "Allow", "Action": ["ec2:RunInstances", "ec2:CreateTags"], "Resource": "*"},
                     {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}]}},
                 {"policy": "AWSCodeDeployRole", "kind": "attached",
                  "arn": "arn:aws:iam::aws:policy/service-role/AWSCodeDeployRole", "document": {"Statement": [
                      {"Effect": "Allow", "Action": ["autoscaling:*", "elasticloadbalancing:Describe*",
                                                     "elasticloadbalancing:RegisterTargets", "sns:Publish"],
                       "Resource": "*"}]}}]}


def _decision(action, allowed=True, principal=SESSION, resource="arn:aws:ec2:us-east-1:123456789012:instance/*"):
    return {"sequence": 1, "principal": principal, "action": action, "resource": resource, "allowed": allowed}


DECISIONS = [
    _decision("autoscaling:CreateAutoScalingGroup"), _decision("autoscaling:DescribeAutoScalingGroups"),
    _decision("elasticloadbalancing:RegisterTargets"), _decision("elasticloadbalancing:DescribeTargetHealth"),
    _decision("ec2:RunInstances"), _decision("ec2:RunInstances"),
    _decision("iam:PassRole", principal=f"arn:aws:sts::{ACCOUNT}:assumed-role/{ROLE}/i-0abc"),
    _decision("ec2:TerminateInstances", allowed=False),
    _decision("codedeploy:GetDeployment"),  # allowed, though nothing grants it: the target did not enforce
    # other principals: another role (whose name starts the same), another account, a service
    _decision("sns:Publish", principal=f"arn:aws:sts::{ACCOUNT}:assumed-role/{ROLE}x/s"),
    _decision("sns:Publish", principal=f"arn:aws:sts::210987654321:assumed-role/{ROLE}/s"),
    _decision("ec2:CreateTags", principal="codedeploy.amazonaws.com"),
]


def test_a_roles_record_from_fixed_policies_and_decisions():
    report = lp.role_report(ROLE_READ, DECISIONS)
    assert report["granted"] == ["ec2:RunInstances", "ec2:CreateTags", "iam:PassRole", "autoscaling:*",
                                 "elasticloadbalancing:Describe*", "elasticloadbalancing:RegisterTargets", "sns:Publish"]
    assert report["used"] == ["autoscaling:CreateAutoScalingGroup", "autoscaling:DescribeAutoScalingGroups",
                              "codedeploy:GetDeployment", "ec2:RunInstances", "elasticloadbalancing:DescribeTargetHealth",
                              "elasticloadbalancing:RegisterTargets", "iam:PassRole"]
    assert report["denied"] == ["ec2:TerminateInstances"]
    assert report["never_used"] == ["ec2:CreateTags", "sns:Publish"]
    assert report["used_not_granted"] == ["codedeploy:GetDeployment"]
    assert report["decisions"] == 9 and report["note"] is None
    by_policy = {p["policy"]: p for p in report["policies"]}
    assert by_policy[f"{ROLE}-policy"]["never_used"] == ["ec2:CreateTags"]
    assert by_policy["AWSCodeDeployRole"] == {
        "policy": "AWSCodeDeployRole", "kind": "attached", "arn": "arn:aws:iam::aws:policy/service-role/AWSCodeDeployRole",
        "granted": ["autoscaling:*", "elasticloadbalancing:Describe*", "elasticloadbalancing:RegisterTargets",
                    "sns:Publish"], "never_used": ["sns:Publish"]}
    assert "document" not in json.dumps(report["policies"])


def test_live_the_record_says_use_is_not_recorded_instead_of_showing_nothing_used():
    report = lp.role_report(ROLE_READ, None)
    assert report["granted"] and report["used"] is None and report["never_used"] is None and report["denied"] is None
    assert report["note"].startswith("not recorded live: ") and "last-accessed" in report["note"]


def test_nothing_of_a_decision_but_its_action_reaches_the_record():
    planted = [_decision("ec2:RunInstances", principal=f"arn:aws:sts::{ACCOUNT}:assumed-role/{ROLE}/{ACCESS_KEY}",
                         resource=f"arn:aws:codepipeline:us-east-1:{ACCOUNT}:p/Approval/token-{TOKEN}")]
    text = json.dumps(lp.role_report(ROLE_READ, planted))
    assert ACCESS_KEY not in text and TOKEN not in text and "codepipeline:us-east-1" not in text


def _entry(prefix, recorded=True, errors=()):
    roles = [lp.role_report(ROLE_READ, DECISIONS if recorded else None)]
    return {"worker": "gw0", "prefix": prefix, "recorded": recorded, "source": lp.SOURCE if recorded else None,
            "note": None if recorded else lp.NOT_RECORDED_LIVE, "since": 7, "roles": roles, "errors": list(errors)}


@pytest.mark.parametrize("entries, status", [
    ([], "not run"),
    ([_entry("a"), _entry("b")], "recorded"),
    ([_entry("a"), _entry("b", errors=["role b-build: its policies could not be read"])], "incomplete"),
    ([_entry("a", recorded=False)], "not recorded live"),
])
def test_the_audit_section_folds_every_environment(entries, status):
    section = audit.least_privilege({"least_privilege": entries})
    assert section["status"] == status and section["environments"] == entries
    if status == "recorded":
        assert section["totals"] == {"roles": 2, "granted": 14, "used": 14, "never_used": 4, "denied": 2}
    if status == "not recorded live":
        assert section["totals"]["granted"] == 7 and section["totals"]["never_used"] is None


def _rendered(tmp_path, entries, target="local"):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    evidence = {"run_id": "r", "scenarios": {}, "timeline": [],
                "run": {"started": 1.0, "finished": 2.0, "facts": {"target": target}, "least_privilege": entries}}
    built = audit.build(run_dir, evidence)
    return built, page.render(built)


def test_the_page_shows_a_table_per_role(tmp_path):
    built, html = _rendered(tmp_path, [_entry("cc-beef")])
    assert built["least_privilege"]["status"] == "recorded"
    assert html.count('<table class="role"') == 1 and f'id="role-{ROLE}"' in html
    assert "<th>Granted (7)</th><th>Used (7)</th>" in html and "<th>Never used (2)</th><th>Denied (1)</th>" in html
    assert "ec2:TerminateInstances" in html and "trusted by codedeploy.amazonaws.com" in html
    assert "AWSCodeDeployRole (attached: 1 of 4 never used)" in html
    assert "Allowed though no Action pattern grants it" in html
    assert "In all: 1 role(s), 7 grant(s), 2 never used, 1 denied action(s)." in " ".join(html.split())


def test_the_page_says_plainly_when_use_is_not_recorded(tmp_path):
    _, html = _rendered(tmp_path, [_entry("cc-beef", recorded=False)], target="aws")
    assert "not recorded live: " in html and '<td colspan="3" class="muted">not recorded live' in html
    assert "<th>Used</th>" in html and "Used (" not in html


# -- against the session's localcloud ----------------------------------------------------------
TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


@pytest.fixture
def reader_role(aws):
    iam, s3, name = aws("iam"), aws("s3"), f"lp-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=name)
    s3.put_object(Bucket=name, Key="k", Body=b"x")
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    iam.put_role_policy(RoleName=name, PolicyName="read", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["s3:GetObject", "s3:GetObjectVersion"], "Resource": f"arn:aws:s3:::{name}/*"},
            {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": f"arn:aws:s3:::{name}"}]}))
    iam.attach_role_policy(RoleName=name, PolicyArn="arn:aws:iam::aws:policy/AmazonSNSReadOnlyAccess")
    return name, arn


@pytest.mark.integration
def test_the_record_of_a_role_whose_session_made_door_calls(localcloud, reader_role):
    from localcloud.iam.authorizer import AccessDeniedByPolicy
    from localcloud.principal import Principal

    name, arn = reader_role
    target = Target("local", localcloud.region, localcloud.url)
    since = target.authorizations_mark()
    session = Principal.assumed_role(arn, "i-0123456789abcdef0")
    assert localcloud.services.s3.get_object(session, name, "k") == b"x"
    with pytest.raises(AccessDeniedByPolicy):
        localcloud.services.s3.put_object(session, name, "k2", b"y")

    entry = lp.collect(target, [name], since)
    assert entry["recorded"] and entry["errors"] == [] and entry["since"] == since and entry["dropped"] == 0
    [role] = entry["roles"]
    assert role["arn"] == arn and role["trusted_by"] == ["ec2.amazonaws.com"]
    assert [(p["policy"], p["kind"]) for p in role["policies"]] == [("read", "inline"), ("AmazonSNSReadOnlyAccess", "attached")]
    assert role["granted"][:3] == ["s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket"]
    assert {"sns:GetTopicAttributes", "sns:List*"} <= set(role["granted"])  # the managed policy's, read through IAM
    assert role["used"] == ["s3:GetObject"] and role["denied"] == ["s3:PutObject"] and role["decisions"] == 2
    assert role["never_used"] == [p for p in role["granted"] if p != "s3:GetObject"]

    # what came before the mark is not this run's
    assert lp.collect(target, [name], target.authorizations_mark())["roles"][0]["used"] == []


@pytest.mark.integration
def test_the_target_reads_the_log_page_by_page(localcloud, monkeypatch):
    import capstone.target

    from localcloud.iam.authorizer import Decision

    target = Target("local", localcloud.region, localcloud.url)
    since = target.authorizations_mark()
    for n in range(5):  # a few decisions to page through
        localcloud.authorizer.log.record(Decision(f"arn:aws:sts::{ACCOUNT}:assumed-role/paged/s{n}", "s3:GetObject",
                                                  "arn:aws:s3:::b/k", True))
    whole = target.authorizations(since)
    monkeypatch.setattr(capstone.target, "AUTHORIZATIONS_PAGE", 2)
    paged = target.authorizations(since)
    # other tests' pipelines may still be deciding: the later read may only have more
    assert len(whole.decisions) >= 5 and paged.decisions[:len(whole.decisions)] == whole.decisions
    assert [d["sequence"] for d in paged.decisions] == list(range(since + 1, since + 1 + len(paged.decisions)))


@pytest.mark.integration
def test_the_live_path_reads_the_grants_and_says_use_is_not_recorded(localcloud, reader_role, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    name, _ = reader_role
    live = Target("aws", localcloud.region, localcloud.url)  # the live code path, pointed at an endpoint
    assert not live.records_authorizations and live.authorizations_mark() is None and live.authorizations() is None
    entry = lp.collect(live, [name, "lp-no-such-role"], None)
    assert not entry["recorded"] and entry["note"] == lp.NOT_RECORDED_LIVE
    [role] = entry["roles"]
    assert "s3:ListBucket" in role["granted"] and role["used"] is None and role["note"] == lp.NOT_RECORDED_LIVE
    assert entry["errors"] and entry["errors"][0].startswith("role lp-no-such-role: its policies could not be read")
