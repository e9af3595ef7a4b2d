"""`capstone cloud`: serve localcloud standalone until SIGINT/SIGTERM."""
from __future__ import annotations

import argparse
import signal
import sys
import threading


def add_parser(sub) -> None:
    p = sub.add_parser("cloud", help="serve localcloud (the offline AWS) on 127.0.0.1")
    p.add_argument("--port", type=int, default=4566, help="TCP port on 127.0.0.1; 0 picks a free one")
    p.add_argument("--state-dir", default=None, help="where repositories, builds and instances live (default: a temp dir removed on exit)")
    p.add_argument("--time-scale", type=float, default=None,
                   help="multiply every AWS wait by this (default: $LOCALCLOUD_TIME_SCALE or 1.0)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from localcloud import LocalCloud

    if args.time_scale is not None and args.time_scale <= 0:
        print(f"capstone cloud: --time-scale must be > 0, got {args.time_scale}", file=sys.stderr)
        return 2
    if not 0 <= args.port <= 65535:
        print(f"capstone cloud: --port must be 0..65535, got {args.port}", file=sys.stderr)
        return 2
    stop = threading.Event()

    def _stop(signum, _frame):
        stop.set()

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    try:
        cloud = LocalCloud(port=args.port, state_dir=args.state_dir, time_scale=args.time_scale).start()
    except OSError as exc:
        print(f"capstone cloud: cannot listen on 127.0.0.1:{args.port}: {exc.strerror}. "
              "Choose another --port, or --port 0 for a free one.", file=sys.stderr)
        return 1
    print(f"localcloud ready at {cloud.url} (time scale {cloud.clock.scale})", flush=True)
    try:
        stop.wait()
    finally:
        print("localcloud stopping", flush=True)
        cloud.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="localcloud")
    sub = parser.add_subparsers(dest="command")
    add_parser(sub)
    args = parser.parse_args(["cloud", *(argv if argv is not None else sys.argv[1:])])
    return run(args)
