"""`localcloud`: serve localcloud on 127.0.0.1 until SIGINT/SIGTERM.

    localcloud --port 4566 [--state-dir DIR] [--time-scale 0.05]

Settings not given as options come from LOCALCLOUD_* variables (see settings.py).
"""
from __future__ import annotations

import argparse
import signal
import sys
import threading
from typing import Mapping

from localcloud.settings import Settings, SettingsError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=4566, help="TCP port on 127.0.0.1; 0 picks a free one")
    parser.add_argument("--state-dir", default=None,
                        help="where repositories, builds and instances live (default: a temp dir removed on exit)")
    parser.add_argument("--time-scale", type=float, default=None,
                        help="multiply every AWS wait by this (default: $LOCALCLOUD_TIME_SCALE or 1.0)")


def serve(args: argparse.Namespace, *, prog: str = "localcloud", defaults: Mapping[str, str] | None = None) -> int:
    """Run until signalled. `defaults` are LOCALCLOUD_* values used where the environment has none
    (a profile, such as the conformance suite's offline one)."""
    import os

    from localcloud.server import LocalCloud

    if not 0 <= args.port <= 65535:
        print(f"{prog}: --port must be 0..65535, got {args.port}", file=sys.stderr)
        return 2
    try:
        settings = Settings.from_env({**(defaults or {}), **os.environ}, time_scale=args.time_scale)
    except SettingsError as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return 2
    stop = threading.Event()

    def _stop(signum, _frame):
        stop.set()

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    try:
        cloud = LocalCloud(port=args.port, state_dir=args.state_dir, settings=settings).start()
    except OSError as exc:
        print(f"{prog}: cannot listen on 127.0.0.1:{args.port}: {exc.strerror}. "
              "Choose another --port, or --port 0 for a free one.", file=sys.stderr)
        return 1
    print(f"localcloud ready at {cloud.url} (time scale {settings.time_scale})", flush=True)
    try:
        stop.wait()
    finally:
        print("localcloud stopping", flush=True)
        cloud.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="localcloud", description="an offline AWS on 127.0.0.1")
    add_arguments(parser)
    return serve(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
