"""localcloud's STS over HTTP: AssumeRole goes through STS's door (contract.py), so a caller
gets a role session only when the role's trust policy names it, as on AWS; every other STS
operation is moto's.

Without this, `aws sts assume-role` reached moto, which hands out any role's credentials to
anyone. What AssumeRole takes and localcloud cannot honour (session policies, session tags, MFA,
source identity) is refused by name rather than accepted and ignored: a session policy narrows
what the session may do, so ignoring it would make an offline run more permissive than AWS.
Source: https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html
"""
from __future__ import annotations

import re
from xml.sax.saxutils import escape

from localcloud.aws import RequestContext
from localcloud.principal import Principal
from localcloud.provider import Provider
from localcloud.sts.exceptions import ValidationError

NAMESPACE = "https://sts.amazonaws.com/doc/2011-06-15/"
SESSION_NAME = re.compile(r"^[\w+=,.@-]{2,64}$")
EXTERNAL_ID = re.compile(r"^[\w+=,.@:/-]{2,1224}$")
# AssumeRole's request members (botocore's sts model) that localcloud does not emulate
NOT_EMULATED = {
    "Policy": "session policies",
    "PolicyArns": "session policies",
    "Tags": "session tags",
    "TransitiveTagKeys": "session tags",
    "SerialNumber": "MFA",
    "TokenCode": "MFA",
    "SourceIdentity": "source identity",
    "ProvidedContexts": "trusted context providers",
}


def _constraint(value: str, member: str, constraint: str) -> ValidationError:
    return ValidationError(f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy "
                           f"constraint: {constraint}")


def _assume_role_input(params: dict) -> tuple[str, str, int, str | None]:
    for key in params:
        member = key.split(".", 1)[0]
        if member in NOT_EMULATED:
            raise ValidationError(f"localcloud does not emulate {NOT_EMULATED[member]} on AssumeRole "
                                  f"({member}); call AssumeRole without it")
    role_arn, session_name = params.get("RoleArn"), params.get("RoleSessionName")
    if role_arn is None or session_name is None:
        missing = "roleArn" if role_arn is None else "roleSessionName"
        raise ValidationError(f"1 validation error detected: Value null at '{missing}' failed to satisfy "
                              "constraint: Member must not be null")
    if not 20 <= len(role_arn) <= 2048:
        raise _constraint(role_arn, "roleArn", "Member must have length greater than or equal to 20")
    if not SESSION_NAME.match(session_name):
        raise _constraint(session_name, "roleSessionName",
                          "Member must satisfy regular expression pattern: [\\w+=,.@-]* and length 2 to 64")
    try:
        duration = int(params.get("DurationSeconds", 3600))
    except ValueError:
        raise ValidationError(f"Value '{params['DurationSeconds']}' for DurationSeconds is not an integer") from None
    external_id = params.get("ExternalId")
    if external_id is not None and not EXTERNAL_ID.match(external_id):
        raise _constraint(external_id, "externalId",
                          "Member must satisfy regular expression pattern: [\\w+=,.@:\\/-]* and length 2 to 1224")
    return role_arn, session_name, duration, external_id


class STSProvider(Provider):
    service = "sts"

    def operations(self):
        return {"AssumeRole": self.assume_role}

    def assume_role(self, params: dict, ctx: RequestContext) -> str:
        role_arn, session_name, duration, external_id = _assume_role_input(params)
        caller = ctx.principal or Principal.root(ctx.account_id)
        session = self.cloud.services.sts.assume_role(caller, role_arn, session_name, duration,
                                                      external_id=external_id)
        creds = session.credentials
        # AWS's form, milliseconds kept: 2011-07-15T23:28:33.359Z
        expiration = creds.expiration.strftime("%Y-%m-%dT%H:%M:%S.") + f"{creds.expiration.microsecond // 1000:03d}Z"
        return (
            f'<AssumeRoleResponse xmlns="{NAMESPACE}"><AssumeRoleResult>'
            f"<AssumedRoleUser><AssumedRoleId>{escape(session.assumed_role_id)}</AssumedRoleId>"
            f"<Arn>{escape(session.principal.arn)}</Arn></AssumedRoleUser>"
            f"<Credentials><AccessKeyId>{creds.access_key_id}</AccessKeyId>"
            f"<SecretAccessKey>{escape(creds.secret_access_key)}</SecretAccessKey>"
            f"<SessionToken>{escape(creds.session_token)}</SessionToken>"
            f"<Expiration>{expiration}</Expiration></Credentials>"
            f"</AssumeRoleResult>"
            f"<ResponseMetadata><RequestId>{ctx.request_id}</RequestId></ResponseMetadata></AssumeRoleResponse>"
        )


def create(cloud) -> STSProvider:
    return STSProvider(cloud)
