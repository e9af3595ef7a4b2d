import json

import pytest

from localcloud.iam.exceptions import NoSuchEntity
from tests.localcloud.contracts.conftest import ACCOUNT, CALLER, decisions, unique

TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "codebuild.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


def test_get_role_and_role_by_arn(aws, doors, authorizer):
    name = unique("door-role")
    created = aws("iam").create_role(RoleName=name, Path="/service-role/", AssumeRolePolicyDocument=json.dumps(TRUST),
                                     MaxSessionDuration=7200)["Role"]
    role = doors.iam.get_role(CALLER, name)
    assert (role.name, role.arn, role.role_id, role.path) == (name, created["Arn"], created["RoleId"], "/service-role/")
    assert role.assume_role_policy == TRUST and role.max_session_duration == 7200
    assert doors.iam.role_by_arn(CALLER, created["Arn"]) == role
    with pytest.raises(NoSuchEntity) as err:
        doors.iam.role_by_arn(CALLER, f"arn:aws:iam::{ACCOUNT}:role/{name}")  # same name, other path
    assert err.value.status == 404
    with pytest.raises(NoSuchEntity):
        doors.iam.get_role(CALLER, "no-such-role")
    assert decisions(authorizer) == [
        (CALLER.arn, "iam:GetRole", created["Arn"]), (CALLER.arn, "iam:GetRole", created["Arn"]),
        (CALLER.arn, "iam:GetRole", f"arn:aws:iam::{ACCOUNT}:role/{name}"),
        (CALLER.arn, "iam:GetRole", f"arn:aws:iam::{ACCOUNT}:role/no-such-role"),
    ]
