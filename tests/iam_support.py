"""The IAM a test's service role needs now that localcloud holds roles to their policies (the
suite's profile enforces them, as AWS does): the tests here are about behaviour, not least
privilege, so their roles may do everything. Least privilege is the suite's own roles' job
(capstone/builders/iam.py, linted by tests/capstone/test_iam_lint.py) and the enforcement
tests' (tests/localcloud/iam/)."""
import json

ALLOW_ALL = json.dumps({"Version": "2012-10-17",
                        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})


def allow_all(iam, role_name_or_arn: str) -> None:
    iam.put_role_policy(RoleName=role_name_or_arn.rsplit("/", 1)[-1], PolicyName="tests-allow-all",
                        PolicyDocument=ALLOW_ALL)


def ensure_role(iam, role_arn: str, service: str = "codepipeline.amazonaws.com") -> str:
    """The role `role_arn` (path included), trusted by `service` and allowed everything, made if
    it is missing: for door tests that act as a pipeline's role session."""
    name, path = role_arn.rsplit("/", 1)[-1], "/" + "/".join(role_arn.split(":role/", 1)[1].split("/")[:-1])
    path = path if path.endswith("/") else path + "/"
    try:
        iam.get_role(RoleName=name)
    except iam.exceptions.NoSuchEntityException:
        iam.create_role(RoleName=name, Path=path, AssumeRolePolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": service},
                                                    "Action": "sts:AssumeRole"}]}))
    allow_all(iam, name)
    return role_arn


def role_fixture(principal):
    """An autouse fixture making sure `principal`'s role exists and may act: a door test's
    module assigns it (`pipeline_role = role_fixture(PIPELINE)`)."""
    import pytest

    @pytest.fixture(autouse=True)
    def _role(aws):
        ensure_role(aws("iam"), principal.role_arn)

    return _role
