"""Secrets Manager's door: secret values in moto's Secrets Manager backend.

GetSecretValue is authorized as secretsmanager:GetSecretValue on the secret's full ARN (with
its random suffix), whether the caller named the secret by name, partial or full ARN.
"""
from __future__ import annotations

from dataclasses import dataclass

from localcloud.moto_contract import MotoContract, errors_of, moto_errors
from localcloud.principal import Principal
from localcloud.secretsmanager import exceptions

_ERRORS = errors_of(exceptions)


@dataclass(frozen=True)
class SecretValue:
    arn: str
    name: str
    secret_string: str | None   # None for a binary secret
    version_id: str
    secret_binary: bytes | None = None


class SecretsManagerContract(MotoContract):
    action_prefix = "secretsmanager"

    def _backend(self, region: str | None):
        from moto.secretsmanager.models import secretsmanager_backends

        return secretsmanager_backends[self.account_id][self._region(region)]

    def get_secret_value(self, principal: Principal, secret_id: str, version_id: str | None = None,
                         version_stage: str | None = None, region: str | None = None) -> SecretValue:
        if secret_id.startswith("arn:"):
            region = secret_id.split(":")[3]
        backend = self._backend(region)
        secret = backend.secrets.get(secret_id)  # by name, full or partial ARN, as moto resolves it
        self._authorize(principal, "GetSecretValue", secret.arn if secret is not None else self._arn(secret_id, region))
        with moto_errors(_ERRORS):
            found = backend.get_secret_value(secret_id, version_id, version_stage)
        binary = found.get("SecretBinary")
        return SecretValue(arn=found["ARN"], name=found["Name"], secret_string=found.get("SecretString"),
                           version_id=found["VersionId"],
                           secret_binary=binary.encode() if isinstance(binary, str) else binary)

    def _arn(self, secret_id: str, region: str | None) -> str:
        """What the request names when no secret matches: its ARN, or one without the suffix."""
        if secret_id.startswith("arn:"):
            return secret_id
        return f"arn:aws:secretsmanager:{self._region(region)}:{self.account_id}:secret:{secret_id}"
