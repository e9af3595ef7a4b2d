"""Run identity: one run id per pytest session (shared by its xdist workers), one worker id each.

The controller process fixes the run id in the environment before workers start, so every
worker writes under the same `reports/<run-id>/`.
"""
from __future__ import annotations

import os
import secrets
from datetime import datetime, timezone
from pathlib import Path

RUN_ID_VAR = "CAPSTONE_RUN_ID"
REPORTS_VAR = "CAPSTONE_REPORTS_DIR"


def run_id() -> str:
    value = os.environ.get(RUN_ID_VAR)
    if not value:
        stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
        value = f"{stamp}-{secrets.token_hex(2)}"
        os.environ[RUN_ID_VAR] = value
    return value


def worker_id() -> str:
    """'gw0', 'gw1', ... under pytest-xdist; 'main' otherwise."""
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def reports_root() -> Path:
    return Path(os.environ.get(REPORTS_VAR, "reports"))


def reports_dir() -> Path:
    path = reports_root() / run_id()
    path.mkdir(parents=True, exist_ok=True)
    return path
