import pytest

from localcloud.ssm.exceptions import ValidationException
from tests.localcloud.contracts.conftest import ACCOUNT, CALLER, decisions, unique


def test_get_parameters(aws, doors, authorizer):
    ssm = aws("ssm")
    plain, secure = f"/door/{unique('p')}", unique("secure")
    ssm.put_parameter(Name=plain, Value="v1", Type="String")
    ssm.put_parameter(Name=plain, Value="v2", Type="String", Overwrite=True)
    ssm.put_parameter(Name=secure, Value="hidden", Type="SecureString")
    values, invalid = doors.ssm.get_parameters(CALLER, [plain, f"{plain}:1", secure, "/no/such", f"{plain}:9"],
                                               with_decryption=True)
    assert values == {plain: "v2", f"{plain}:1": "v1", secure: "hidden"}
    assert invalid == ["/no/such", f"{plain}:9"]
    values, _ = doors.ssm.get_parameters(CALLER, [secure], with_decryption=False)
    assert values[secure] != "hidden"
    region = "us-east-1"
    assert decisions(authorizer)[:3] == [
        (CALLER.arn, "ssm:GetParameters", f"arn:aws:ssm:{region}:{ACCOUNT}:parameter{plain}"),
        (CALLER.arn, "ssm:GetParameters", f"arn:aws:ssm:{region}:{ACCOUNT}:parameter{plain}"),
        (CALLER.arn, "ssm:GetParameters", f"arn:aws:ssm:{region}:{ACCOUNT}:parameter/{secure}"),
    ]
    with pytest.raises(ValidationException):
        doors.ssm.get_parameters(CALLER, [f"p{i}" for i in range(11)])
