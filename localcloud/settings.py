"""Every knob localcloud has, in one place, validated once.

A `Settings` value is built either in code (`Settings(time_scale=0.02)`) or from the
environment (`Settings.from_env()`, which reads `LOCALCLOUD_TIME_SCALE` and
`LOCALCLOUD_<SERVICE>_<FIELD>` variables). Providers read the value they are handed; nothing
else under localcloud/ reads the environment for settings.

The time scale: every AWS wait (health-check interval, deregistration delay, termination wait,
approval timeout, build timeout...) keeps its configured length, and localcloud really waits
that length times `time_scale`. A scale below 1 makes an offline run fast without editing any
resource; 1.0 is real time.

The per-service fields are the behaviours AWS does not document precisely enough to be sure of
(each one a deliberate, documented choice; see docs/aws-behaviour.md), plus capacity limits.
"""
from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field, fields
from typing import Any, Mapping

TIME_SCALE_VAR = "LOCALCLOUD_TIME_SCALE"
SANDBOX_VAR = "LOCALCLOUD_SANDBOX"
#: auto: sandbox builds and instances when bubblewrap works, else warn once and run unsandboxed;
#: mandatory: refuse to start without a working sandbox; off: never sandbox (docs/sandbox.md).
SANDBOX_MODES = ("auto", "mandatory", "off")


class SettingsError(ValueError):
    """A setting has a value localcloud cannot use; the message names it and says what to use."""


@dataclass
class CodeDeploySettings:
    """Waits are AWS seconds (scaled by the time scale when localcloud waits them). Mutable, so a
    test can shorten a wait for one case (the conftest restores it)."""
    #: AllowTraffic health wait; 1 h is documented for in-place only (unconfirmed for blue/green).
    allow_traffic_timeout: float = 3600
    #: BlockTraffic drain wait (the target group's deregistration delay decides the real length).
    block_traffic_timeout: float = 3600
    #: how long the green Auto Scaling group may take to have its instances InService.
    provision_timeout: float = 3600
    #: real seconds between alarm polls (CloudWatch alarms evaluate per minute on AWS).
    alarm_poll_interval: float = 1.0
    #: a failed blue/green deployment with no rollback leaves its green group (as a user report
    #: says AWS does). True deletes it instead.
    delete_green_without_rollback: bool = False
    #: after success, attach the group's target groups to the green Auto Scaling group so its later
    #: instances register like the original group's did (unconfirmed).
    attach_target_groups_to_green: bool = True
    #: with KEEP_ALIVE the original Auto Scaling group is left in place (unconfirmed); True deletes it.
    delete_original_asg_on_keep_alive: bool = False
    #: real seconds StopDeployment waits for the deployment to reach Stopped before answering Pending.
    stop_answer_wait: float = 1.0


@dataclass
class CodeBuildSettings:
    #: builds running at once; the rest wait QUEUED, first come first served (0 = the CPU count).
    concurrency: int = 0

    @property
    def max_concurrent_builds(self) -> int:
        return self.concurrency or os.cpu_count() or 1


@dataclass
class IAMSettings:
    #: evaluate every call a role session makes through a door against the role's identity
    #: policies (inline and attached, AWS managed included) and refuse what they do not allow,
    #: as AWS does. Off by default so localcloud answers any caller; the suite's offline profile
    #: turns it on, so a missing permission fails offline as it would live.
    enforce: bool = False
    #: AWS seconds (scaled by the time scale) a change to a role, its policies or an instance
    #: profile takes to reach the services and role sessions (iam/propagation.py): IAM is
    #: eventually consistent on AWS. 0 (the default) shows every change at once; the suite's
    #: offline profile sets a delay so that what must retry on AWS retries offline too.
    propagation_delay: float = 0.0


