"""Least privilege, shown: per role the environment created, the actions its identity policies
grant, the actions its sessions were allowed during the run, the ones they were refused, and the
grants nothing used.

    granted     the action patterns of the role's Allow statements, inline and attached (read with
                the IAM API: ListRolePolicies/GetRolePolicy, ListAttachedRolePolicies/GetPolicy/
                GetPolicyVersion, so the same code reads a live role)
    used        distinct actions a session of the role (`arn:aws:sts::ACCT:assumed-role/ROLE/*`)
                was allowed, from the target's authorization log
    denied      distinct actions such a session was refused
    never_used  granted patterns that no used action matches (IAM's wildcard matching)

Whether the target records authorization decisions is the target's to say
(`Target.authorizations`): localcloud does; live AWS keeps no log the suite can read, and the
report says so instead of showing empty lists as if nothing was used.

Only ARNs, policy names and action names are kept: never a session's name, credentials, a
resource of a decision or anything of a request.
"""
from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any, Iterable
from urllib.parse import unquote

from capstone.builders.iam import ROLE

NOT_RECORDED_LIVE = ("not recorded live: AWS keeps no log of authorization decisions the suite can read; "
                     "use IAM last-accessed information (GenerateServiceLastAccessedDetails, the role's "
                     "Last Accessed tab) or CloudTrail")
SOURCE = "the target's authorization log (localcloud: GET /_localcloud/iam/authorizations)"


# -- matching --------------------------------------------------------------------------------
@lru_cache(maxsize=4096)
def _compiled(pattern: str) -> re.Pattern:
    # IAM action wildcards are `*` (any run of characters) and `?` (one character) only, and
    # action names are case-insensitive. Written here rather than with fnmatch, whose `[...]`
    # classes IAM does not have (and capstone must not import localcloud's evaluator).
    # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(body, re.IGNORECASE | re.DOTALL)


def action_matches(pattern: str, action: str) -> bool:
    """Whether the IAM action pattern `pattern` (`s3:Get*`, `*`) covers `action` (`s3:GetObject`)."""
    return _compiled(pattern).fullmatch(action) is not None


# -- policies --------------------------------------------------------------------------------
def _listed(value: Any) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _document(value: Any) -> dict:
    # boto3 hands IAM's policy documents over decoded; a raw API answer is URL-encoded JSON
    if isinstance(value, str):
        value = json.loads(unquote(value))
    return value if isinstance(value, dict) else {}


def allowed_patterns(document: Any) -> tuple[list[str], list[str]]:
    """(Action patterns, NotAction patterns) of the document's Allow statements, in order, once each.
    A NotAction grant is everything but its list: it cannot be shown as used or unused."""
    actions: list[str] = []
    not_actions: list[str] = []
    for statement in _listed(_document(document).get("Statement")):
        if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
            continue
        for pattern in _listed(statement.get("Action")):
            if pattern not in actions:
                actions.append(str(pattern))
        for pattern in _listed(statement.get("NotAction")):
            if pattern not in not_actions:
                not_actions.append(str(pattern))
    return actions, not_actions


def read_role(iam, role_name: str) -> dict[str, Any]:
    """The role as its identity policies grant it, through the IAM API:
    {"role", "arn", "trusted_by", "policies": [{"policy", "kind", "arn"?, "document"}]}."""
    role = iam.get_role(RoleName=role_name)["Role"]
    trusted_by = sorted({str(s) for st in _listed(_document(role.get("AssumeRolePolicyDocument")).get("Statement"))
                         if isinstance(st, dict) for s in _listed((st.get("Principal") or {}).get("Service"))})
    policies = []
    for page in iam.get_paginator("list_role_policies").paginate(RoleName=role_name):
        for name in page.get("PolicyNames", []):
            document = iam.get_role_policy(RoleName=role_name, PolicyName=name)["PolicyDocument"]
            policies.append({"policy": name, "kind": "inline", "document": _document(document)})
    for page in iam.get_paginator("list_attached_role_policies").paginate(RoleName=role_name):
        for attached in page.get("AttachedPolicies", []):
            arn = attached["PolicyArn"]
            version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
            document = iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]
            policies.append({"policy": attached.get("PolicyName") or arn.rsplit("/", 1)[-1], "kind": "attached",
                             "arn": arn, "document": _document(document)})
    return {"role": role_name, "arn": role["Arn"], "trusted_by": trusted_by, "policies": policies}


