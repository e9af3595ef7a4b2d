"""IAM's eventual consistency: what the services see of a change, `propagation_delay` after it.

AWS documents that IAM is eventually consistent: a change to a role or a policy "takes time to
become visible from all possible endpoints", so a role just created may not be assumable yet and
a permission just granted (or removed) may not apply yet; nothing says how long
(https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_general.html#troubleshoot_general_eventual-consistency).
With `Settings.iam.propagation_delay` above 0, localcloud reproduces that for the services and
role sessions:

- the **record** (`PropagationRecord`, one per process as moto's backends are) keeps, for each
  IAM fact, when it changed and what it was before: a role (its existence and trust policy), a
  role's inline policies, its attached managed policies, a managed policy's default version,
  an instance profile's roles;
- the **view** (`IAMView`) answers as of `delay` ago: STS does not find a role created less than
  the delay ago, a role session is evaluated against its policies as they were then, and an
  instance profile's role is not there yet for the metadata service.

The account's own calls (GetRole and the other IAM API reads, over HTTP or through IAM's door as
root or a user) see every change at once (`IAMView.as_seen_by`): on AWS the IAM endpoint that
took a write answers that caller's reads with it in practice, and it is the services, reading
replicated copies, that lag.

The record is filled by hooks on moto's IAMBackend (moto_patch.wrap_method), not at the HTTP
door: IAM's API is answered by moto itself, and a model-level hook sees every path into the
model (the API, a test's in-process call, a future door operation) with the state right before
and right after, so no request parsing is duplicated here.

Not lagged: deleting a policy version or a managed policy (AWS refuses to delete what is
attached or default), permission boundaries (not evaluated at all), users and groups (no
service acts as them).
"""
from __future__ import annotations

import inspect
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable

from localcloud.iam.roles import RoleInfo, role_info
from localcloud.moto_patch import wrap_method
from localcloud.principal import Principal

# The kinds of fact, each keyed (account id, kind, name): the value kept per kind is
ROLE = "role"                    # RoleInfo, or None while the role does not exist
INLINE = "inline"                # {policy name: document} of a role
ATTACHED = "attached"            # tuple of the managed policy ARNs attached to a role
DEFAULT_VERSION = "default"      # the document of a managed policy's default version (by ARN), or None
PROFILE = "instance-profile"     # tuple of role names in an instance profile, or None while it does not exist

Key = tuple[str, str, str]


@dataclass(frozen=True)
class Change:
    at: float        # time.monotonic() when it became true
    before: Any
    after: Any


class PropagationRecord:
    """When each IAM fact changed, and from what. Entries older than the longest delay any view
    asks with are dropped (every view sees them already), so a long-running cloud stays small."""

    #: full sweeps of every key happen once per this many changes (a key is pruned on its own writes)
    SWEEP_EVERY = 500

    def __init__(self, now: Callable[[], float] = time.monotonic):
        self._now = now
        self._lock = threading.Lock()
        self._changes: dict[Key, list[Change]] = {}
        self._keep = 0.0
        self._writes = 0

    def now(self) -> float:
        return self._now()

    def keep_for(self, seconds: float) -> None:
        """A view sees `seconds` into the past: keep at least that much history."""
        if seconds > self._keep:
            with self._lock:
                self._keep = max(self._keep, seconds)

    def changed(self, key: Key, before: Any, after: Any) -> None:
        if before == after:
            return
        with self._lock:
            at = self._now()
            self._changes.setdefault(key, []).append(Change(at, before, after))
            self._writes += 1
            for swept in (list(self._changes) if self._writes % self.SWEEP_EVERY == 0 else [key]):
                self._prune(swept, at)

    def as_of(self, key: Key, at: float, current: Callable[[], Any]) -> Any:
        """The fact's value at time `at`; `current()` when nothing changed it since the history kept."""
        with self._lock:
            changes = list(self._changes.get(key, ()))
        if not changes:
            return current()
        value = changes[0].before
        for change in changes:
            if change.at > at:
                break
            value = change.after
        return value

    def changes(self, key: Key) -> list[Change]:
        with self._lock:
            return list(self._changes.get(key, ()))

    def clear(self) -> None:
        """Forget everything (moto's state was reset)."""
        with self._lock:
            self._changes.clear()

    def _prune(self, key: Key, now: float) -> None:
        # A change older than every view's delay is seen by all of them: its `after` is the
        # next change's `before` (or the current state), so it can go.
        changes = self._changes.get(key)
        horizon = now - self._keep
        while changes and changes[0].at < horizon:
            changes.pop(0)
        if not changes:
            self._changes.pop(key, None)


#: the process's record: moto keeps IAM in module globals, so one record serves every LocalCloud
RECORD = PropagationRecord()


# -- reading moto's IAM ---------------------------------------------------------------------------
def _backend(account_id: str):
    from moto.iam.models import iam_backends

    return iam_backends[account_id]["aws"]


def _role(backend, name: str):
    try:
        return backend.get_role(name)
    except Exception:  # moto's NotFoundException: no such role
        return None


def read(backend, kind: str, name: str) -> Any:
    """The current value of one fact in moto's IAM backend."""
    if kind == PROFILE:
        profile = backend.instance_profiles.get(name)
        return None if profile is None else tuple(r.name for r in profile.roles)
    if kind == DEFAULT_VERSION:
        policy = backend.managed_policies.get(name)
        version = None if policy is None else next((v for v in policy.versions if v.is_default), None)
        return None if version is None else version.document
    role = _role(backend, name)
    if kind == ROLE:
        return None if role is None else role_info(role)
    if kind == INLINE:
        return {} if role is None else dict(role.policies)
    if kind == ATTACHED:
        return () if role is None else tuple(role.managed_policies)
    raise ValueError(f"unknown IAM fact {kind!r}")


