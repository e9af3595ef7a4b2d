"""Parameter Store's door: parameters in moto's SSM backend.

GetParameters is authorized as ssm:GetParameters on each parameter's ARN
(`arn:aws:ssm:REGION:ACCOUNT:parameter/NAME`, the name without its leading slash and without a
`:version` or `:label` selector).
"""
from __future__ import annotations

from localcloud.moto_contract import MotoContract, errors_of, moto_errors
from localcloud.principal import Principal
from localcloud.ssm import exceptions
from localcloud.ssm.exceptions import ValidationException

_ERRORS = errors_of(exceptions)
MAX_NAMES = 10


class SSMContract(MotoContract):
    action_prefix = "ssm"

    def _backend(self, region: str | None):
        from moto.ssm.models import ssm_backends

        return ssm_backends[self.account_id][self._region(region)]

    def parameter_arn(self, name: str, region: str | None = None) -> str:
        if name.startswith("arn:"):
            return ":".join(name.split(":")[:6])  # drop a selector after the ARN's six fields
        base = name.split(":", 1)[0]
        return f"arn:aws:ssm:{self._region(region)}:{self.account_id}:parameter/{base.lstrip('/')}"

    def get_parameters(self, principal: Principal, names: list[str], with_decryption: bool = False,
                       region: str | None = None) -> tuple[dict[str, str], list[str]]:
        """({name as asked: value}, [names that do not exist]), as GetParameters answers: a
        name may carry a selector (`name:3` a version, `name:label` a label); a selector that
        matches no version makes the name invalid, as on AWS."""
        if len(names) > MAX_NAMES:
            raise ValidationException(
                f"1 validation error detected: Value '[{', '.join(names)}]' at 'names' failed to satisfy "
                f"constraint: Member must have length less than or equal to {MAX_NAMES}.")
        for name in dict.fromkeys(names):
            self._authorize(principal, "GetParameters", self.parameter_arn(name, region))
        with moto_errors(_ERRORS):
            found = self._backend(region).get_parameters(list(names))
        values = {name: (p.decrypt(p.value) if with_decryption else p.value) for name, p in found.items()}
        invalid = [name for name in dict.fromkeys(names) if name not in values]
        return values, invalid
