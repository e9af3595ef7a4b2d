"""The sweeper's plan: grouped by environment prefix, aged by its oldest known resource,
dry-run unless told; unknown ages are swept only when no age limit is set."""
from datetime import datetime, timedelta, timezone

import pytest

from capstone import sweep
from capstone.leaks import Found, LeakReport


def _found(name, type_="s3:bucket", created=None, tags=None):
    return Found(type_, name, created_at=created.isoformat() if created else None, tags=tags or {})


@pytest.fixture
def listed(monkeypatch):
    now = datetime.now(timezone.utc)
    resources = [
        _found("cap-aaaaaa-artifacts-1", created=now - timedelta(hours=9)),
        _found("cap-aaaaaa-codepipeline-role", "iam:role"),               # no time of its own: aged with its group
        _found("CodeDeploy_cap-aaaaaa-cap-dg_d-ABCDEFGHI", "autoscaling:group"),
        _found("cap-bbbbbb-gw1-artifacts-1", created=now - timedelta(minutes=20)),
        _found("cap-cccccc-cap-tg", "elbv2:target-group"),                 # age unknown
    ]
    monkeypatch.setattr(sweep, "find", lambda target, prefix: LeakReport(prefix, None, leaks=resources))
    return resources


def test_groups_by_environment_and_keeps_young_ones(listed):
    plan = sweep.plan(None, "cap", sweep.parse_age("6h"))
    assert [g.prefix for g in plan.groups] == ["cap-aaaaaa"]
    assert len(plan.groups[0].resources) == 3
    assert sorted(g.prefix for g in plan.skipped) == ["cap-bbbbbb-gw1", "cap-cccccc"]
    text = "\n".join(plan.lines())
    assert "cap-aaaaaa: 3 resource(s), 9.0h old — to delete" in text and "age unknown" in text


def test_zero_age_sweeps_everything(listed):
    plan = sweep.plan(None, "cap", sweep.parse_age("0s"))
    assert sorted(g.prefix for g in plan.groups) == ["cap-aaaaaa", "cap-bbbbbb-gw1", "cap-cccccc"]


@pytest.mark.parametrize("text, expected", [("30m", timedelta(minutes=30)), ("6h", timedelta(hours=6)),
                                            ("2d", timedelta(days=2)), ("0s", timedelta(0))])
def test_parse_age(text, expected):
    assert sweep.parse_age(text) == expected


def test_parse_age_refuses_nonsense():
    with pytest.raises(ValueError, match="30m, 6h, 2d or 0s"):
        sweep.parse_age("six hours")
