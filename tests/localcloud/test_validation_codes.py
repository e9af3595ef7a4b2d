"""Validation answers each operation's own modelled error, generated over every operation of the
services localcloud owns, from botocore's models (localcloud/validation.py).

For each operation: a request missing its required members, and one whose member breaks its
length or pattern, must answer a code the operation lists in its `errors`, or the service's
generic code (ValidationException, a common error of every AWS service; InvalidInputException
where the model uses it instead); and the operation's own `<Member>RequiredException` /
`Invalid<Member>Exception` whenever it models one for the member at fault.
"""
from __future__ import annotations

import re

import pytest

from localcloud.exceptions import AWSError
from localcloud.validation import service_model, validate, validation_code

OWNED = ("codecommit", "codebuild", "codedeploy", "codepipeline", "events", "codeartifact")
CASES = [(service, op) for service in OWNED for op in service_model(service).operation_names]


def _refusal(service, operation, params) -> AWSError | None:
    try:
        validate(service, operation, params)
    except AWSError as err:
        return err
    return None


def _errors(service, operation) -> set[str]:
    return {s.name for s in service_model(service).operation_model(operation).error_shapes}


def _allowed(service, operation) -> set[str]:
    return _errors(service, operation) | {validation_code(service), "ValidationException"}


def _stem(member: str) -> str:
    return member[:1].upper() + member[1:]


def _located(member_shape) -> bool:
    return bool(member_shape.serialization.get("location"))


@pytest.mark.parametrize("service, operation", CASES, ids=[f"{s}.{o}" for s, o in CASES])
def test_missing_required_members_answer_the_operations_own_code(service, operation):
    shape = service_model(service).operation_model(operation).input_shape
    required = list(shape.required_members) if shape is not None else []
    err = _refusal(service, operation, {})
    if not required:
        assert err is None
        return
    assert err is not None and err.status == 400
    assert err.code in _allowed(service, operation)
    own = [f"{_stem(m)}RequiredException" for m in required
           if f"{_stem(m)}RequiredException" in _errors(service, operation)]
    if own:
        assert err.code == own[0], err.message
    else:
        assert err.code == validation_code(service)
        # AWS's wording, each member named as on the wire
        assert err.message.startswith(f"{len(required)} validation error")
        for member in required:
            wire = shape.members[member].serialization.get("name", member) if _located(shape.members[member]) \
                else member[:1].lower() + member[1:]
            assert f"Value null at '{wire}' failed to satisfy constraint: Member must not be null" in err.message


def _bad_string(member_shape) -> str | None:
    """A value breaking the member's length or pattern, or None when it has neither."""
    lo = member_shape.metadata.get("min")
    if lo:
        return ""
    pattern = member_shape.metadata.get("pattern")
    if pattern:
        try:
            compiled = re.compile(pattern)
        except re.error:
            return None
        for candidate in ("\u0000 not valid \u0000", "~" * 3, " "):
            if not compiled.fullmatch(candidate):
                return candidate
    return None


STRING_CASES = []
for _service, _operation in CASES:
    _shape = service_model(_service).operation_model(_operation).input_shape
    for _name, _member in (_shape.members.items() if _shape is not None else ()):
        if _member.type_name == "string" and not _member.enum and _bad_string(_member) is not None:
            STRING_CASES.append((_service, _operation, _name))


@pytest.mark.parametrize("service, operation, member", STRING_CASES,
                         ids=[f"{s}.{o}.{m}" for s, o, m in STRING_CASES])
def test_a_member_breaking_its_constraints_answers_the_operations_own_code(service, operation, member):
    shape = service_model(service).operation_model(operation).input_shape
    bad = _bad_string(shape.members[member])
    err = _refusal(service, operation, {member: bad})
    assert err is not None and err.status == 400
    assert err.code in _allowed(service, operation)
    errors = _errors(service, operation)
    others_have_own_code = any(f"{_stem(m)}RequiredException" in errors for m in shape.required_members if m != member)
    if f"Invalid{_stem(member)}Exception" in errors and not others_have_own_code:
        assert err.code == f"Invalid{_stem(member)}Exception", err.message


def test_the_examples_aws_documents():
    assert _refusal("codecommit", "CreateRepository", {"repositoryName": "bad name!"}).code == \
        "InvalidRepositoryNameException"
    assert _refusal("codecommit", "GetRepository", {}).code == "RepositoryNameRequiredException"
    assert _refusal("codedeploy", "CreateDeploymentGroup", {"deploymentGroupName": "g", "serviceRoleArn": "r"}).code \
        == "ApplicationNameRequiredException"
    err = _refusal("codepipeline", "GetPipelineState", {})
    assert (err.code, err.message) == ("ValidationException", "1 validation error detected: Value null at 'name' "
                                       "failed to satisfy constraint: Member must not be null")
    err = _refusal("events", "PutEvents", {"Entries": [{"Source": 5}]})
    assert err.message == ("1 validation error detected: Value '5' at 'entries.1.member.source' failed to satisfy "
                           "constraint: Member must be a string")
    err = _refusal("events", "PutEvents", {"Entries": [{}] * 11})
    assert err.message.startswith("1 validation error detected: Value '[PutEventsRequestEntry, ")
    # CodeArtifact's packageVersion travels as the query string's `version`
    err = _refusal("codeartifact", "DescribePackageVersion",
                   {"domain": "my-domain", "repository": "my-repo", "format": "pypi", "package": "p"})
    assert "Value null at 'version'" in err.message
