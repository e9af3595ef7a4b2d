"""Request validation generated from botocore's service models, as AWS validates before acting.

Two things are read off the model for every failure:

- **the code.** An operation that models its own error for the member at fault answers with it:
  CodeCommit's CreateRepository answers a missing name with `RepositoryNameRequiredException` and
  a bad one with `InvalidRepositoryNameException`; CodeDeploy's CreateDeploymentGroup a missing
  application name with `ApplicationNameRequiredException`. The convention is the model's own:
  `<Member>RequiredException` for a missing member, `Invalid<Member>Exception` for a value that
  breaks a constraint, both listed in the operation's `errors`. Only where the operation has no
  such error does the service's generic code answer: `ValidationException`, which AWS lists among
  the errors common to every service
  (https://docs.aws.amazon.com/codecommit/latest/APIReference/CommonErrors.html), or CodeBuild's
  and CodeDeploy's `InvalidInputException`, which their models use in its place.
- **the wording.** AWS's validation layer writes "1 validation error detected: Value null at
  'pipelineName' failed to satisfy constraint: Member must not be null", joining several with
  "; " (the format of AWS's documented examples, e.g.
  https://docs.aws.amazon.com/eventbridge/latest/APIReference/CommonErrors.html and the
  ValidationException examples in CodePipeline's API reference). Members are named as the Java
  service spells its fields, lowerCamel (`entries` where botocore's EventBridge model says
  `Entries`); list items as `entries.1.member`. A member the rest-json protocol carries in the
  URI, query string or a header is named by its wire name (`version` for CodeArtifact's
  `packageVersion`). Values are written as Java prints them: a string as itself, a structure as
  its shape name, a list as `[PutEventsRequestEntry]`, a map as `{key=value}`.
  A specific error's message is the first sentence of the model's documentation of that error
  (AWS's own description of it) followed by the constraint that failed.
"""
from __future__ import annotations

import functools
import html
import re
from dataclasses import dataclass
from typing import Any

import botocore.session
from botocore.model import OperationModel, ServiceModel, Shape

from localcloud.aws import AWSError
from localcloud.exceptions import SerializationException

#: longest value echoed in a message: AWS echoes the value, a bounded answer matters more here
ECHO_LIMIT = 256


@functools.lru_cache(maxsize=None)
def service_model(service: str) -> ServiceModel:
    return botocore.session.get_session().get_service_model(service)


@functools.lru_cache(maxsize=None)
def _pattern(raw: str) -> re.Pattern | None:
    try:
        return re.compile(raw)
    except re.error:
        return None  # a Java-only regex construct: AWS checks it, we cannot


@dataclass(frozen=True)
class Violation:
    member: str      # the top-level input member at fault (model name), for choosing the code
    missing: bool    # a required member absent (else a value breaking a constraint)
    text: str        # "Value ... at '...' failed to satisfy constraint: ..."


def wire_name(name: str) -> str:
    """A member as AWS's validation layer names it: lowerCamel, as the service's Java field."""
    return name[:1].lower() + name[1:]


def describe(value: Any, shape: Shape | None = None) -> str:
    """A value as AWS's messages print it (Java's toString), quoted; null unquoted."""
    if value is None:
        return "null"
    text = _java(value, shape)
    return f"'{text[:ECHO_LIMIT]}'"


def _java(value: Any, shape: Shape | None) -> str:
    kind = shape.type_name if shape is not None else None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        item = shape.member if kind == "list" else None
        return "[" + ", ".join(_java(v, item) for v in value) + "]"
    if isinstance(value, dict):
        if kind == "structure":
            return shape.name
        inner = shape.value if kind == "map" else None
        return "{" + ", ".join(f"{k}={_java(v, inner)}" for k, v in value.items()) + "}"
    return str(value)


class _Checker:
    def __init__(self, names: dict[str, str]):
        self.names = names          # top-level member -> its name in messages
        self.found: list[Violation] = []

    def add(self, top: str, missing: bool, value: Any, shape: Shape | None, path: str, constraint: str) -> None:
        self.found.append(Violation(top, missing, f"Value {describe(value, shape)} at '{path}' failed to satisfy "
                                                  f"constraint: Member {constraint}"))

    def structure(self, shape: Shape, value: dict, path: str, top: str | None) -> None:
        for name in shape.required_members:
            if value.get(name) is None:
                self.add(top or name, True, None, None, self._path(path, name, top), "must not be null")
        for name, member in shape.members.items():
            if name in value:
                self.check(member, value[name], self._path(path, name, top), top or name)

    def _path(self, path: str, name: str, top: str | None) -> str:
        if top is None:  # a top-level member: as the protocol names it
            return self.names.get(name, wire_name(name))
        return f"{path}.{wire_name(name)}"

    def check(self, shape: Shape, value: Any, path: str, top: str) -> None:
        if value is None:
            return
        kind = shape.type_name
        if kind == "structure":
            if not isinstance(value, dict):
                self.add(top, False, value, shape, path, "must be a structure")
                return
            self.structure(shape, value, path, top)
        elif kind == "list":
            if not isinstance(value, list):
                self.add(top, False, value, shape, path, "must be a list")
                return
            self.length(shape, len(value), value, path, top)
            for i, item in enumerate(value):
                if item is None:  # a list item, unlike a member, is never optional
                    self.add(top, False, None, None, f"{path}.{i + 1}.member", "must not be null")
                self.check(shape.member, item, f"{path}.{i + 1}.member", top)
        elif kind == "map":
            if not isinstance(value, dict):
                self.add(top, False, value, shape, path, "must be a map")
                return
            self.length(shape, len(value), value, path, top)
            for k, v in value.items():
                if v is None:
                    self.add(top, False, None, None, f"{path}.{k}", "must not be null")
                self.check(shape.key, k, f"{path}.key", top)
                self.check(shape.value, v, f"{path}.{k}", top)
        elif kind == "string":
            if not isinstance(value, str):
                self.add(top, False, value, shape, path, "must be a string")
                return
            if shape.enum and value not in shape.enum:
                self.add(top, False, value, shape, path, f"must satisfy enum value set: [{', '.join(shape.enum)}]")
            self.length(shape, len(value), value, path, top)
            raw = shape.metadata.get("pattern")
            compiled = _pattern(raw) if raw else None
            # Java-style model patterns match the whole value (String.matches), not a substring.
            if compiled is not None and not compiled.fullmatch(value):
                self.add(top, False, value, shape, path, f"must satisfy regular expression pattern: {raw}")
        elif kind in ("integer", "long"):
            if isinstance(value, bool) or not isinstance(value, int):
                self.add(top, False, value, shape, path, "must be a number")
                return
            lo, hi = shape.metadata.get("min"), shape.metadata.get("max")
            if lo is not None and value < lo:
                self.add(top, False, value, shape, path, f"must have value greater than or equal to {lo}")
            if hi is not None and value > hi:
                self.add(top, False, value, shape, path, f"must have value less than or equal to {hi}")
        elif kind in ("float", "double"):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                self.add(top, False, value, shape, path, "must be a number")
        elif kind == "boolean" and not isinstance(value, bool):
            self.add(top, False, value, shape, path, "must be a boolean")

    def length(self, shape: Shape, size: int, value: Any, path: str, top: str) -> None:
        lo, hi = shape.metadata.get("min"), shape.metadata.get("max")
        if lo is not None and size < lo:
            self.add(top, False, value, shape, path, f"must have length greater than or equal to {lo}")
        if hi is not None and size > hi:
            self.add(top, False, value, shape, path, f"must have length less than or equal to {hi}")


