"""The suite's own identity: the least a person needs to run it, proven offline.

`SUITE_POLICY` (suite_policy.json next to this file) is the identity policy documented in
docs/suite-policy.md as the minimum to run the suite live. With `--suite-policy`, the
offline suite runs as an IAM user holding exactly that policy: the account's root (localcloud's
test keys) creates the user and its access key, the session's Target signs every call with
that key, and localcloud evaluates each request against the user's policy as AWS would. A call
the document forgot fails the run with AWS's AccessDenied, naming the action.

The user is the suite's own scaffolding, not part of the environment: it is created before the
environment and deleted after the environment's teardown and leak check, with root's keys.
"""
from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from pathlib import Path

from capstone.target import Target

SUITE_POLICY = Path(__file__).with_name("suite_policy.json")
POLICY_NAME = "capstone-suite"


@dataclass(frozen=True)
class SuiteIdentity:
    user_name: str
    access_key_id: str
    secret_access_key: str = ""

    def __repr__(self) -> str:  # the secret never reaches a log or a report
        return f"SuiteIdentity(user_name={self.user_name!r}, access_key_id={self.access_key_id!r})"


def policy_document() -> dict:
    return json.loads(SUITE_POLICY.read_text())


def create(root: Target) -> SuiteIdentity:
    """An IAM user holding exactly the suite policy, and its access key."""
    iam = root.client("iam")
    name = f"capstone-suite-{uuid.uuid4().hex[:8]}"
    iam.create_user(UserName=name, Tags=[{"Key": "capstone:role", "Value": "suite-identity"}])
    try:
        iam.put_user_policy(UserName=name, PolicyName=POLICY_NAME, PolicyDocument=json.dumps(policy_document()))
        key = iam.create_access_key(UserName=name)["AccessKey"]
    except Exception:
        delete(root, SuiteIdentity(name, ""))
        raise
    return SuiteIdentity(name, key["AccessKeyId"], key["SecretAccessKey"])


def delete(root: Target, identity: SuiteIdentity) -> None:
    """Remove the user, its key and its policy; idempotent."""
    iam = root.client("iam")
    try:
        for key in iam.list_access_keys(UserName=identity.user_name)["AccessKeyMetadata"]:
            iam.delete_access_key(UserName=identity.user_name, AccessKeyId=key["AccessKeyId"])
        for policy in iam.list_user_policies(UserName=identity.user_name)["PolicyNames"]:
            iam.delete_user_policy(UserName=identity.user_name, PolicyName=policy)
        iam.delete_user(UserName=identity.user_name)
    except iam.exceptions.NoSuchEntityException:
        pass


def target_as(root: Target, identity: SuiteIdentity) -> Target:
    """The same endpoint and region, signed with the suite identity's key."""
    return Target(root.name, root.region, root.endpoint_url,
                  credentials=(identity.access_key_id, identity.secret_access_key))
