import pytest

from localcloud.secretsmanager.exceptions import ResourceNotFoundException
from tests.localcloud.contracts.conftest import CALLER, decisions, unique


def test_get_secret_value(aws, doors, authorizer):
    sm = aws("secretsmanager")
    name = unique("door/secret")
    created = sm.create_secret(Name=name, SecretString='{"password": "one"}')
    second = sm.put_secret_value(SecretId=name, SecretString='{"password": "two"}')
    current = doors.secretsmanager.get_secret_value(CALLER, name)
    assert (current.arn, current.name, current.secret_string, current.version_id) == (
        created["ARN"], name, '{"password": "two"}', second["VersionId"])
    previous = doors.secretsmanager.get_secret_value(CALLER, created["ARN"], version_stage="AWSPREVIOUS")
    assert previous.secret_string == '{"password": "one"}' and previous.version_id == created["VersionId"]
    assert doors.secretsmanager.get_secret_value(CALLER, name, version_id=created["VersionId"]).secret_string == '{"password": "one"}'
    with pytest.raises(ResourceNotFoundException):
        doors.secretsmanager.get_secret_value(CALLER, "no-such-secret")
    resources = [d[2] for d in decisions(authorizer)]
    assert resources[:3] == [created["ARN"]] * 3
    assert resources[3].endswith(":secret:no-such-secret")
    assert {d[1] for d in decisions(authorizer)} == {"secretsmanager:GetSecretValue"}
