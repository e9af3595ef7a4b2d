"""The Allure command line, where one is available: find it, carry history, generate the HTML.

Never downloads anything: `allure` on PATH (or $ALLURE_BIN), else `npx --no-install allure` if an
allure-commandline package is already installed for npx. Trends only show if the previous
report's history/ is copied into the new results before generating (allure2#679).
"""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

INSTALL_HINT = (
    "The Allure command line was not found, so only the audit report was rendered.\n"
    "Get it with one of:\n"
    "  npm install -g allure-commandline   (needs Java 8+; then `allure --version`)\n"
    "  brew install allure                 (macOS)\n"
    "  scoop install allure                (Windows)\n"
    "  or unpack a release from https://github.com/allure-framework/allure2/releases and put bin/ on PATH\n"
    "Then run `make report` (or `capstone report`) again, or point $ALLURE_BIN at the allure executable.")


def find() -> list[str] | None:
    explicit = os.environ.get("ALLURE_BIN")
    if explicit:
        return [explicit] if Path(explicit).exists() or shutil.which(explicit) else None
    found = shutil.which("allure")
    if found:
        return [found]
    npx = shutil.which("npx")
    if npx:
        try:
            probe = subprocess.run([npx, "--no-install", "allure", "--version"], capture_output=True,
                                   text=True, timeout=60, env={**os.environ, "npm_config_offline": "true"})
        except (OSError, subprocess.SubprocessError):
            return None
        if probe.returncode == 0 and probe.stdout.strip()[:1].isdigit():
            return [npx, "--no-install", "allure"]
    return None


def previous_history(run_dir: Path) -> Path | None:
    """history/ of the newest other run under the same reports root that has an Allure report."""
    candidates = [p / "allure-report" / "history" for p in run_dir.parent.iterdir()
                  if p.is_dir() and p != run_dir and (p / "allure-report" / "history").is_dir()]
    return max(candidates, key=lambda p: p.stat().st_mtime) if candidates else None


def carry_history(results: Path, history: Path | None) -> bool:
    if history is None or not history.is_dir():
        return False
    target = results / "history"
    shutil.copytree(history, target, dirs_exist_ok=True)
    return True


def generate(command: list[str], results: Path, output: Path) -> subprocess.CompletedProcess:
    return subprocess.run([*command, "generate", str(results), "-o", str(output), "--clean"],
                          capture_output=True, text=True, timeout=600)
