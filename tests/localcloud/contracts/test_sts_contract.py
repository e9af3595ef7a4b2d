import json
from datetime import datetime, timedelta, timezone

import pytest

from localcloud.principal import Principal
from localcloud.sts import trust
from localcloud.sts.exceptions import AccessDenied, ValidationError
from tests.localcloud.contracts.conftest import ACCOUNT, CALLER, decisions, unique


def role(aws, statement) -> str:
    policy = {"Version": "2012-10-17", "Statement": statement}
    return aws("iam").create_role(RoleName=unique("door-sts"), AssumeRolePolicyDocument=json.dumps(policy))["Role"]["Arn"]


def test_a_trusted_service_gets_a_session(aws, doors, authorizer):
    arn = role(aws, [{"Effect": "Allow", "Principal": {"Service": "codebuild.amazonaws.com"}, "Action": "sts:AssumeRole"}])
    codebuild = Principal.service("codebuild.amazonaws.com")
    assumed = doors.sts.assume_role(codebuild, arn, "build-1", duration_seconds=900)
    assert assumed.principal == Principal.assumed_role(arn, "build-1")
    creds = assumed.credentials
    assert creds.access_key_id.startswith("ASIA") and creds.secret_access_key and creds.session_token
    assert timedelta(minutes=14) < creds.expiration - datetime.now(timezone.utc) <= timedelta(minutes=15)
    assert decisions(authorizer) == [("codebuild.amazonaws.com", "sts:AssumeRole", arn)]


def test_an_untrusted_or_missing_role_is_access_denied(aws, doors):
    arn = role(aws, [{"Effect": "Allow", "Principal": {"Service": "codebuild.amazonaws.com"}, "Action": "sts:AssumeRole"}])
    for target in (arn, f"arn:aws:iam::{ACCOUNT}:role/no-such-role"):
        with pytest.raises(AccessDenied) as err:
            doors.sts.assume_role(CALLER, target, "s")
        assert err.value.status == 403
        assert err.value.message == f"User: {CALLER.arn} is not authorized to perform: sts:AssumeRole on resource: {target}"


def test_duration_beyond_the_role_maximum(aws, doors):
    arn = role(aws, [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sts:AssumeRole"}])
    with pytest.raises(ValidationError):
        doors.sts.assume_role(CALLER, arn, "s", duration_seconds=7200)
    assert doors.sts.assume_role(CALLER, arn, "s").principal.role_arn == arn


def test_trust_policy_matching():
    session = Principal.assumed_role(f"arn:aws:iam::{ACCOUNT}:role/caller", "s")
    allow = lambda principal: {"Statement": [{"Effect": "Allow", "Principal": principal, "Action": "sts:*"}]}
    assert trust.allows(allow({"AWS": ACCOUNT}), session)
    assert trust.allows(allow({"AWS": f"arn:aws:iam::{ACCOUNT}:role/caller"}), session)
    assert trust.allows(allow("*"), session)
    assert not trust.allows(allow({"AWS": "arn:aws:iam::999999999999:root"}), session)
    assert not trust.allows(allow({"Service": "codebuild.amazonaws.com"}), session)
    denied = {"Statement": allow("*")["Statement"] + [{"Effect": "Deny", "Principal": {"AWS": ACCOUNT}, "Action": "sts:AssumeRole"}]}
    assert not trust.allows(denied, session)
    assert trust.trusts(json.dumps(allow({"Service": ["events.amazonaws.com"]})), "events.amazonaws.com")
    assert not trust.trusts("not json", "events.amazonaws.com")
