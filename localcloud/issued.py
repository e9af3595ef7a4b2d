"""Every credential-like value localcloud hands out, by kind: approval tokens, role sessions'
secret keys and session tokens.

Kept so the suite can prove, with the real values, that its evidence (audit, evidence, Allure,
JUnit, logs) holds none of them (capstone/evidence/secret_scan.py). Read in-process only, by the
pytest session that embeds localcloud; never served over HTTP. A reset does not clear it: a value
issued before a reset may still be in the evidence after it.
"""
from __future__ import annotations

import threading


class IssuedSecrets:
    def __init__(self):
        self._lock = threading.Lock()
        self._values: dict[str, set[str]] = {}

    def add(self, kind: str, value: str | None) -> None:
        if value:
            with self._lock:
                self._values.setdefault(kind, set()).add(value)

    def snapshot(self) -> dict[str, list[str]]:
        with self._lock:
            return {kind: sorted(values) for kind, values in self._values.items()}


ISSUED = IssuedSecrets()
