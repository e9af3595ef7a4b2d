"""The ledger: on disk before the create call, marked when deleted, replayed newest first."""
import json

import pytest

from capstone.ledger import Ledger, LedgerError, find


@pytest.fixture
def reports(tmp_path, monkeypatch):
    monkeypatch.setenv("CAPSTONE_REPORTS_DIR", str(tmp_path))
    return tmp_path


def _new(run_id="r1", prefix="p1"):
    return Ledger.create(run_id=run_id, prefix=prefix, target="local", region="us-east-1",
                         endpoint_url="http://127.0.0.1:1", worker="main")


def test_an_entry_is_on_disk_before_anything_is_created(reports):
    ledger = _new()
    entry = ledger.record("s3:bucket", "p1-artifacts", builder="artifacts")
    on_disk = json.loads((reports / "r1" / "ledger.json").read_text())
    assert on_disk["resources"][0]["name"] == "p1-artifacts"
    assert on_disk["resources"][0]["deleted_at"] is None and on_disk["resources"][0]["id"] is None
    ledger.update(entry, id="abc", arn="arn:aws:s3:::p1-artifacts")
    ledger.mark_deleted(entry)
    on_disk = json.loads((reports / "r1" / "ledger.json").read_text())
    assert on_disk["resources"][0]["id"] == "abc" and on_disk["resources"][0]["deleted_at"]


def test_pending_is_newest_first_and_skips_deleted(reports):
    ledger = _new()
    a = ledger.record("iam:role", "a", builder="iam")
    ledger.record("s3:bucket", "b", builder="artifacts")
    ledger.record("codecommit:repository", "c", builder="repository")
    ledger.mark_deleted(a)
    assert [e["name"] for e in Ledger.load(ledger.path).pending()] == ["c", "b"]


def test_worker_ledgers_are_separate_and_found_together(reports):
    Ledger.create(run_id="r2", prefix="p-gw0", target="local", region="us-east-1", endpoint_url=None, worker="gw0")
    Ledger.create(run_id="r2", prefix="p-gw1", target="local", region="us-east-1", endpoint_url=None, worker="gw1")
    assert [p.name for p in find("r2")] == ["ledger-gw0.json", "ledger-gw1.json"]


def test_unknown_run_id_is_a_clear_error(reports):
    _new("known")
    with pytest.raises(LedgerError) as err:
        find("nope")
    assert "no ledger for run id 'nope'" in str(err.value) and "known" in str(err.value)


def test_a_ledger_with_live_resources_is_not_overwritten(reports):
    ledger = _new()
    ledger.record("s3:bucket", "x", builder="artifacts")
    with pytest.raises(LedgerError, match="capstone down --run-id r1"):
        _new()
