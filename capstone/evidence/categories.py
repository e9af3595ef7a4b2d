"""Failure categories: infrastructure problems apart from product failures.

One table serves Allure (categories.json, whose messageRegex Allure matches against the whole
failure message) and the audit report (classify()). Scenario assertion messages follow these
phrases so a failure lands in the right bucket; docs/evidence.md lists them for authors:

  product     "the gate did not block"          a failing test reached Approval/Deploy
              "rollback did not happen"          a failed/alarmed deployment was not rolled back
              "zero-downtime violated"           the probe saw non-200s or connection errors
              (or "failed requests during", "versions go backward")
              "served the wrong version"         the ALB served an unexpected version
              "approval was not honoured"        a rejected approval still deployed
  infra       timeouts (pytest-timeout "Timeout >", TimeoutError, WaitTimeout, "Timed out waiting",
              "timed out after"), throttling (Throttling, TooManyRequests, Rate exceeded,
              RequestLimitExceeded, SlowDown), leaks ("leak" in any form: the leak check's
              failure names "leaked resources"), credentials (ExpiredToken, NoCredentialsError,
              UnrecognizedClient, InvalidClientTokenId, AccessDenied)
"""
from __future__ import annotations

import re
from typing import Any

# Allure matches messageRegex with Java's String.matches (the whole string), hence (?s).*...*
CATEGORIES: list[dict[str, Any]] = [
    {"name": "Infrastructure: timeout", "kind": "infrastructure",
     "messageRegex": r"(?s).*(Timeout >|TimeoutError|WaitTimeout|[Tt]imed out waiting|timed out after|ReadTimeout|ConnectTimeout).*",
     "matchedStatuses": ["failed", "broken"]},
    {"name": "Infrastructure: throttling", "kind": "infrastructure",
     "messageRegex": r"(?s).*(Throttling|ThrottlingException|TooManyRequests|Rate exceeded|RequestLimitExceeded|SlowDown).*",
     "matchedStatuses": ["failed", "broken"]},
    {"name": "Infrastructure: leaked resources", "kind": "infrastructure",
     "messageRegex": r"(?s).*([Ll]eak(ed|s)?\b|LEAK).*",
     "matchedStatuses": ["failed", "broken"]},
    {"name": "Infrastructure: credentials or permissions", "kind": "infrastructure",
     "messageRegex": r"(?s).*(ExpiredToken|NoCredentialsError|UnrecognizedClient|InvalidClientTokenId|AccessDenied).*",
     "matchedStatuses": ["failed", "broken"]},
    {"name": "Product: the gate did not block", "kind": "product",
     "messageRegex": r"(?s).*gate did not block.*", "matchedStatuses": ["failed"]},
    {"name": "Product: rollback did not happen", "kind": "product",
     "messageRegex": r"(?s).*rollback did not happen.*", "matchedStatuses": ["failed"]},
    {"name": "Product: downtime during deployment", "kind": "product",
     "messageRegex": r"(?s).*(failed requests? during|zero-downtime violated|versions go backward).*", "matchedStatuses": ["failed"]},
    {"name": "Product: wrong version served", "kind": "product",
     "messageRegex": r"(?s).*served the wrong version.*", "matchedStatuses": ["failed"]},
    {"name": "Product: approval not honoured", "kind": "product",
     "messageRegex": r"(?s).*approval was not honoured.*", "matchedStatuses": ["failed"]},
]

_COMPILED = [(c, re.compile(c["messageRegex"])) for c in CATEGORIES]


def allure_categories() -> list[dict[str, Any]]:
    """categories.json content (Allure ignores our extra 'kind' key, so leave it out)."""
    return [{k: v for k, v in c.items() if k != "kind"} for c in CATEGORIES]


def classify(message: str | None) -> dict[str, str] | None:
    """The first category whose regex matches the whole message, as {"name", "kind"}."""
    if not message:
        return None
    for category, pattern in _COMPILED:
        if pattern.fullmatch(message):
            return {"name": category["name"], "kind": category["kind"]}
    return None
