"""Keep secrets out of every report: registered secret values, AWS credentials, approval tokens,
account ids.

Reports are handed to auditors and uploaded as CI artifacts, so everything the evidence layer
writes passes through one Scrubber, and the finished run directory gets a last pass over every
file (captured stdout in Allure attachments, JUnit system-out) because test output can carry
what no caller meant to record.
"""
from __future__ import annotations

import html
import json
import re
import threading
from pathlib import Path
from typing import Any, Callable

MASK = "***"

# AKIA... long-term keys, ASIA... temporary ones (IAM docs, "Understanding unique ID prefixes").
ACCESS_KEY_ID = re.compile(r"\b(?:AKIA|ASIA|AROA|AIDA)[A-Z0-9]{16}\b")
# A 40-character secret key or any session token next to a name saying what it is.
NAMED_CREDENTIAL = re.compile(
    r"(?i)((?:aws_)?(?:secret_?access_?key|session_?token|security_?token|x-amz-security-token|password)"
    r"[\"']?\s*[:=]\s*[\"']?)([^\s\"'<>,}]+)")
# Approval tokens are UUIDs; a UUID within a few characters after the word "token" is one.
TOKEN_UUID = re.compile(
    r"(?i)(token[\w\"'\s:=-]{0,12}?)([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})")
# Account ids: 12 digits standing alone (ARNs, "Account": "...", e-mails of role sessions).
ACCOUNT_ID = re.compile(r"(?<![\w.\-])(\d{12})(?!\w|\.\d)")
# Cheap pre-check: a string none of the patterns could match is returned untouched.
_MAYBE = re.compile(r"\d{12}|AKIA|ASIA|AROA|AIDA|(?i:token|secret|passw|key)")
# Dict keys whose values are never shown, whatever they look like.
SECRET_KEY = re.compile(r"(?i)(secret|password|passwd|token|credential|private_?key|signature)")
# Keys that look secret by name but hold harmless identifiers we want to keep readable.
SAFE_KEYS = frozenset({"secret_name", "secret_arn", "secretname", "secretid", "token_present"})


def mask_account(account: str | None) -> str | None:
    """'123456789012' -> '********9012' (enough to tell accounts apart, not enough to target one)."""
    if not account:
        return account
    return "*" * (len(account) - 4) + account[-4:]


class Scrubber:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._secrets: set[str] = set()

    def register(self, value: str | None) -> None:
        """A value (SSM SecureString, Secrets Manager secret, ...) that must never appear."""
        if not value or len(value) < 4:  # masking 1-3 characters would shred ordinary text
            return
        forms = {value, json.dumps(value)[1:-1], html.escape(value), html.escape(value, quote=False)}
        with self._lock:
            self._secrets.update(f for f in forms if f)

    @property
    def secrets(self) -> list[str]:
        with self._lock:
            return sorted(self._secrets, key=len, reverse=True)

    def text(self, value: str) -> str:
        for secret in self.secrets:
            value = value.replace(secret, MASK)
        if not _MAYBE.search(value):
            return value
        value = ACCESS_KEY_ID.sub(MASK, value)
        value = NAMED_CREDENTIAL.sub(lambda m: m.group(1) + MASK, value)
        value = TOKEN_UUID.sub(lambda m: m.group(1) + MASK, value)
        return ACCOUNT_ID.sub(lambda m: mask_account(m.group(1)), value)

    def data(self, value: Any, key: str = "") -> Any:
        """A deep copy of JSON-like data with secret-named keys masked and every string scrubbed."""
        if key and SECRET_KEY.search(key) and key.lower() not in SAFE_KEYS and isinstance(value, str):
            return MASK if value else value
        if isinstance(value, dict):
            return {str(k): self.data(v, str(k)) for k, v in value.items()}
        if isinstance(value, (list, tuple, set)):
            return [self.data(v, key) for v in value]
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, (int, float, bool)) or value is None:
            return value
        return self.text(str(value))

    def file(self, path: Path) -> bool:
        """Scrub a text file in place; True if it changed. Binary files are left alone."""
        try:
            original = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            return False
        cleaned = self.text(original)
        if cleaned != original:
            path.write_text(cleaned, encoding="utf-8")
            return True
        return False

    def tree(self, root: Path, keep: Callable[[Path], bool] = lambda p: False) -> list[Path]:
        """Scrub every file under root except those keep() spares; returns the files that changed."""
        return [p for p in sorted(root.rglob("*")) if p.is_file() and not keep(p) and self.file(p)]
