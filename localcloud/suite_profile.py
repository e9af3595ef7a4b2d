"""How the conformance suite runs localcloud offline.

Every AWS wait keeps its configured length times TIME_SCALE. One wait has no documented length:
how long CodeDeploy's blue/green AllowTraffic waits for green targets to become healthy (1 h is
documented for in-place only; AWS-SEMANTICS.md §3.3, UNCONFIRMED). localcloud's default stays 1 h;
the suite uses 5 min, so a green fleet that never becomes healthy fails in 6 s rather than 72 s —
the rollback it triggers is the same.
"""
from __future__ import annotations

import os

TIME_SCALE = 0.02
ENV = {"LOCALCLOUD_CODEDEPLOY_ALLOW_TRAFFIC_TIMEOUT": "300"}


def apply(environ=None) -> None:
    """Set the profile's variables where the user has not set them (before LocalCloud starts)."""
    environ = os.environ if environ is None else environ
    for key, value in ENV.items():
        environ.setdefault(key, value)
