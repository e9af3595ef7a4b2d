"""The Scrubber: what never reaches a report, and what must stay readable."""
from __future__ import annotations

import json

from capstone.evidence.scrub import Scrubber, mask_account


def scrubber(*secrets):
    s = Scrubber()
    for value in secrets:
        s.register(value)
    return s


def test_registered_secret_in_raw_json_and_html_forms():
    s = scrubber('p<a>ss"word\\1')
    raw = 'p<a>ss"word\\1'
    assert s.text(f"value {raw} end") == "value *** end"
    assert s.text(json.dumps({"v": raw})) == '{"v": "***"}'
    assert s.text("x p&lt;a&gt;ss&quot;word\\1 y") == "x *** y"


def test_short_values_are_not_registered():
    # masking "abc" everywhere would shred ordinary text and still protect nothing
    s = scrubber("abc")
    assert s.text("abcdef") == "abcdef"


def test_credentials_tokens_and_accounts():
    s = Scrubber()
    assert s.text("key AKIAIOSFODNN7EXAMPLE used") == "key *** used"
    assert s.text("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY") == "aws_secret_access_key = ***"
    assert s.text('"SessionToken": "FQoGZXIvYXdzEJr//////////"') == '"SessionToken": "***"'
    assert s.text('approval token: 5b0d8a8e-4b6a-4c1e-9f3e-2d7c9a1b0e42.') == "approval token: ***."
    assert s.text('"token": "5b0d8a8e-4b6a-4c1e-9f3e-2d7c9a1b0e42"') == '"token": "***"'
    assert s.text("arn:aws:iam::123456789012:role/x") == "arn:aws:iam::********9012:role/x"
    assert s.text("account 123456789012.") == "account ********9012."


def test_ids_that_only_look_like_secrets_stay_readable():
    s = Scrubber()
    for text in ("d-ABCDEF123", "execution 0c1d2e3f-1111-2222-3333-444455556666",  # a UUID not next to "token"
                 "sha256 ab123456789012cd", "t=1790000000.123456", "epoch ms 1790000000123",
                 "uuid 0c1d2e3f-1111-2222-3333-123456789012"):
        assert s.text(text) == text


def test_data_masks_secret_named_keys_and_keeps_the_rest():
    s = scrubber("hunter2-hunter2")
    data = {"approval_token": "x-y", "secret_name": "cc-db", "password": "pw-value", "token_count": 3,
            "nested": [{"note": "pw hunter2-hunter2"}], "execution_id": "e-1"}
    assert s.data(data) == {"approval_token": "***", "secret_name": "cc-db", "password": "***", "token_count": 3,
                            "nested": [{"note": "pw ***"}], "execution_id": "e-1"}


def test_tree_scrubs_files_in_place_and_spares_what_keep_says(tmp_path):
    s = scrubber("Planted-Value-1")
    (tmp_path / "a.txt").write_text("x Planted-Value-1 y")
    (tmp_path / "ledger.json").write_text('{"arn": "arn:aws:s3:::b", "account": "123456789012"}')
    (tmp_path / "bin.png").write_bytes(b"\x89PNG\xff\xfe\x00")
    changed = s.tree(tmp_path, keep=lambda p: p.name == "ledger.json")
    assert [p.name for p in changed] == ["a.txt"]
    assert (tmp_path / "a.txt").read_text() == "x *** y"
    assert "123456789012" in (tmp_path / "ledger.json").read_text()


def test_mask_account():
    assert mask_account("123456789012") == "********9012"
    assert mask_account(None) is None
