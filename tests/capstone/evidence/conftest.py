"""Fixtures for the evidence tests (the recorded run itself lives in evidence_recorded_run.py)."""
from __future__ import annotations

import pytest
from evidence_recorded_run import make_recorded_run


@pytest.fixture
def recorded_run(tmp_path):
    return make_recorded_run(tmp_path)
