"""`capstone report`: render a run's reports — the Allure HTML where the Allure command line is
available (with history carried from the previous report), and always the audit page."""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path


def add_parser(sub) -> None:
    p = sub.add_parser("report", help="render the Allure HTML (if `allure` is available) and the audit report of a run")
    p.add_argument("--run-id", default=None, help="the run under the reports directory (default: the newest)")
    p.add_argument("--reports-dir", default=None, help="where runs live (default: $CAPSTONE_REPORTS_DIR or ./reports)")
    p.add_argument("--verify", action="store_true",
                   help="only check every file of the run against SHA256SUMS; exit 1 if any changed")
    p.add_argument("--rebuild", action="store_true",
                   help="rebuild audit.json (and SHA256SUMS) from evidence.json instead of re-rendering audit.html")
    p.add_argument("--no-allure", action="store_true", help="skip the Allure HTML")
    p.add_argument("--history-from", default=None,
                   help="an Allure report's history/ directory to carry into this report (default: the newest other run's)")
    p.set_defaults(func=run)


def _run_dir(args: argparse.Namespace) -> Path:
    from capstone import run as run_identity

    root = Path(args.reports_dir) if args.reports_dir else run_identity.reports_root()
    if args.run_id:
        if "/" in args.run_id or args.run_id.startswith("."):
            raise SystemExit(f"capstone report: invalid run id {args.run_id!r}")
        path = root / args.run_id
        if not path.is_dir():
            raise SystemExit(f"capstone report: no run {args.run_id!r} under {root}/")
        return path
    runs = [p for p in root.glob("*") if p.is_dir() and ((p / "evidence.json").exists() or (p / "audit.json").exists())]
    if not runs:
        raise SystemExit(f"capstone report: no run with evidence under {root}/ (run the suite first, or pass --reports-dir)")
    return max(runs, key=lambda p: (p / "evidence.json").stat().st_mtime if (p / "evidence.json").exists() else p.stat().st_mtime)


def run(args: argparse.Namespace) -> int:
    from capstone.evidence import allure_cli, audit, finish
    from capstone.evidence.scrub import Scrubber

    run_dir = _run_dir(args)
    if args.verify:
        problems = audit.verify(run_dir)
        for problem in problems:
            print(f"CHANGED {problem}")
        print(f"{run_dir}: " + ("every file matches SHA256SUMS" if not problems else f"{len(problems)} problem(s)"))
        return 1 if problems else 0

    started = time.monotonic()
    if args.rebuild or not (run_dir / "audit.json").exists():
        if not (run_dir / audit.EVIDENCE_FILE).exists():
            print(f"capstone report: {run_dir} has no {audit.EVIDENCE_FILE} to build an audit from", file=sys.stderr)
            return 1
        finish.finish(run_dir, json.loads((run_dir / audit.EVIDENCE_FILE).read_text()), Scrubber())
    else:
        problems = audit.verify(run_dir)
        if problems:
            print(f"WARNING: {len(problems)} file(s) changed since the audit was written: "
                  + "; ".join(problems[:5]), file=sys.stderr)
        audit.render_html(run_dir)
    print(f"audit report: {run_dir / 'audit.html'} ({time.monotonic() - started:.2f} s)")

    results = run_dir / finish.ALLURE_RESULTS
    if args.no_allure or not results.is_dir():
        return 0
    command = allure_cli.find()
    if command is None:
        print(allure_cli.INSTALL_HINT)
        return 0
    history = Path(args.history_from) if args.history_from else allure_cli.previous_history(run_dir)
    if allure_cli.carry_history(results, history):
        print(f"allure: carried history from {history}")
    started = time.monotonic()
    done = allure_cli.generate(command, results, run_dir / "allure-report")
    if done.returncode != 0:
        print(f"capstone report: allure generate failed (exit {done.returncode}):\n{done.stderr or done.stdout}",
              file=sys.stderr)
        return 1
    print(f"allure report: {run_dir / 'allure-report' / 'index.html'} ({time.monotonic() - started:.1f} s; "
          f"open it with `allure open {run_dir / 'allure-report'}`)")
    return 0
