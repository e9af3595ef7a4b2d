"""The issued-secret scan finds a planted value of each kind in any file of a run, names the
kind and the file and never the value, and stays quiet on clean evidence."""
from __future__ import annotations

from capstone.evidence import secret_scan
from localcloud.issued import IssuedSecrets

TOKEN = "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"
SESSION = "FwoGZXIvYXdzEXAMPLEsessiontokenvalue"


def test_a_planted_value_of_each_kind_is_found_by_kind_and_file(tmp_path):
    issued = IssuedSecrets()
    issued.add("approval token", TOKEN)
    issued.add("role session secret key", SECRET_KEY)
    issued.add("role session token", SESSION)
    (tmp_path / "allure-results").mkdir()
    (tmp_path / "audit.json").write_text('{"externalExecutionId": "%s"}' % TOKEN)
    (tmp_path / "allure-results" / "x-attachment.txt").write_text(f"AWS_SECRET_ACCESS_KEY={SECRET_KEY}")
    (tmp_path / "junit.xml").write_text(f"<testcase><system-out>{SESSION}</system-out></testcase>")
    (tmp_path / "evidence.json").write_text('{"clean": true}')
    findings = secret_scan.scan(issued.snapshot(), [tmp_path])
    assert {(f.kind, f.path.name) for f in findings} == {
        ("approval token", "audit.json"), ("role session secret key", "x-attachment.txt"),
        ("role session token", "junit.xml")}
    assert all(TOKEN not in str(f) and SECRET_KEY not in str(f) for f in findings)


def test_clean_evidence_and_nothing_issued_find_nothing(tmp_path):
    (tmp_path / "audit.json").write_text('{"token": "***"}')
    issued = IssuedSecrets()
    assert secret_scan.scan(issued.snapshot(), [tmp_path]) == []
    issued.add("approval token", TOKEN)
    assert secret_scan.scan(issued.snapshot(), [tmp_path]) == []