@dataclass(frozen=True)
class Settings:
    #: real seconds localcloud waits per AWS second.
    time_scale: float = 1.0
    #: how builds and instances run: one of SANDBOX_MODES.
    sandbox: str = "auto"
    codedeploy: CodeDeploySettings = field(default_factory=CodeDeploySettings)
    codebuild: CodeBuildSettings = field(default_factory=CodeBuildSettings)
    iam: IAMSettings = field(default_factory=IAMSettings)

    def __post_init__(self):
        _check_positive("time_scale", self.time_scale, TIME_SCALE_VAR)
        if self.sandbox not in SANDBOX_MODES:
            raise SettingsError(f"{SANDBOX_VAR}={self.sandbox!r} is not one of {', '.join(SANDBOX_MODES)}")
        for group in (self.codedeploy, self.codebuild, self.iam):
            for f in fields(group):
                value = getattr(group, f.name)
                if isinstance(value, bool):
                    continue
                if value < 0:
                    raise SettingsError(f"{_var(group, f.name)} must be >= 0, got {value}")
                if value == 0 and f.name.endswith("timeout"):
                    raise SettingsError(f"{_var(group, f.name)} must be > 0, got {value}")

    # -- building -------------------------------------------------------------------------------
    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> "Settings":
        """Defaults, then LOCALCLOUD_* variables, then `overrides` (e.g. a CLI's --time-scale).
        Overrides that are None are ignored, so an unset CLI option leaves the variable's value."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        raw = environ.get(TIME_SCALE_VAR)
        if raw not in (None, ""):
            values["time_scale"] = _number(TIME_SCALE_VAR, raw, "1.0 (real time) or 0.02")
        raw = environ.get(SANDBOX_VAR)
        if raw not in (None, ""):
            values["sandbox"] = raw.strip().lower()
        values["codedeploy"] = _group_from_env(CodeDeploySettings, environ)
        values["codebuild"] = _group_from_env(CodeBuildSettings, environ)
        values["iam"] = _group_from_env(IAMSettings, environ)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    def replace(self, **changes: Any) -> "Settings":
        """A copy with top-level fields, or `codedeploy={...}`/`codebuild={...}` field dicts, changed."""
        for name in ("codedeploy", "codebuild", "iam"):
            if isinstance(changes.get(name), dict):
                changes[name] = dataclasses.replace(getattr(self, name), **changes[name])
        return dataclasses.replace(self, **changes)

    def as_env(self) -> dict[str, str]:
        """The variables that make `Settings.from_env()` in another process equal to this value."""
        env = {TIME_SCALE_VAR: repr(self.time_scale), SANDBOX_VAR: self.sandbox}
        for group in (self.codedeploy, self.codebuild, self.iam):
            for f in fields(group):
                value = getattr(group, f.name)
                env[_var(group, f.name)] = ("true" if value else "false") if isinstance(value, bool) else repr(value)
        return env


def _var(group, name: str) -> str:
    service = type(group).__name__.removesuffix("Settings").upper()
    return f"LOCALCLOUD_{service}_{name.upper()}"


def _group_from_env(cls, environ: Mapping[str, str]):
    values: dict[str, Any] = {}
    for f in fields(cls):
        var = _var(cls(), f.name)
        raw = environ.get(var)
        if raw in (None, ""):
            continue
        default = getattr(cls(), f.name)
        if isinstance(default, bool):
            lowered = raw.strip().lower()
            if lowered not in ("1", "true", "yes", "on", "0", "false", "no", "off"):
                raise SettingsError(f"{var}={raw!r} is not a yes/no value; use true or false")
            values[f.name] = lowered in ("1", "true", "yes", "on")
        elif isinstance(default, int):
            try:
                values[f.name] = int(raw)
            except ValueError:
                raise SettingsError(f"{var}={raw!r} is not a whole number") from None
        else:
            values[f.name] = _number(var, raw, "a number of seconds")
    return cls(**values)


def _number(name: str, raw: str, example: str) -> float:
    try:
        return float(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not a number; use e.g. {example}") from None


def _check_positive(name: str, value: float, var: str) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SettingsError(f"{name} must be a number, got {value!r}")
    if not value > 0:
        raise SettingsError(f"{name} ({var}) must be > 0, got {value}")
