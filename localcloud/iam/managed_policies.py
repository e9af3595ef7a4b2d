"""AWS managed policies, parsed once per process and copied into each IAM backend.

moto builds its ~1,500 AWS managed policies from JSON every time it creates an IAM backend,
and a reset creates one per account and partition: over a second per reset, most of a test
suite's time when it resets between tests. Here they are built once per account, and each new
backend gets shallow copies (so an attachment count on one backend never shows on another;
AWS's own policies have no versions a caller can change). Partitions other than `aws` get
none: localcloud answers for one partition only.
"""
from __future__ import annotations

import copy
import json
import threading

from localcloud.moto_patch import wrap_method

_templates: dict[str, list] = {}
_lock = threading.Lock()


def _template(account_id: str, region_name: str) -> list:
    with _lock:
        if account_id not in _templates:
            from moto.iam.aws_managed_policies import aws_managed_policies_data
            from moto.iam.models import AWSManagedPolicy

            _templates[account_id] = [AWSManagedPolicy.from_data(name, account_id, region_name, data)
                                      for name, data in json.loads(aws_managed_policies_data).items()]
        return _templates[account_id]


def _copies(original, backend):
    from moto.settings import load_iam_aws_managed_policies

    if not load_iam_aws_managed_policies():
        return []
    if backend.partition != "aws":
        return []
    fresh = []
    for policy in _template(backend.account_id, backend.region_name):
        clone = copy.copy(policy)
        clone.versions = list(policy.versions)
        fresh.append(clone)
    return fresh


def install() -> None:
    from moto.iam.models import IAMBackend

    wrap_method(IAMBackend, "_init_aws_policies", _copies, tag="shared_managed_policies")
