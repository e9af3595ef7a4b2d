"""The conformance suite's offline profile: how it runs localcloud.

Every AWS wait keeps its configured length times TIME_SCALE. One wait has no documented length:
how long CodeDeploy's blue/green AllowTraffic waits for green targets to become healthy (1 h is
documented for in-place deployments only). localcloud's default stays 1 h; the suite uses 5
minutes, so a green fleet that never becomes healthy fails in 6 s rather than 72 s — the
rollback it triggers is the same.

The profile is handed to localcloud as settings (`offline_settings`), or as LOCALCLOUD_*
variables to a standalone `localcloud` process (`ENV`). A variable the user has set wins.
"""
from __future__ import annotations

import os
from typing import Mapping

from localcloud.settings import TIME_SCALE_VAR, Settings

#: real seconds per AWS second offline: AWS waits at 2% of their configured length
TIME_SCALE = 0.02
ENV = {
    TIME_SCALE_VAR: repr(TIME_SCALE),
    "LOCALCLOUD_CODEDEPLOY_ALLOW_TRAFFIC_TIMEOUT": "300",
}


def offline_settings(time_scale: float | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """localcloud's settings for the suite: the profile, under the user's LOCALCLOUD_* variables,
    under an explicit `time_scale` (the suite's --time-scale)."""
    environ = os.environ if environ is None else environ
    return Settings.from_env({**ENV, **environ}, time_scale=time_scale)
