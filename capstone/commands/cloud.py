"""`capstone cloud`: an alias of the `localcloud` command. `--suite-profile` starts it with the
suite's offline profile (capstone/profile.py) as its defaults, as the embedded one runs."""
from __future__ import annotations

import argparse

from localcloud import cli


def add_parser(sub) -> None:
    p = sub.add_parser("cloud", help="serve localcloud (the offline AWS) on 127.0.0.1")
    cli.add_arguments(p)
    p.add_argument("--suite-profile", action="store_true",
                   help="use the suite's offline profile (time scale, AllowTraffic wait) where no option or "
                        "LOCALCLOUD_* variable says otherwise")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from capstone import profile

    return cli.serve(args, prog="capstone cloud", defaults=profile.localcloud_env() if args.suite_profile else None)
