"""The suite's time scale, and its offline profile: how it runs localcloud.

The time scale is real seconds per AWS second of the AWS the suite runs against: 1 is real AWS;
offline, localcloud waits every AWS wait at TIME_SCALE of its configured length. It is one
setting, `--time-scale` (pytest and `capstone up`), checked by `check_time_scale` and defaulted
by `suite_time_scale`: TIME_SCALE offline, 1 for `--target aws`. With `--target aws
--endpoint-url URL --time-scale X` it says how fast that endpoint's waits run (a standalone
`capstone cloud --time-scale X`, as CI uses), so the suite paces itself as offline while taking
the live code path. Everything that waits derives its lengths from it (capstone/drivers/operator.py
`Pace.for_time_scale`).

One wait has no documented length: how long CodeDeploy's blue/green AllowTraffic waits for green
targets to become healthy (1 h is documented for in-place deployments only). localcloud's default
stays 1 h; the suite uses 5 minutes, so a green fleet that never becomes healthy fails in 6 s
rather than 72 s — the rollback it triggers is the same.

IAM is eventually consistent on AWS, and the profile says so: a role, a policy change or an
instance profile's role reaches the services PROPAGATION_DELAY AWS seconds after the call that
made it (0.2 s offline), so the builders' retries of "cannot assume the role yet" run offline as
they must on AWS. AWS gives no figure; about 2 s is typical and a new role has been reported to
take 10 to 30 s to become assumable (pulumi/pulumi-aws#2411, hashicorp/terraform-provider-aws#6566),
hence 10 s: well inside the reports, and long enough that a builder which does not retry fails.

The profile is handed to localcloud as settings (`offline_settings`), or as LOCALCLOUD_*
variables to a standalone `localcloud` process (`localcloud_env`). A variable the user has set
wins, except over an explicit time scale.

This module imports localcloud only inside the functions that hand it settings, so the drivers
can read the time scale and still import nothing of localcloud.
"""
from __future__ import annotations

import argparse
import math
from typing import Mapping

#: real seconds per AWS second offline: AWS waits at 2% of their configured length
TIME_SCALE = 0.02
#: real seconds per AWS second of real AWS
REAL_TIME = 1.0
OPTION = "--time-scale"
#: how long the suite lets CodeDeploy's AllowTraffic wait for healthy green targets (AWS seconds)
ALLOW_TRAFFIC_TIMEOUT = 300
#: how long an IAM change takes to reach the services offline (AWS seconds; see above)
PROPAGATION_DELAY = 10


class TimeScaleError(ValueError):
    """A time scale the suite cannot use; the message names the option and says what to give."""


def check_time_scale(value: object, *, source: str = OPTION) -> float:
    """`value` as a time scale: a number > 0 and <= 1. The one place a time scale is checked.

    Above 1 would make the suite wait longer than AWS itself takes; a scale is real seconds per
    AWS second of the endpoint, so real AWS is 1 and nothing is slower."""
    hint = (f"give a number > 0 and <= 1: how many real seconds one AWS second takes on the target "
            f"(1 for real AWS; the offline default is {TIME_SCALE}), or leave {source} out")
    try:
        scale = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise TimeScaleError(f"{source} must be a number, got {value!r}: {hint}") from None
    if not math.isfinite(scale) or scale <= 0 or scale > REAL_TIME:
        raise TimeScaleError(f"{source} {value} is out of range: {hint}")
    return scale


def time_scale_arg(text: str) -> float:
    """`type=` for an argparse (or pytest) `--time-scale` option: the check, as argparse reports it."""
    try:
        return check_time_scale(text)
    except TimeScaleError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def suite_time_scale(given: float | None, *, target: str, endpoint_url: str | None = None) -> float:
    """The time scale a run uses: `given` (--time-scale), else TIME_SCALE offline and REAL_TIME for
    `--target aws`. Real AWS (`--target aws` with no endpoint) runs at 1 whatever is asked; a
    smaller scale there is refused, since the suite would give up long before AWS is done."""
    if given is None:
        return REAL_TIME if target == "aws" else TIME_SCALE
    scale = check_time_scale(given)
    if target == "aws" and not endpoint_url and scale != REAL_TIME:
        raise TimeScaleError(f"{OPTION} {given} with --target aws and no --endpoint-url: real AWS runs at "
                             f"{REAL_TIME:g}. Leave {OPTION} out, or give the --endpoint-url whose pace it describes")
    return scale


def localcloud_env() -> dict[str, str]:
    """The profile as LOCALCLOUD_* variables, for a standalone localcloud (`capstone cloud --suite-profile`)."""
    from localcloud.settings import TIME_SCALE_VAR

    return {TIME_SCALE_VAR: repr(TIME_SCALE),
            "LOCALCLOUD_CODEDEPLOY_ALLOW_TRAFFIC_TIMEOUT": str(ALLOW_TRAFFIC_TIMEOUT),
            # every role the suite creates is held to its policies, as on AWS
            "LOCALCLOUD_IAM_ENFORCE": "true",
            # ... and reaches the services only after IAM has propagated it, as on AWS
            "LOCALCLOUD_IAM_PROPAGATION_DELAY": str(PROPAGATION_DELAY)}


def offline_settings(time_scale: float | None = None, environ: Mapping[str, str] | None = None):
    """localcloud's settings for the suite: the profile, under the user's LOCALCLOUD_* variables,
    under an explicit `time_scale` (the suite's --time-scale)."""
    import os

    from localcloud.settings import Settings

    environ = os.environ if environ is None else environ
    return Settings.from_env({**localcloud_env(), **environ}, time_scale=time_scale)
