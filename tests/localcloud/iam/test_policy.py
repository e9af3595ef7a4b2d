"""Identity-policy evaluation (localcloud/iam/policy.py): AWS's order and matching rules."""
from localcloud.iam.policy import ALLOW, EXPLICIT_DENY, IMPLICIT_DENY, evaluate


def doc(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action, resource="*", **extra):
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action, resource="*", **extra):
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


OBJ = "arn:aws:s3:::bucket/key.zip"


def test_explicit_deny_wins_then_allow_else_implicit_deny():
    assert evaluate([doc(allow("s3:GetObject", "arn:aws:s3:::bucket/*"))], "s3:GetObject", OBJ) == ALLOW
    assert evaluate([doc(allow("s3:*")), doc(deny("s3:GetObject", OBJ))], "s3:GetObject", OBJ) == EXPLICIT_DENY
    assert evaluate([doc(allow("s3:PutObject"))], "s3:GetObject", OBJ) == IMPLICIT_DENY
    assert evaluate([], "s3:GetObject", OBJ) == IMPLICIT_DENY


def test_actions_ignore_case_resources_do_not_and_wildcards_are_star_and_question_mark():
    assert evaluate([doc(allow("S3:getobject", OBJ))], "s3:GetObject", OBJ) == ALLOW
    assert evaluate([doc(allow("s3:GetObject", "arn:aws:s3:::BUCKET/*"))], "s3:GetObject", OBJ) == IMPLICIT_DENY
    assert evaluate([doc(allow("s3:GetObjec?", "arn:aws:s3:::bucket/key.???"))], "s3:GetObject", OBJ) == ALLOW
    # an ARN's dots and brackets are characters, not patterns
    assert evaluate([doc(allow("s3:GetObject", "arn:aws:s3:::bucket/key.zi[p]"))], "s3:GetObject", OBJ) == IMPLICIT_DENY
    assert evaluate([doc(allow("s3:GetObject", "arn:aws:s3:::bucket/keyxzip"))], "s3:GetObject", OBJ) == IMPLICIT_DENY


def test_not_action_and_not_resource():
    everything_but_delete = {"Effect": "Allow", "NotAction": "s3:Delete*", "Resource": "*"}
    assert evaluate([doc(everything_but_delete)], "s3:GetObject", OBJ) == ALLOW
    assert evaluate([doc(everything_but_delete)], "s3:DeleteObject", OBJ) == IMPLICIT_DENY
    outside = {"Effect": "Deny", "Action": "s3:*", "NotResource": "arn:aws:s3:::bucket/*"}
    assert evaluate([doc(allow("s3:*"), outside)], "s3:GetObject", OBJ) == ALLOW
    assert evaluate([doc(allow("s3:*"), outside)], "s3:GetObject", "arn:aws:s3:::other/k") == EXPLICIT_DENY


def test_conditions():
    in_region = allow("ssm:GetParameters", Condition={"StringEquals": {"aws:RequestedRegion": "eu-west-1"}})
    assert evaluate([doc(in_region)], "ssm:GetParameters", "p", {"aws:RequestedRegion": "eu-west-1"}) == ALLOW
    assert evaluate([doc(in_region)], "ssm:GetParameters", "p", {"aws:RequestedRegion": "us-east-1"}) == IMPLICIT_DENY
    assert evaluate([doc(in_region)], "ssm:GetParameters", "p", {}) == IMPLICIT_DENY, "a missing key fails StringEquals"
    arn_like = allow("iam:PassRole", Condition={"ArnLike": {"iam:AssociatedResourceArn": "arn:aws:ec2:*:*:instance/*"}})
    assert evaluate([doc(arn_like)], "iam:PassRole", "r", {"iam:AssociatedResourceArn": "arn:aws:ec2:eu-west-1:1:instance/i-1"}) == ALLOW
    null = deny("s3:*", Condition={"Null": {"aws:SourceVpc": "true"}})
    assert evaluate([doc(allow("s3:*"), null)], "s3:GetObject", OBJ, {}) == EXPLICIT_DENY
    assert evaluate([doc(allow("s3:*"), null)], "s3:GetObject", OBJ, {"aws:SourceVpc": "vpc-1"}) == ALLOW
    secure = allow("s3:*", Condition={"Bool": {"aws:SecureTransport": "true"}})
    assert evaluate([doc(secure)], "s3:GetObject", OBJ, {"aws:SecureTransport": True}) == ALLOW
    # an operator localcloud does not evaluate never matches: the Allow does not apply
    unknown = allow("s3:*", Condition={"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}})
    assert evaluate([doc(unknown)], "s3:GetObject", OBJ, {"aws:CurrentTime": "2026-01-01T00:00:00Z"}) == IMPLICIT_DENY
