"""The least-privilege lint of an IAM identity policy, offline, with parliament (it ships its own
action database): a finding above LOW, or `Resource: "*"` where the action supports
resource-level permissions (parliament's RESOURCE_STAR, LOW in parliament but exactly what least
privilege forbids), is refused, and so is an Allow of every action, which parliament does not
report (wildcard_grants).

Used by the project's test of every policy the suite creates (tests/capstone/test_iam_lint.py)
and by `capstone verify` on the roles of a pipeline built elsewhere (capstone/verify/checks.py).
parliament imports `pkg_resources`, which the pinned setuptools still provides (setuptools 81
drops it; requirements.in says so).
"""
from __future__ import annotations

import json
import warnings
from typing import Any

ALLOWED = {"LOW"}
ALWAYS_REFUSED = {"RESOURCE_STAR"}


def _parliament():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "pkg_resources is deprecated"
        import parliament
    return parliament


def _listed(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def wildcard_grants(document: dict) -> list[tuple[str, str, Any]]:
    """What parliament lets through: an Allow of every action (`"Action": "*"`) or of everything
    but some (`NotAction`), which parliament does not expand into actions and so never reports.
    Refused here as ALLOW_ALL_ACTIONS (HIGH)."""
    out = []
    for statement in _listed(document.get("Statement")):
        if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
            continue
        if "*" in _listed(statement.get("Action")):
            out.append(("ALLOW_ALL_ACTIONS", "HIGH", {"Action": "*", "Resource": statement.get("Resource")}))
        elif "NotAction" in statement:
            out.append(("ALLOW_ALL_ACTIONS", "HIGH", {"NotAction": statement["NotAction"]}))
    return out


def findings(document: str | dict) -> list[tuple[str, str, Any]]:
    """(issue, severity, detail) of every finding the lint refuses in one policy document."""
    parliament = _parliament()
    text = document if isinstance(document, str) else json.dumps(document)
    out = wildcard_grants(json.loads(text))
    for finding in parliament.analyze_policy_string(text).findings:
        severity = parliament.config.get(finding.issue, {}).get("severity", "UNKNOWN")
        if severity not in ALLOWED or finding.issue in ALWAYS_REFUSED:
            out.append((finding.issue, severity, finding.detail))
    return out
