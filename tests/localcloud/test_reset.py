"""A reset is atomic: it waits for (or stops) the work in flight before it clears state, and
nothing from before it lands after it (LocalCloud.reset). Each scenario runs in a process of
its own (reset_inflight.py): a reset clears moto's process-wide state."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("scenario", ["delivery", "build"])
def test_a_reset_mid_flight_leaves_nothing_in_the_fresh_state_and_logs_no_error(scenario):
    proc = subprocess.run([sys.executable, "-m", "tests.localcloud.reset_inflight", scenario], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"{scenario}: ok" in proc.stdout
