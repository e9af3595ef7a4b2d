"""`capstone up | down | sweep`: the environment from the command line.

    capstone up                       offline: an embedded localcloud, the environment at baseline,
                                      then serves until Ctrl-C/SIGTERM, which tears down and
                                      runs the leak check
    capstone up --endpoint-url URL    against a running `capstone cloud` (or, with --target aws,
                                      the live code path against any endpoint): builds, reaches the
                                      baseline, prints JSON and exits; `capstone down` later
    capstone down --run-id ID         teardown from the run's ledger(s), then the leak check
    capstone down --prefix P          no ledger: find by prefix, delete, leak check
    capstone sweep [--prefix cap] [--older-than 6h] [--yes]   dry-run unless --yes

Exit status: 0 clean, 1 leaks or failure, 2 bad input, 130 interrupted.
"""
from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from contextlib import contextmanager

from capstone import profile


def add_parser(sub) -> None:
    up = sub.add_parser("up", help="build the capstone environment and bring it to its baseline")
    _target_args(up)
    up.add_argument("--prefix", default=None, help="name prefix (default: unique per run; `awscicd` gives the tutorial's names)")
    up.add_argument(profile.OPTION, type=profile.time_scale_arg, default=None,
                    help=f"real seconds per AWS second of the target, > 0 and <= 1 (default {profile.TIME_SCALE} "
                         f"offline, {profile.REAL_TIME:g} with --target aws): the embedded localcloud runs at it, "
                         f"and the set-up's waits derive from it (with --endpoint-url: that endpoint's pace)")
    up.add_argument("--keep", action="store_true", help="on a set-up failure, keep what was created (the ledger says what)")
    up.add_argument("--no-serve", action="store_true",
                    help="embedded localcloud: tear down right after reaching the baseline instead of serving")
    up.set_defaults(func=cmd_up)

    down = sub.add_parser("down", help="tear an environment down and run the leak check")
    which = down.add_mutually_exclusive_group(required=True)
    which.add_argument("--run-id", help="the run whose ledger(s) to replay (reports/<run-id>/ledger*.json)")
    which.add_argument("--prefix", help="no ledger: delete everything with this prefix")
    _target_args(down)
    down.set_defaults(func=cmd_down)

    sweep = sub.add_parser("sweep", help="list (and with --yes delete) what crashed runs left")
    sweep.add_argument("--prefix", default=None, help="default: every default prefix (cap-…)")
    sweep.add_argument("--older-than", default="6h", help="only groups at least this old: 30m, 6h, 2d, 0s (default 6h)")
    sweep.add_argument("--yes", action="store_true", help="really delete (default: dry-run)")
    _target_args(sweep)
    sweep.set_defaults(func=cmd_sweep)


def _target_args(p) -> None:
    p.add_argument("--target", choices=["local", "aws"], default=None,
                   help="local (default): localcloud; aws: the AWS API (or --endpoint-url with the live code path)")
    p.add_argument("--region", default=None, help="AWS region (default: $AWS_REGION or us-east-1)")
    p.add_argument("--endpoint-url", default=None, help="an AWS-compatible endpoint, e.g. a running `capstone cloud`")


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _fail(message: str, code: int = 2) -> int:
    print(f"capstone: {message}", file=sys.stderr)
    return code


@contextmanager
def _sigterm_interrupts():
    """SIGTERM (how CI cancels) behaves like Ctrl-C: the set-up's guard tears down. Yields an
    Event set once a SIGTERM arrived: the KeyboardInterrupt it raises can be replaced on its way
    out (a temporary directory's cleanup failing after it, say), and the run was interrupted all
    the same."""
    received = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield received
        return

    def interrupt(signum, _frame):
        received.set()
        raise KeyboardInterrupt(f"{signal.Signals(signum).name} received")

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield received
    finally:
        signal.signal(signal.SIGTERM, previous)


def _make_target(name: str | None, region: str | None, endpoint_url: str | None):
    from capstone.target import Target

    return Target(name or "local", region, endpoint_url)


# -- up ------------------------------------------------------------------------------------------
def cmd_up(args: argparse.Namespace) -> int:
    from capstone.builders.names import PrefixError, validate_prefix
    from capstone.environment import SetupError, shielded
    from capstone.target import TargetError

    try:
        if args.prefix:
            validate_prefix(args.prefix)
    except PrefixError as exc:
        return _fail(str(exc))
    target_name = args.target or "local"
    embedded = target_name == "local" and not args.endpoint_url
    if not embedded and args.target is None and args.endpoint_url:
        target_name = "local"  # a running capstone cloud
    try:
        time_scale = profile.suite_time_scale(args.time_scale, target=target_name, endpoint_url=args.endpoint_url)
    except profile.TimeScaleError as exc:
        return _fail(str(exc))
    cloud = None
    with _sigterm_interrupts() as terminated:
        try:
            if embedded:
                cloud = _start_cloud(time_scale)
            target = _make_target(target_name, args.region or (cloud.region if cloud else None),
                                  cloud.url if cloud else args.endpoint_url)
            env = _build(target, args, embedded, cloud, time_scale)
        except BaseException as exc:
            _stop_cloud(cloud)
            if isinstance(exc, KeyboardInterrupt) or terminated.is_set():
                _say("capstone up: interrupted; what was created has been torn down (see above)")
                return 130
            if isinstance(exc, (TargetError, SetupError, PrefixError)):
                return _fail(str(exc), 2 if not isinstance(exc, SetupError) else 1)
            if isinstance(exc, Exception):
                return _fail(f"set-up failed: {exc}", 1)
            raise
        print(json.dumps(env.describe(), indent=2), flush=True)
        if not embedded:
            _say(f"environment ready; tear it down with: {env.down_command()}")
            return 0
        if args.no_serve:
            with shielded(_say):
                report = env.down()
            _stop_cloud(cloud)
            return 0 if report.ok else 1
        _say(f"serving at {cloud.url} (the ALB: Host: {env.alb_dns}); Ctrl-C or SIGTERM tears down")
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
        with shielded(_say):
            report = env.down()
        _stop_cloud(cloud)
        return 0 if report.ok else 1


