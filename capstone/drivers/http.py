"""One HTTP GET against the application, and the version the page shows.

The sample application's index page contains `awscicd demo app — v<N>`; the version is what a
user sees, so it is what the probe and the scenarios compare. Below it the page shows the greeting
its internal package (demo-greeting) renders, which tells which version of the package is live.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import requests

VERSION_RE = re.compile(r"demo app\s+\S+\s+v(\d+)")
GREETING_RE = re.compile(r'<p class="greeting">(.*?)</p>')


def parse_greeting(body: str) -> str | None:
    """The internal package's greeting on a page of the sample app, or None."""
    match = GREETING_RE.search(body or "")
    return match.group(1) if match else None


def parse_version(body: str) -> str | None:
    """'v<N>' from a page of the sample app, or None if the page shows no version."""
    match = VERSION_RE.search(body or "")
    return f"v{match.group(1)}" if match else None


def version_number(version: str | None) -> int | None:
    """3 for 'v3'; None for None or anything else."""
    if version and version.startswith("v") and version[1:].isdigit():
        return int(version[1:])
    return None


@dataclass(frozen=True)
class Answer:
    status: int | None          # HTTP status; None when no answer came (connection error, timeout)
    version: str | None
    error: str | None = None    # the exception class and message when there was no answer
    greeting: str | None = None  # what the page's internal package renders

    @property
    def ok(self) -> bool:
        return self.status == 200


def get(url: str, headers: dict[str, str] | None = None, *, timeout: float = 3.0,
        session: requests.Session | None = None) -> Answer:
    """GET url; never raises for network trouble, which is reported in the Answer instead."""
    try:
        response = (session or requests).get(url, headers=headers or {}, timeout=timeout, allow_redirects=False)
    except requests.RequestException as exc:
        return Answer(None, None, f"{type(exc).__name__}: {exc}")
    return Answer(response.status_code, parse_version(response.text), greeting=parse_greeting(response.text))