# -- the log ---------------------------------------------------------------------------------
def session_role(principal: str) -> str | None:
    """The role name of an assumed-role session ARN (`arn:aws:sts::ACCT:assumed-role/ROLE/SESSION`),
    else None (a service acting as itself, a user, the account)."""
    parts = str(principal).split(":", 5)
    if len(parts) != 6 or parts[2] != "sts":
        return None
    resource = parts[5].split("/")
    return resource[1] if len(resource) >= 3 and resource[0] == "assumed-role" else None


def _account(arn: str) -> str | None:
    parts = str(arn).split(":")
    return parts[4] if len(parts) > 4 else None


def role_report(role: dict[str, Any], decisions: Iterable[dict] | None,
                note: str | None = NOT_RECORDED_LIVE) -> dict[str, Any]:
    """One role's least-privilege record from what read_role() gave and the run's decisions
    ({"principal", "action", "allowed", ...}); `decisions` None: there are none to show (live
    AWS records none; or the log could not be read), and `note` says why."""
    granted: list[str] = []
    not_actions: list[str] = []
    policies = []
    for policy in role.get("policies", []):
        actions, excepted = allowed_patterns(policy.get("document"))
        granted += [a for a in actions if a not in granted]
        not_actions += [a for a in excepted if a not in not_actions]
        policies.append({k: policy[k] for k in ("policy", "kind", "arn") if policy.get(k)} | {"granted": actions})
    report: dict[str, Any] = {"role": role["role"], "arn": role.get("arn"), "trusted_by": role.get("trusted_by", []),
                              "policies": policies, "granted": granted, "not_actions": not_actions}
    if decisions is None:
        return {**report, "used": None, "denied": None, "never_used": None, "used_not_granted": None,
                "decisions": None, "note": note}
    account = _account(role.get("arn") or "")
    used: set[str] = set()
    denied: set[str] = set()
    count = 0
    for decision in decisions:
        principal = str(decision.get("principal", ""))
        if session_role(principal) != role["role"] or (account and _account(principal) != account):
            continue
        count += 1
        (used if decision.get("allowed") else denied).add(str(decision.get("action")))
    for policy in policies:
        policy["never_used"] = [p for p in policy["granted"] if not any(action_matches(p, a) for a in used)]
    return {**report, "used": sorted(used, key=str.lower), "denied": sorted(denied, key=str.lower),
            "never_used": [p for p in granted if not any(action_matches(p, a) for a in used)],
            # allowed though no Action pattern grants it: only where the target does not enforce,
            # or through a NotAction grant; live, such a call would be refused
            "used_not_granted": sorted((a for a in used if not any(action_matches(p, a) for p in granted)), key=str.lower),
            "decisions": count, "note": None}


# -- one environment -------------------------------------------------------------------------
def role_names(ledger_entries: Iterable[dict]) -> list[str]:
    """The roles an environment created, in creation order (entries its create call filled in)."""
    return [e["name"] for e in ledger_entries if e.get("type") == ROLE and (e.get("arn") or e.get("id"))]


def mark(target) -> int | None:
    """Where the target's authorization log stands now (None: it keeps none, or did not answer)."""
    try:
        return target.authorizations_mark()
    except Exception:  # a mark is a nicety: without it the whole log is read, filtered by role
        return None


def collect(target, roles: Iterable[str], since: int | None) -> dict[str, Any]:
    """The least-privilege record of one environment's roles; never raises (a role or a log that
    cannot be read is listed under "errors", and the audit shows the record as incomplete)."""
    errors: list[str] = []
    recorded, log, unread = target.records_authorizations, None, None
    if recorded:
        try:
            log = target.authorizations(since or 0)
        except Exception as exc:  # noqa: BLE001 -- the report says what could not be read
            unread = f"the authorization log could not be read: {type(exc).__name__}: {str(exc)[:300]}"
            errors.append(unread)
    decisions = log.decisions if log is not None else None
    note = NOT_RECORDED_LIVE if not recorded else unread
    reports = []
    iam = target.client("iam")
    for name in roles:
        try:
            role = read_role(iam, name)
        except Exception as exc:  # noqa: BLE001
            errors.append(f"role {name}: its policies could not be read: {type(exc).__name__}: {str(exc)[:300]}")
            continue
        reports.append(role_report(role, decisions, note=note))
    entry: dict[str, Any] = {"recorded": recorded, "source": SOURCE if recorded else None,
                             "note": None if recorded else NOT_RECORDED_LIVE, "since": since, "roles": reports,
                             "errors": errors}
    if log is not None:
        entry.update(last_sequence=log.last_sequence, dropped=log.dropped)
        if log.dropped:
            errors.append(f"the log no longer keeps {log.dropped} decision(s) of this run (its bound): "
                          "'used' may miss actions")
        if since is None:
            errors.append("where this run's decisions start was not marked: the whole log was read, "
                          "filtered by role name")
    return entry
