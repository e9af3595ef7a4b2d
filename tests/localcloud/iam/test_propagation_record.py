"""The propagation record: what each IAM fact was at a given moment, from the changes moto's IAM
backend made (iam/propagation.py). Unit tests, on a hand-driven clock and on moto in-process."""
from __future__ import annotations

import json
import uuid

import pytest

from localcloud.iam import propagation
from localcloud.iam.propagation import ATTACHED, DEFAULT_VERSION, INLINE, PROFILE, ROLE, IAMView, PropagationRecord
from localcloud.principal import Principal

ACCOUNT = "123456789012"
KEY = (ACCOUNT, INLINE, "r")


class Clock:
    def __init__(self):
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def record(clock):
    return PropagationRecord(now=clock)


def test_a_fact_is_what_it_was_at_the_time_asked(record, clock):
    record.keep_for(10)
    record.changed(KEY, {}, {"p": "v1"})      # at 100
    clock.t = 105
    record.changed(KEY, {"p": "v1"}, {"p": "v2"})
    current = lambda: {"p": "v2"}
    assert record.as_of(KEY, 99, current) == {}            # before the first change: its `before`
    assert record.as_of(KEY, 100, current) == {"p": "v1"}
    assert record.as_of(KEY, 104.9, current) == {"p": "v1"}
    assert record.as_of(KEY, 105, current) == {"p": "v2"}


def test_a_fact_never_changed_is_read_from_the_current_state(record):
    assert record.as_of(KEY, 0, lambda: "now") == "now"


def test_no_change_is_not_recorded(record):
    record.changed(KEY, {"p": 1}, {"p": 1})
    assert record.changes(KEY) == []


def test_changes_older_than_the_longest_delay_are_dropped(record, clock):
    record.keep_for(5)
    record.changed(KEY, {}, {"p": 1})
    clock.t = 103
    record.changed(KEY, {"p": 1}, {"p": 2})
    assert len(record.changes(KEY)) == 2           # 3 s apart: a 5 s view still needs both
    clock.t = 110
    record.changed(KEY, {"p": 2}, {"p": 3})
    assert [c.after for c in record.changes(KEY)] == [{"p": 3}]
    # what a 5 s view sees is unchanged by the pruning
    assert record.as_of(KEY, 104, lambda: {"p": 3}) == {"p": 2}


def test_keep_for_only_grows(record):
    record.keep_for(5)
    record.keep_for(1)
    assert record._keep == 5


def test_clear_forgets(record):
    record.changed(KEY, {}, {"p": 1})
    record.clear()
    assert record.changes(KEY) == []


# -- the hooks on moto's backend, and the view over them ------------------------------------------
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "codebuild.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
POLICY = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]})


@pytest.fixture
def backend():
    from moto.iam.models import iam_backends

    propagation.install()
    return iam_backends[ACCOUNT]["aws"]


def _kinds(name: str, *kinds: str) -> dict:
    return {kind: [(c.before, c.after) for c in propagation.RECORD.changes((ACCOUNT, kind, name))] for kind in kinds}


def test_every_role_write_is_recorded_with_before_and_after(backend):
    propagation.RECORD.keep_for(60)
    name = f"rec-{uuid.uuid4().hex[:8]}"
    role = backend.create_role(name, TRUST, "/", None, "", [], None)
    managed = backend.create_policy("", "/", POLICY, name, []).arn
    backend.put_role_policy(name, "p", POLICY)
    backend.attach_role_policy(managed, role_name=name)
    backend.delete_role_policy(name, "p")
    seen = _kinds(name, ROLE, INLINE, ATTACHED)
    [(before, after)] = seen[ROLE]
    assert before is None and after.arn == role.arn and after.assume_role_policy["Statement"][0]["Effect"] == "Allow"
    assert seen[INLINE] == [({}, {"p": POLICY}), ({"p": POLICY}, {})]
    assert seen[ATTACHED] == [((), (managed,))]


def test_a_failed_write_records_nothing(backend):
    name = f"rec-{uuid.uuid4().hex[:8]}"
    with pytest.raises(Exception):
        backend.put_role_policy(name, "p", POLICY)  # no such role
    assert _kinds(name, INLINE)[INLINE] == []


def test_policy_versions_and_instance_profiles_are_recorded(backend):
    propagation.RECORD.keep_for(60)
    name = f"rec-{uuid.uuid4().hex[:8]}"
    backend.create_role(name, TRUST, "/", None, "", [], None)
    policy = backend.create_policy("", "/", POLICY, name, [])
    newer = POLICY.replace("s3:GetObject", "s3:PutObject")
    backend.create_policy_version(policy.arn, newer, set_as_default=True)
    backend.create_instance_profile(name, "/", [])
    backend.add_role_to_instance_profile(name, name)
    assert [(c.before, c.after) for c in propagation.RECORD.changes((ACCOUNT, DEFAULT_VERSION, policy.arn))] == [
        (POLICY, newer)]
    assert _kinds(name, PROFILE)[PROFILE] == [(None, ()), ((), (name,))]


def test_the_view_lags_for_services_and_role_sessions_only(backend):
    name = f"rec-{uuid.uuid4().hex[:8]}"
    arn = backend.create_role(name, TRUST, "/", None, "", [], None).arn
    backend.put_role_policy(name, "p", POLICY)
    lagging = IAMView(propagation.RECORD, delay=lambda: 60)
    assert lagging.role(arn) is None and lagging.role_policies(arn) == []
    assert IAMView(propagation.RECORD).role(arn).arn == arn       # no delay: the current state
    assert IAMView(propagation.RECORD).role_policies(arn) == [POLICY]
    assert lagging.as_seen_by(Principal.service("codebuild.amazonaws.com")) is lagging
    assert lagging.as_seen_by(Principal.assumed_role(arn, "s")) is lagging
    assert lagging.as_seen_by(Principal.root(ACCOUNT)).role(arn).arn == arn
