"""STS's door: AssumeRole, with the trust-policy check STS makes, and credentials from moto.

Authorized as sts:AssumeRole on the role's ARN. A role that does not exist and a role whose
trust policy does not name the caller are refused alike (STS tells the two apart to nobody).
STS reads the role through IAM's door as the caller sees it: for a service, a role created less
than the propagation delay ago does not exist yet (iam/propagation.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from localcloud.aws import DEFAULT_ACCOUNT_ID, DEFAULT_REGION
from localcloud.iam.contract import IAMContract
from localcloud.issued import ISSUED
from localcloud.moto_contract import MotoContract
from localcloud.principal import Principal
from localcloud.sts import trust
from localcloud.sts.exceptions import AccessDenied, ValidationError

MIN_DURATION = 900

# A resource policy names its principals as a trust policy does (Principal, conditions): the SNS
# door evaluates a topic's policy for a service publishing to it with the same code.
resource_policy_allows = trust.allows


@dataclass(frozen=True)
class Credentials:
    access_key_id: str          # ASIA...: temporary credentials
    secret_access_key: str
    session_token: str
    expiration: datetime        # UTC


@dataclass(frozen=True)
class AssumedRole:
    principal: Principal        # the session: arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION
    credentials: Credentials
    assumed_role_id: str = ""   # ROLEID:SESSION (AROA...:name), as AssumedRoleUser reports it


class STSContract(MotoContract):
    action_prefix = "sts"

    def __init__(self, authorizer, account_id: str = DEFAULT_ACCOUNT_ID, default_region: str = DEFAULT_REGION,
                 iam: IAMContract | None = None):
        super().__init__(authorizer, account_id, default_region)
        self._iam = iam or IAMContract(authorizer, account_id, default_region)

    def assume_role(self, principal: Principal, role_arn: str, session_name: str,
                    duration_seconds: int = 3600, external_id: str | None = None,
                    source_arn: str | None = None) -> AssumedRole:
        """`source_arn`: for a service, the resource it assumes the role for (the CodeBuild
        project, the pipeline, the rule), which a trust policy may name as `aws:SourceArn`."""
        self._authorize(principal, "AssumeRole", role_arn)
        denied = AccessDenied(f"User: {principal.arn} is not authorized to perform: sts:AssumeRole on resource: {role_arn}")
        role = self._iam.role_for_sts(principal, role_arn)
        if role is None:
            raise denied
        if not trust.allows(role.assume_role_policy, principal, context=self._trust_context(
                principal, session_name, external_id, source_arn)):
            raise denied
        if not MIN_DURATION <= duration_seconds <= role.max_session_duration:
            raise ValidationError(
                "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
                if duration_seconds > role.max_session_duration else
                f"1 validation error detected: Value '{duration_seconds}' at 'durationSeconds' failed to satisfy "
                f"constraint: Member must have value greater than or equal to {MIN_DURATION}")
        from moto.sts.models import sts_backends

        session = sts_backends[self.account_id]["aws"].assume_role(
            region_name=self.default_region, role_session_name=session_name, role_arn=role.arn,
            policy=None, duration=duration_seconds, external_id=None)
        ISSUED.add("role session secret key", session.secret_access_key)
        ISSUED.add("role session token", session.session_token)
        expiration = session.expiration
        if expiration.tzinfo is None:
            expiration = expiration.replace(tzinfo=timezone.utc)
        return AssumedRole(
            principal=Principal.assumed_role(role.arn, session_name),
            credentials=Credentials(session.access_key_id, session.secret_access_key, session.session_token, expiration),
            assumed_role_id=f"{role.role_id}:{session_name}",
        )

    @staticmethod
    def _trust_context(principal: Principal, session_name: str, external_id: str | None,
                       source_arn: str | None) -> dict[str, object]:
        """The condition keys STS knows when it evaluates a trust policy (sts/trust.py)."""
        context: dict[str, object] = {"sts:RoleSessionName": session_name}
        if principal.is_service:
            context["aws:SourceAccount"] = principal.account_id
            if source_arn:
                context["aws:SourceArn"] = source_arn
        else:
            context.update({"aws:PrincipalArn": principal.role_arn or principal.arn,
                            "aws:PrincipalAccount": principal.account_id,
                            "aws:PrincipalType": {"assumed-role": "AssumedRole", "user": "User",
                                                  "root": "Account"}.get(principal.kind, principal.kind)})
        if external_id is not None:
            context["sts:ExternalId"] = external_id
        return context
