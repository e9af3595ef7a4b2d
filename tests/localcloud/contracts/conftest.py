"""Doors are called in-process on the session's localcloud, after resources were made through
boto3 as users make them; each test reads its own authorizer's log."""
from __future__ import annotations

import uuid

import pytest

from localcloud.iam.authorizer import Authorizer
from localcloud.moto_doors import build
from localcloud.principal import Principal

ACCOUNT = "123456789012"
CALLER = Principal.assumed_role(f"arn:aws:iam::{ACCOUNT}:role/service-role/caller", "contract-test")


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def authorizer() -> Authorizer:
    return Authorizer()


@pytest.fixture
def doors(localcloud, authorizer):
    return build(authorizer, localcloud.account_id, localcloud.region)


def decisions(authorizer: Authorizer) -> list[tuple[str, str, str]]:
    return [(d.principal, d.action, d.resource) for d in authorizer.log.decisions()]