def violations(service: str, operation: str, params: dict) -> list[Violation]:
    """Every constraint of the operation's input that `params` break, in member order."""
    op = service_model(service).operation_model(operation)
    if op.input_shape is None:
        return []
    checker = _Checker(_located_names(service, operation))
    checker.structure(op.input_shape, params, "", None)
    return checker.found


def validate(service: str, operation: str, params: Any, generic: str | None = None) -> None:
    """Raise the error AWS answers if `params` break the model's constraints for `operation`;
    `generic` is the code when the operation has none of its own (default: the service's,
    `validation_code`)."""
    op = service_model(service).operation_model(operation)
    if op.input_shape is None:
        return
    if not isinstance(params, dict):
        raise SerializationException("Start of structure or map found where not expected")
    found = violations(service, operation, params)
    if not found:
        return
    for violation in found:
        code = specific_code(service, operation, violation.member, violation.missing)
        if code is not None:
            raise AWSError(_wire_code(op, code), f"{_summary(op, code)} {violation.text}".strip(), _status(op, code))
    count = len(found)
    noun = "error" if count == 1 else "errors"
    raise AWSError(generic or validation_code(service), f"{count} validation {noun} detected: "
                   + "; ".join(v.text for v in found))


def specific_code(service: str, operation: str, member: str, missing: bool) -> str | None:
    """The operation's own modelled error for `member` missing or invalid, if it has one."""
    stem = member[:1].upper() + member[1:]
    wanted = f"{stem}RequiredException" if missing else f"Invalid{stem}Exception"
    return wanted if wanted in _errors(service, operation) else None


@functools.lru_cache(maxsize=None)
def _errors(service: str, operation: str) -> frozenset[str]:
    return frozenset(s.name for s in service_model(service).operation_model(operation).error_shapes)


@functools.lru_cache(maxsize=None)
def _located_names(service: str, operation: str) -> dict[str, str]:
    """Top-level members the protocol carries outside the body (rest-json's URI labels, query
    string and headers), by the wire name AWS's messages use for them."""
    shape = service_model(service).operation_model(operation).input_shape
    if shape is None:
        return {}
    return {name: m.serialization["name"] for name, m in shape.members.items()
            if m.serialization.get("location") and m.serialization.get("name")}


def _summary(op: OperationModel, code: str) -> str:
    """The first sentence of the model's documentation of error `code`: AWS's own words for it."""
    shape = next(s for s in op.error_shapes if s.name == code)
    text = html.unescape(re.sub(r"<[^>]+>", " ", shape.documentation or ""))
    text = " ".join(text.split())
    match = re.match(r"(.+?\.)(\s|$)", text)
    return match.group(1) if match else text


def _wire_code(op: OperationModel, code: str) -> str:
    """The code on the wire: query services give some errors a code of their own (`error.code`,
    IAM's NoSuchEntityException is NoSuchEntity); JSON services answer the shape name."""
    if op.metadata.get("protocol") not in ("query", "ec2"):
        return code
    shape = next(s for s in op.error_shapes if s.name == code)
    return shape.metadata.get("error", {}).get("code", code)


def _status(op: OperationModel, code: str) -> int:
    shape = next(s for s in op.error_shapes if s.name == code)
    return int(shape.metadata.get("error", {}).get("httpStatusCode", 400))


@functools.lru_cache(maxsize=None)
def validation_code(service: str) -> str:
    """The generic error a service returns for constraint violations no specific error covers:
    ValidationException (a common error of every AWS service) unless the model, having no
    ValidationException of its own, uses InvalidInputException in its place (CodeBuild)."""
    shapes = set(service_model(service).shape_names)
    if "ValidationException" in shapes:
        return "ValidationException"
    if "InvalidInputException" in shapes:
        return "InvalidInputException"
    return "ValidationException"
