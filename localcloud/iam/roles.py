"""A role as the other services are handed it (`RoleInfo`), and IAM's policy documents parsed.

Its own module so that IAM's door (contract.py) and the propagation record (propagation.py),
which snapshots roles as they were, share one shape without importing each other."""
from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import unquote


@dataclass(frozen=True)
class RoleInfo:
    name: str
    arn: str
    role_id: str
    path: str
    assume_role_policy: dict    # the trust policy, parsed
    max_session_duration: int   # seconds


def parse_policy(document) -> dict:
    """A policy document as IAM stores it (a JSON string, URL-encoded when it came through the
    query API) or already parsed; {} when it is not JSON."""
    if isinstance(document, dict):
        return document
    if not document:
        return {}
    for text in (document, unquote(document)):
        try:
            parsed = json.loads(text)
        except ValueError:
            continue
        return parsed if isinstance(parsed, dict) else {}
    return {}


def role_info(role) -> RoleInfo:
    """The RoleInfo of one of moto's Role objects."""
    return RoleInfo(name=role.name, arn=role.arn, role_id=role.id, path=role.path,
                    assume_role_policy=parse_policy(role.assume_role_policy_document),
                    max_session_duration=int(role.max_session_duration or 3600))
