"""Retries only what means "not yet"; waits say what they waited for."""
import pytest
from botocore.exceptions import ClientError

from capstone.retry import (IAMNotPropagated, WaitTimeout, call, call_with_fresh_iam, is_iam_propagating,
                            is_not_found, is_retryable, wait_until)


def _error(code, message="x"):
    return ClientError({"Error": {"Code": code, "Message": message}}, "Op")


def test_dependency_violation_is_retried_until_it_clears():
    answers = [_error("DependencyViolation"), _error("ResourceInUse"), "done"]

    def flaky():
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    assert call(flaky, deadline=10) == "done"


def test_a_real_refusal_is_not_retried():
    calls = []

    def refuse():
        calls.append(1)
        raise _error("ValidationError")

    with pytest.raises(ClientError):
        call(refuse, deadline=10)
    assert len(calls) == 1


def test_classification():
    assert is_retryable(_error("ThrottlingException"))
    # a fresh role is retried only where a builder hands it over (call_with_fresh_iam), not everywhere
    assert not is_retryable(_error("InvalidStructureException", "CodePipeline is not authorized to perform AssumeRole"))
    assert not is_retryable(_error("AccessDenied"))
    assert is_not_found(_error("NoSuchEntity")) and is_not_found(_error("RepositoryDoesNotExistException"))
    assert is_not_found(_error("PipelineNotFoundException")) and not is_not_found(_error("DependencyViolation"))


def test_wait_until_times_out_naming_what_and_the_last_state():
    with pytest.raises(WaitTimeout, match="waiting for the group to go; last state: 2 instances"):
        wait_until(lambda: (False, "2 instances"), what="the group to go", timeout=0.2)


# -- a fresh role handed to a service ---------------------------------------------------------------
ROLE = "arn:aws:iam::123456789012:role/capstone-build"


@pytest.mark.parametrize("code, message", [
    ("InvalidInputException", f"CodeBuild is not authorized to perform: sts:AssumeRole on {ROLE}"),
    ("InvalidInputException", "CodeBuild is not authorized to perform: sts:AssumeRole on service role. Please verify "
                              "that: 1) The provided service role exists, 2) ..."),
    ("InvalidStructureException", f"CodePipeline is not authorized to perform AssumeRole on role {ROLE}"),
    ("InvalidStructureException", f"{ROLE} is not authorized to perform AssumeRole on role {ROLE}-action"),
    ("InvalidRoleException", f"AWS CodeDeploy does not have the permissions required to assume the role {ROLE}."),
    ("InvalidRoleException", "Cannot assume role provided."),
    ("InvalidRoleException", f"The IAM role {ROLE} does not give you permission to perform operations in the following "
                             "AWS service: AmazonAutoScaling. Contact your AWS administrator if you need help. If you are "
                             "an AWS administrator, you can grant permissions to your users or groups by creating IAM policies."),
    ("ValidationError", "You must use a valid fully-formed launch template. Value (p) for parameter "
                        "iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name"),
    ("ValidationError", "Invalid IamInstanceProfile: p"),
    ("InvalidParameterValue", "Value (p) for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name"),
])
def test_each_services_not_yet_answer_is_a_propagation(code, message):
    assert is_iam_propagating(_error(code, message))


@pytest.mark.parametrize("code, message", [
    ("InvalidInputException", "Invalid service role: Service role account ID does not match caller's account"),
    ("InvalidInputException", "Invalid input: buildspec must be specified when source type is NO_SOURCE"),
    ("InvalidStructureException", "The artifact store location b (an S3 bucket) does not exist"),
    ("InvalidRoleException", "not a role ARN"),
    ("ValidationError", f"CodeBuild is not authorized to perform: sts:AssumeRole on {ROLE}"),  # right words, wrong code
    ("AccessDenied", f"User: x is not authorized to perform: sts:AssumeRole on resource: {ROLE}"),
])
def test_the_same_codes_or_words_alone_are_not(code, message):
    assert not is_iam_propagating(_error(code, message))


def test_a_fresh_role_is_retried_until_the_service_accepts_it():
    answers = [_error("InvalidInputException", f"CodeBuild is not authorized to perform: sts:AssumeRole on {ROLE}")] * 3
    answers.append({"project": {"arn": "p"}})
    said: list[str] = []

    def create_project(**kwargs):
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    assert call_with_fresh_iam(create_project, name="x", what="create build project x", bound=10,
                               progress=said.append) == {"project": {"arn": "p"}}
    assert said[0].startswith("  create build project x: InvalidInputException, the service cannot assume the new IAM role yet")
    assert said[-1].startswith("  create build project x: accepted after ") and len(said) == 2


def test_the_wait_for_a_fresh_role_is_bounded_and_says_why_it_gave_up():
    refusal = _error("InvalidRoleException", f"AWS CodeDeploy does not have the permissions required to assume the role {ROLE}.")

    def refuse(**kwargs):
        raise refusal

    with pytest.raises(IAMNotPropagated) as err:
        call_with_fresh_iam(refuse, what="create deployment group g", bound=0.3, progress=lambda _: None)
    message = str(err.value)
    assert message.startswith("create deployment group g: still refused after 0.")
    assert "past the 0.3s bound for IAM to propagate a new role" in message
    assert f"InvalidRoleException: AWS CodeDeploy does not have the permissions required to assume the role {ROLE}." in message
    assert "check the role's name and its trust policy" in message
    assert err.value.__cause__ is refusal and isinstance(err.value, WaitTimeout)


def test_a_real_refusal_with_the_same_code_fails_at_once():
    calls = []

    def refuse():
        calls.append(1)
        raise _error("InvalidInputException", "Invalid service role")

    with pytest.raises(ClientError):
        call_with_fresh_iam(refuse, what="create build project x", bound=10, progress=lambda _: None)
    assert len(calls) == 1
