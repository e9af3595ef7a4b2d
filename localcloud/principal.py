"""Who is acting: the identity AWS would evaluate a call against.

Every call through a service's door (its contract.py) names the principal it is made as: the
role a service acts as (CodePipeline's service role, CodeBuild's, CodeDeploy's, an instance
profile's role, an EventBridge target's role), a service itself where AWS acts without a role
(CodeCommit emitting its events), or the caller of the API request that led to it.
"""
from __future__ import annotations

from dataclasses import dataclass

from localcloud.aws import DEFAULT_ACCOUNT_ID


@dataclass(frozen=True)
class Principal:
    #: `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`, `arn:aws:iam::ACCOUNT:root`, or the
    #: service's name (`codecommit.amazonaws.com`) for a service acting as itself.
    arn: str
    account_id: str
    #: "root" | "user" | "assumed-role" | "service"
    kind: str
    #: the role's own ARN (`arn:aws:iam::ACCOUNT:role/PATH/NAME`) for an assumed role
    role_arn: str | None = None
    session_name: str | None = None
    #: an IAM user's name (its ARN is `arn`)
    user_name: str | None = None

    @classmethod
    def root(cls, account_id: str = DEFAULT_ACCOUNT_ID) -> "Principal":
        return cls(arn=f"arn:aws:iam::{account_id}:root", account_id=account_id, kind="root")

    @classmethod
    def service(cls, name: str, account_id: str = DEFAULT_ACCOUNT_ID) -> "Principal":
        """A service acting as itself (no role), e.g. `codecommit.amazonaws.com`."""
        return cls(arn=name, account_id=account_id, kind="service")

    @classmethod
    def assumed_role(cls, role_arn: str, session_name: str) -> "Principal":
        """The session a service opens on `role_arn` (`arn:aws:iam::ACCT:role/path/name`)."""
        account_id = role_arn.split(":")[4]
        name = role_arn.rsplit("/", 1)[-1]
        return cls(arn=f"arn:aws:sts::{account_id}:assumed-role/{name}/{session_name}", account_id=account_id,
                   kind="assumed-role", role_arn=role_arn, session_name=session_name)

    @classmethod
    def user(cls, user_arn: str, user_name: str) -> "Principal":
        """An IAM user, acting with its own access key."""
        return cls(arn=user_arn, account_id=user_arn.split(":")[4], kind="user", user_name=user_name)

    @property
    def evaluated(self) -> bool:
        """Whether IAM evaluates this principal's identity policies: a role session or a user.
        The account's root and services acting as themselves are not restricted by them."""
        return self.kind in ("assumed-role", "user")

    @property
    def is_service(self) -> bool:
        return self.kind == "service"

    def __str__(self) -> str:
        return self.arn
