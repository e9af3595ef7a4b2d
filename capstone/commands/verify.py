"""`capstone verify`: read-only conformance of an existing pipeline (docs/verify.md).

    capstone verify --pipeline NAME                    discover everything from the pipeline
    capstone verify --profile verify.yml               a profile (capstone/verify/profile.py)
    capstone verify --from terraform outputs.json      or cloudformation / cdk outputs
    ... --allow-changes [--branch main]              also the active checks (a real release, then a restore)

Exit status: 0 when no check fails, 1 when one does, 2 for a bad profile or target.
"""
from __future__ import annotations

import argparse
import sys


def add_parser(sub) -> None:
    p = sub.add_parser("verify", help="read-only conformance checks of a pipeline built elsewhere")
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--pipeline", help="the pipeline's name; everything else is discovered")
    source.add_argument("--profile", help="a verify profile (YAML), see docs/verify.md")
    source.add_argument("--from", dest="import_from", nargs=2, metavar=("FORMAT", "FILE"),
                        help="a profile from terraform (`terraform output -json`), cloudformation (DescribeStacks "
                             "or its Outputs) or cdk (`cdk deploy --outputs-file`)")
    p.add_argument("--target", default="aws", choices=("aws", "local"),
                   help="aws (default: the default credential chain) or local (a localcloud --endpoint-url)")
    p.add_argument("--endpoint-url", default=None, help="an AWS-compatible endpoint (a running `capstone cloud`)")
    p.add_argument("--region", default=None, help="the pipeline's Region (default: the profile's, then AWS_REGION)")
    p.add_argument("--allow-changes", action="store_true",
                   help="also run the active checks: push a harmless marker commit, approve its execution, probe "
                        "the app, then revert and ship the revert (the plan is printed first; docs/verify.md)")
    p.add_argument("--branch", default=None, help="with --allow-changes: the branch to push to (must be the "
                                                   "pipeline's source branch; default: that branch)")
    p.add_argument("--release-minutes", type=float, default=60.0,
                   help="with --allow-changes: how long one release may take, push to end (default 60)")
    p.add_argument("--reports-dir", default=None, help="where the run's evidence goes (default: ./reports)")
    p.set_defaults(func=run)


def _profile(args):
    from capstone.verify import importers, profile

    if args.pipeline:
        return profile.from_dict({"pipeline": args.pipeline}, where="--pipeline")
    if args.profile:
        return profile.load(args.profile)
    return importers.load(*args.import_from)


def run(args: argparse.Namespace) -> int:
    import os

    from capstone import run as run_identity
    from capstone.target import Target, TargetError
    from capstone.verify.profile import ProfileError
    from capstone.verify.active import ActivePlanError
    from capstone.verify.run import Changes, verify

    def say(message: str) -> None:
        print(f"capstone verify: {message}", file=sys.stderr, flush=True)

    try:
        profile = _profile(args)
        target = Target(args.target, region=args.region or profile.region, endpoint_url=args.endpoint_url)
        target.check()
    except (ProfileError, TargetError) as exc:
        say(str(exc))
        return 2
    if args.reports_dir:
        os.environ[run_identity.REPORTS_VAR] = args.reports_dir
    if (args.branch or args.release_minutes != 60.0) and not args.allow_changes:
        say("--branch and --release-minutes only apply with --allow-changes")
        return 2
    changes = Changes(branch=args.branch, seconds=args.release_minutes * 60) if args.allow_changes else None
    run_dir = run_identity.reports_dir()
    try:
        result = verify(target, profile, run_dir, progress=say, changes=changes)
    except ActivePlanError as exc:
        say(f"nothing was changed: {exc}")
        return 2
    counts = result.audit["summary"]
    print(f"capstone verify: {profile.pipeline} {result.audit['verdict']}: {counts['pass']} passed, "
          f"{counts['fail']} failed, {counts['not_applicable']} not applicable; evidence in {run_dir}/")
    return 0 if result.passed else 1