def _build(target, args, embedded: bool, cloud, time_scale: float):
    from capstone.environment import Environment

    extra = {"localcloud_token": cloud.token} if cloud is not None else None
    return Environment.up(target, prefix=args.prefix, keep=args.keep, embedded=embedded, ledger_extra=extra,
                          progress=_say, time_scale=time_scale)


def _start_cloud(time_scale: float):
    # the CLI wires localcloud in as fixtures/ does; capstone/ never does
    from localcloud import LocalCloud

    settings = profile.offline_settings(time_scale)
    cloud = LocalCloud(port=0, settings=settings).start()
    _say(f"embedded localcloud at {cloud.url} (time scale {settings.time_scale})")
    return cloud


def _stop_cloud(cloud) -> None:
    if cloud is not None:
        cloud.stop()


# -- down ----------------------------------------------------------------------------------------
def cmd_down(args: argparse.Namespace) -> int:
    from capstone.builders.names import PrefixError, validate_prefix
    from capstone.target import TargetError

    with _sigterm_interrupts():
        try:
            if args.run_id:
                return _down_run(args)
            validate_prefix(args.prefix)
            target = _make_target(args.target, args.region, args.endpoint_url)
            target.check()
            return _sweep(target, args.prefix, "0s", yes=True)
        except (TargetError, PrefixError) as exc:
            return _fail(str(exc))


def _down_run(args) -> int:
    from capstone.environment import from_ledger, shielded
    from capstone.ledger import Ledger, LedgerError, find as find_ledgers
    from capstone.target import TargetError

    try:
        paths = find_ledgers(args.run_id)
    except LedgerError as exc:
        return _fail(str(exc))
    status = 0
    for path in paths:
        ledger = Ledger.load(path)
        endpoint = args.endpoint_url or ledger.data.get("endpoint_url")
        target = _make_target(args.target or ledger.data.get("target"), args.region or ledger.data.get("region"), endpoint)
        if ledger.data.get("embedded") and not _reachable(target):
            _finish_embedded(ledger)
            continue
        try:
            target.check()
        except TargetError as exc:
            return _fail(f"{path.name}: {exc}")
        env = from_ledger(target, ledger, progress=_say)
        _say(f"{path}: {len(ledger.pending())} resource(s) to delete")
        with shielded(_say):
            report = env.down()
        if not report.ok:
            status = 1
    return status


def _reachable(target) -> bool:
    try:
        target.check()
        return True
    except Exception:
        return False


def _finish_embedded(ledger) -> None:
    """The embedded localcloud that held these resources died with its process (kill -9): its
    resources died with it, but processes it started (the app on each instance) may not have."""
    token = ledger.data.get("localcloud_token")
    killed = 0
    if token:
        from localcloud.processes import kill_owner

        killed = kill_owner(token + "/", prefix=True)
    for entry in ledger.pending():
        entry.setdefault("attrs", {})["gone_with"] = "embedded localcloud"
        ledger.mark_deleted(entry)
    _say(f"{ledger.path}: its embedded localcloud is gone, and its resources with it; "
         f"{killed} leftover process(es) it had started were killed")


# -- sweep ---------------------------------------------------------------------------------------
def cmd_sweep(args: argparse.Namespace) -> int:
    from capstone.builders.names import DEFAULT_PREFIX_ROOT, PrefixError, validate_prefix
    from capstone.target import TargetError

    prefix = args.prefix or DEFAULT_PREFIX_ROOT
    try:
        validate_prefix(prefix)
        target = _make_target(args.target, args.region, args.endpoint_url)
        target.check()
    except (TargetError, PrefixError) as exc:
        return _fail(str(exc))
    with _sigterm_interrupts():
        return _sweep(target, prefix, args.older_than, yes=args.yes)


def _sweep(target, prefix: str, older_than: str, yes: bool) -> int:
    from capstone import sweep
    from capstone.environment import shielded

    try:
        age = sweep.parse_age(older_than)
    except ValueError as exc:
        return _fail(str(exc))
    found = sweep.plan(target, prefix, age)
    for line in found.lines():
        print(line, flush=True)
    if not found.groups:
        print(f"nothing to sweep for prefix {prefix!r} older than {older_than}", flush=True)
        return 1 if found.report.unchecked else 0
    if not yes:
        count = sum(len(g.resources) for g in found.groups)
        print(f"dry run: {count} resource(s) would be deleted; add --yes to delete them", flush=True)
        return 0
    with shielded(_say):
        errors = sweep.execute(target, found, progress=_say)
    for error in errors:
        _say(f"  error: {error}")
    after = sweep.plan(target, prefix, age)
    left = sum(len(g.resources) for g in after.groups)
    print(f"swept: {left} resource(s) left" + ("" if not left else ": " + ", ".join(
        r.describe() for g in after.groups for r in g.resources)), flush=True)
    return 0 if not left and not errors and not after.report.unchecked else 1