# -- the hooks on moto's IAMBackend: which facts each write changes, by its argument ---------------
_WRITES: dict[str, tuple[str, str]] = {
    "create_role": (ROLE, "role_name"),
    "delete_role": (ROLE, "role_name"),
    "update_assume_role_policy": (ROLE, "role_name"),
    "update_role": (ROLE, "role_name"),                       # MaxSessionDuration
    "put_role_policy": (INLINE, "role_name"),
    "delete_role_policy": (INLINE, "role_name"),
    "attach_role_policy": (ATTACHED, "role_name"),
    "detach_role_policy": (ATTACHED, "role_name"),
    "create_policy_version": (DEFAULT_VERSION, "policy_arn"),  # with SetAsDefault
    "set_default_policy_version": (DEFAULT_VERSION, "policy_arn"),
    "create_instance_profile": (PROFILE, "name"),
    "delete_instance_profile": (PROFILE, "name"),
    "add_role_to_instance_profile": (PROFILE, "profile_name"),
    "remove_role_from_instance_profile": (PROFILE, "profile_name"),
}
# one write at a time, so each change's `before` is the previous one's `after`
_WRITE_LOCK = threading.RLock()


def install(record: PropagationRecord = RECORD) -> None:
    """Record every IAM write the services will see late (idempotent: once per process)."""
    from moto.iam.models import IAMBackend

    for method, (kind, argument) in _WRITES.items():
        signature = inspect.signature(getattr(IAMBackend, method))

        def hook(original, backend, *args, _kind=kind, _argument=argument, _signature=signature, **kwargs):
            name = _signature.bind(backend, *args, **kwargs).arguments[_argument]
            key = (backend.account_id, _kind, name)
            with _WRITE_LOCK:
                before = read(backend, _kind, name)
                result = original(backend, *args, **kwargs)
                record.changed(key, before, read(backend, _kind, name))
            return result

        wrap_method(IAMBackend, method, hook, tag="iam_propagation")


# -- the view ----------------------------------------------------------------------------------
class IAMView:
    """IAM as the services and role sessions see it: `delay()` real seconds behind moto's state
    (0: the current state, read directly as before the record existed)."""

    def __init__(self, record: PropagationRecord = RECORD, delay: Callable[[], float] = lambda: 0.0):
        self._record = record
        self._delay = delay

    @property
    def delay(self) -> float:
        """Real seconds the view lags (the setting is read each time: tests may change it)."""
        return max(0.0, float(self._delay()))

    def as_seen_by(self, principal: Principal) -> "IAMView":
        """This view for a service or a role session; the current state for the account's own
        callers (root, users), whose IAM reads are read-after-write."""
        return self if principal.kind in ("service", "assumed-role") else LIVE

    def _at(self) -> float | None:
        delay = self.delay
        if delay <= 0:
            return None
        self._record.keep_for(delay)
        return self._record.now() - delay

    def _seen(self, at: float | None, backend, kind: str, name: str) -> Any:
        if at is None:
            return read(backend, kind, name)
        return self._record.as_of((backend.account_id, kind, name), at, lambda: read(backend, kind, name))

    # -- what the services ask -------------------------------------------------------------------
    def role_named(self, account_id: str, name: str) -> RoleInfo | None:
        return self._seen(self._at(), _backend(account_id), ROLE, name)

    def role(self, arn: str) -> RoleInfo | None:
        """The role a whole ARN names (path included), or None: not a role ARN, no such role, or
        one created too recently for this view."""
        parts = arn.split(":", 5)
        if len(parts) != 6 or parts[2] != "iam" or not parts[5].startswith("role/"):
            return None
        role = self.role_named(parts[4], parts[5].rsplit("/", 1)[-1])
        return role if role is not None and role.arn == arn else None

    def role_policies(self, role_arn: str) -> list:
        """The identity policies of a role as this view sees them: inline, then attached (each at
        its default version). None of them for a role this view does not see (all is denied)."""
        account, name = role_arn.split(":")[4], role_arn.rsplit("/", 1)[-1]
        backend, at = _backend(account), self._at()
        if at is None:  # the hot path of every enforced call: one role lookup
            role = _role(backend, name)
            if role is None:
                return []
            documents = list(role.policies.values())
            for attached in list(role.managed_policies.values()):
                default = next((v for v in attached.versions if v.is_default), None)
                if default is not None:
                    documents.append(default.document)
            return documents
        if self._seen(at, backend, ROLE, name) is None:
            return []
        documents = list(self._seen(at, backend, INLINE, name).values())
        for policy_arn in self._seen(at, backend, ATTACHED, name):
            document = self._seen(at, backend, DEFAULT_VERSION, policy_arn)
            if document is not None:
                documents.append(document)
        return documents

    def instance_profile_roles(self, account_id: str, profile_name: str) -> tuple[str, ...] | None:
        """The names of the roles in an instance profile, or None for a profile this view does not see."""
        return self._seen(self._at(), _backend(account_id), PROFILE, profile_name)


#: the current state, for the account's own callers
LIVE = IAMView(RECORD)
