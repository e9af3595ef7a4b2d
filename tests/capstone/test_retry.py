"""Retries only what means "not yet"; waits say what they waited for."""
import pytest
from botocore.exceptions import ClientError

from capstone.retry import WaitTimeout, call, is_not_found, is_retryable, wait_until


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
    assert is_retryable(_error("InvalidStructureException", "CodePipeline is not authorized to perform AssumeRole"))
    assert not is_retryable(_error("AccessDenied"))
    assert is_not_found(_error("NoSuchEntity")) and is_not_found(_error("RepositoryDoesNotExistException"))
    assert is_not_found(_error("PipelineNotFoundException")) and not is_not_found(_error("DependencyViolation"))


def test_wait_until_times_out_naming_what_and_the_last_state():
    with pytest.raises(WaitTimeout, match="waiting for the group to go; last state: 2 instances"):
        wait_until(lambda: (False, "2 instances"), what="the group to go", timeout=0.2)
