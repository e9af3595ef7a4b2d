"""The build's configuration and secret: an SSM parameter and a Secrets Manager secret that the
buildspec reads into its environment (CodeBuild masks both in its logs). Values are random per
run and never printed; they are registered with the evidence so every report scrubs them."""
from __future__ import annotations

import secrets as _random

from capstone import evidence
from capstone.builders.context import BuildContext
from capstone.retry import call, is_not_found

NAME = "secrets"
PARAMETER = "ssm:parameter"
SECRET = "secretsmanager:secret"
TYPES = (PARAMETER, SECRET)


def _register(value: str) -> None:
    register = getattr(evidence, "register_secret", None)  # provided by the evidence helper
    if register is not None:
        register(value)


def create(ctx: BuildContext) -> None:
    n = ctx.names
    ssm = ctx.client("ssm")
    greeting = f"greeting-{_random.token_hex(8)}"
    _register(greeting)
    entry = ctx.record(PARAMETER, n.ssm_parameter, builder=NAME)
    ssm.put_parameter(Name=n.ssm_parameter, Value=greeting, Type="String", Tags=ctx.tag_list(),
                      Description=f"capstone {n.prefix}: read by the build (masked in its log)")
    ctx.created(entry, arn=n.arn("ssm", f"parameter{n.ssm_parameter}"))

    sm = ctx.client("secretsmanager")
    api_key = _random.token_urlsafe(24)
    _register(api_key)
    entry = ctx.record(SECRET, n.secret, builder=NAME)
    out = sm.create_secret(Name=n.secret, SecretString=api_key, Tags=ctx.tag_list(),
                           Description=f"capstone {n.prefix}: read by the build (masked in its log)")
    ctx.created(entry, arn=out["ARN"])
    ctx.outputs["secret_arn"] = out["ARN"]


def delete(ctx: BuildContext, record: dict) -> None:
    try:
        if record["type"] == PARAMETER:
            call(ctx.client("ssm").delete_parameter, Name=record["name"], what=f"delete parameter {record['name']}")
        else:
            call(ctx.client("secretsmanager").delete_secret, SecretId=record.get("arn") or record["name"],
                 ForceDeleteWithoutRecovery=True, what=f"delete secret {record['name']}")
    except Exception as exc:
        if not is_not_found(exc):
            raise
