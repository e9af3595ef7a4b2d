"""Request validation generated from botocore's service models, as AWS validates before acting.

Messages follow AWS's wording ("1 validation error detected: Value null at 'name' failed to
satisfy constraint: Member must not be null") so that tools matching on it keep working.
"""
from __future__ import annotations

import functools
import re
from typing import Any

import botocore.session
from botocore.model import ServiceModel, Shape

from localcloud.aws import AWSError
from localcloud.exceptions import SerializationException


@functools.lru_cache(maxsize=None)
def service_model(service: str) -> ServiceModel:
    return botocore.session.get_session().get_service_model(service)


@functools.lru_cache(maxsize=None)
def _pattern(raw: str) -> re.Pattern | None:
    try:
        return re.compile(raw)
    except re.error:
        return None  # a Java-only regex construct: AWS checks it, we cannot


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    text = str(value)
    return f"'{text[:64]}'"


def _check(shape: Shape, value: Any, path: str, errors: list[str]) -> None:
    if value is None:
        return
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            errors.append(f"Value {_describe(value)} at '{path}' failed to satisfy constraint: Member must be a structure")
            return
        for name in shape.required_members:
            if value.get(name) is None:
                errors.append(f"Value null at '{_join(path, name)}' failed to satisfy constraint: Member must not be null")
        for name, member in shape.members.items():
            if name in value:
                _check(member, value[name], _join(path, name), errors)
        return
    if kind == "list":
        if not isinstance(value, list):
            errors.append(f"Value {_describe(value)} at '{path}' failed to satisfy constraint: Member must be a list")
            return
        _length(shape, len(value), value, path, errors)
        for i, item in enumerate(value):
            _check(shape.member, item, f"{path}.{i + 1}.member", errors)
        return
    if kind == "map":
        if not isinstance(value, dict):
            errors.append(f"Value {_describe(value)} at '{path}' failed to satisfy constraint: Member must be a map")
            return
        _length(shape, len(value), value, path, errors)
        for k, v in value.items():
            _check(shape.key, k, f"{path}.key", errors)
            _check(shape.value, v, f"{path}.{k}", errors)
        return
    if kind == "string":
        if not isinstance(value, str):
            errors.append(f"Value {_describe(value)} at '{path}' failed to satisfy constraint: Member must be a string")
            return
        if shape.enum and value not in shape.enum:
            errors.append(
                f"Value {_describe(value)} at '{path}' failed to satisfy constraint: "
                f"Member must satisfy enum value set: [{', '.join(shape.enum)}]"
            )
        _length(shape, len(value), value, path, errors)
        raw = shape.metadata.get("pattern")
        compiled = _pattern(raw) if raw else None
        # Java-style model patterns match the whole value (String.matches), not a substring.
        if compiled is not None and not compiled.fullmatch(value):
            errors.append(
                f"Value {_describe(value)} at '{path}' failed to satisfy constraint: "
                f"Member must satisfy regular expression pattern: {raw}"
            )
        return
    if kind in ("integer", "long"):
        if isinstance(value, bool) or not isinstance(value, int):
            errors.append(f"Value {_describe(value)} at '{path}' failed to satisfy constraint: Member must be a number")
            return
        lo, hi = shape.metadata.get("min"), shape.metadata.get("max")
        if lo is not None and value < lo:
            errors.append(f"Value {_describe(value)} at '{path}' failed to satisfy constraint: Member must have value greater than or equal to {lo}")
        if hi is not None and value > hi:
            errors.append(f"Value {_describe(value)} at '{path}' failed to satisfy constraint: Member must have value less than or equal to {hi}")
        return
    if kind == "boolean" and not isinstance(value, bool):
        errors.append(f"Value {_describe(value)} at '{path}' failed to satisfy constraint: Member must be a boolean")


def _length(shape: Shape, size: int, value: Any, path: str, errors: list[str]) -> None:
    lo, hi = shape.metadata.get("min"), shape.metadata.get("max")
    if lo is not None and size < lo:
        errors.append(f"Value {_describe(value)} at '{path}' failed to satisfy constraint: Member must have length greater than or equal to {lo}")
    if hi is not None and size > hi:
        errors.append(f"Value {_describe(value)} at '{path}' failed to satisfy constraint: Member must have length less than or equal to {hi}")


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def validate(service: str, operation: str, params: Any) -> None:
    """Raise ValidationException if `params` break the model's constraints for `operation`."""
    op = service_model(service).operation_model(operation)
    if op.input_shape is None:
        return
    if not isinstance(params, dict):
        raise SerializationException("Request body must be a JSON object")
    errors: list[str] = []
    _check(op.input_shape, params, "", errors)
    if errors:
        count = len(errors)
        noun = "error" if count == 1 else "errors"
        raise AWSError(_validation_code(service), f"{count} validation {noun} detected: " + "; ".join(errors))


@functools.lru_cache(maxsize=None)
def _validation_code(service: str) -> str:
    """The error a service returns for constraint violations: ValidationException where its
    model has it; CodeBuild, whose model has none, answers InvalidInputException."""
    shapes = set(service_model(service).shape_names)
    if "ValidationException" in shapes:
        return "ValidationException"
    if "InvalidInputException" in shapes:
        return "InvalidInputException"
    return "ValidationException"
