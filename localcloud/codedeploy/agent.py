"""The CodeDeploy agent of one instance: download, unpack, install, run lifecycle hook scripts.

It works on the instance's host (the fleet's door: `InstanceHost`) the way the real agent works
on a host, and reads the revision through S3's door as the instance profile's role: the deployment root is `$INSTANCE_ROOT/opt/codedeploy-agent/deployment-root`,
`files:` land under `$INSTANCE_ROOT` (`/opt/app` -> `$INSTANCE_ROOT/opt/app`), the last successful
and most recent installs are remembered in `deployment-instructions/` files per deployment group,
and scripts run in their own process group with the agent's environment, killed (SIGTERM to the
group) when their timeout - scaled by the localcloud clock - runs out.
"""
from __future__ import annotations

import fnmatch
import logging
import os
import posixpath
import select
import shutil
import signal
import stat
import subprocess
import tarfile
import threading
import zipfile
from collections import deque
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from localcloud.codedeploy import appspec as appspec_mod
from localcloud.codedeploy.appspec import AppSpec, AppSpecError
from localcloud.exceptions import AWSError
from localcloud.fleet.contract import InstanceHost
from localcloud.principal import Principal

log = logging.getLogger("localcloud.codedeploy.agent")

LOG_TAIL_CHARS = 4096   # "up to the last 4 KB of the diagnostic log" (botocore codedeploy model, LogTail)
#: how long a script's stdout/stderr may stay open after it exits (a background process that
#: did not redirect its output) before the event fails, in real seconds.
OUTPUT_CLOSE_GRACE = 2.0

LAST_SUCCESSFUL, MOST_RECENT, CURRENT = "last_successful", "most_recent", "current"
# Which revision's appspec each hook comes from (agent HookExecutor mappings).
NORMAL_MAPPING = {"ApplicationStop": LAST_SUCCESSFUL, "BeforeBlockTraffic": LAST_SUCCESSFUL,
                  "AfterBlockTraffic": LAST_SUCCESSFUL}
BLUE_GREEN_ROLLBACK_MAPPING = {"BeforeAllowTraffic": LAST_SUCCESSFUL, "AfterAllowTraffic": LAST_SUCCESSFUL,
                               "BeforeBlockTraffic": MOST_RECENT, "AfterBlockTraffic": MOST_RECENT}


@dataclass(frozen=True)
class DeploymentSpec:
    """What the agent is told about a deployment (the agent's deployment specification)."""
    deployment_id: str
    group_id: str
    group_name: str
    application: str
    creator: str
    deployment_type: str         # IN_PLACE | BLUE_GREEN
    s3_location: dict             # {bucket, key, bundleType, version?, eTag?}
    file_exists_behavior: str = "DISALLOW"

    @property
    def is_blue_green_rollback(self) -> bool:
        return self.creator == "codeDeployRollback" and self.deployment_type == "BLUE_GREEN"


class LifecycleFailure(Exception):
    """A lifecycle event failed; `diagnostics` is the LifecycleEvent.diagnostics AWS shows."""

    def __init__(self, error_code: str, message: str, script_name: str = "", log_tail: str = ""):
        super().__init__(message)
        self.diagnostics = {"errorCode": error_code, "scriptName": script_name, "message": message, "logTail": log_tail}


def success(log_tail: str = "") -> dict:
    return {"errorCode": "Success", "scriptName": "", "message": "Succeeded", "logTail": log_tail}


class ScriptLog:
    """The rolling tail of script output, each line prefixed [stdout]/[stderr] like the agent's."""

    def __init__(self, logfile: Path):
        self._lines: deque[str] = deque()
        self._size = 0
        self._lock = threading.Lock()
        logfile.parent.mkdir(parents=True, exist_ok=True)
        self._file = logfile.open("a", encoding="utf-8")

    def add(self, line: str) -> None:
        with self._lock:
            self._lines.append(line)
            self._size += len(line)
            while self._size > LOG_TAIL_CHARS and len(self._lines) > 1:
                self._size -= len(self._lines.popleft())
            self._file.write(f"{datetime.now():%Y-%m-%d %H:%M:%S} {line}")
            self._file.flush()

    def tail(self) -> str:
        with self._lock:
            return "".join(self._lines)[-LOG_TAIL_CHARS:]

    def close(self) -> None:
        self._file.close()


class Agent:
    """`s3` is S3's door (`get_object(principal, bucket, key, version_id, if_match) -> bytes`),
    `principal` what the agent acts as (the instance profile's role; see principals.py)."""

    def __init__(self, cloud, runtime: InstanceHost, s3, principal: Principal):
        self.cloud = cloud
        self.s3 = s3
        self.principal = principal
        self.runtime = runtime
        self.root = Path(runtime.root) / "opt" / "codedeploy-agent" / "deployment-root"
        self.instructions = self.root / "deployment-instructions"

    # -- where things are ---------------------------------------------------------------------
    def deployment_dir(self, spec: DeploymentSpec) -> Path:
        return self.root / spec.group_id / spec.deployment_id

    def _pointer(self, group_id: str, kind: str) -> Path:
        return self.instructions / f"{group_id}_{kind}_install"

    def install_dir(self, group_id: str, kind: str) -> Path | None:
        pointer = self._pointer(group_id, kind)
        if not pointer.is_file():
            return None
        target = Path(pointer.read_text().strip())
        return target if (target / "deployment-archive").is_dir() else None

    def _remember(self, spec: DeploymentSpec, kind: str) -> None:
        self.instructions.mkdir(parents=True, exist_ok=True)
        self._pointer(spec.group_id, kind).write_text(str(self.deployment_dir(spec)))

    def host_path(self, aws_path: str) -> Path:
        """An absolute path on the 'instance' (e.g. /opt/app) inside INSTANCE_ROOT. Normalised
        first, as the instance's own filesystem would: `/opt/../etc` is `/etc`, and `/..` is
        `/`, so no spelling of an instance path leaves INSTANCE_ROOT."""
        normal = posixpath.normpath("/" + aws_path.lstrip("/"))
        return Path(self.runtime.root) / normal.lstrip("/")

    def _contained(self, path: Path) -> bool:
        """Whether `path`, symlinks followed, is still on the instance: a link a hook script made
        to a host path must not carry a later deployment's files (or modes) onto the host."""
        return Path(os.path.realpath(path)).is_relative_to(os.path.realpath(self.runtime.root))

    def _refuse_escape(self, aws_path: str, path: Path) -> LifecycleFailure:
        return LifecycleFailure("UnknownError", f"The deployment failed because {aws_path} resolves outside the "
                                f"instance ({os.path.realpath(path)}): localcloud's instances live in a directory "
                                "of the host, and a symlink out of it is not followed")

    # -- lifecycle events ---------------------------------------------------------------------
    def run_event(self, spec: DeploymentSpec, event: str) -> dict:
        """Run one agent-side lifecycle event; returns diagnostics or raises LifecycleFailure."""
        if event == "DownloadBundle":
            return self.download_bundle(spec)
        if event == "Install":
            return self.install(spec)
        return self.run_hooks(spec, event)

    def download_bundle(self, spec: DeploymentSpec) -> dict:
        loc = spec.s3_location
        workdir = self.deployment_dir(spec)
        archive_dir = workdir / "deployment-archive"
        shutil.rmtree(workdir, ignore_errors=True)
        archive_dir.mkdir(parents=True)
        bundle = workdir / "bundle"
        try:
            body = self.s3.get_object(self.principal, loc["bucket"], loc["key"], version_id=loc.get("version") or None,
                                      if_match=loc.get("eTag") or None)
        except AWSError as exc:
            raise LifecycleFailure("UnknownError", f"{exc.code}: {exc.message} (s3://{loc['bucket']}/{loc['key']})") from None
        bundle.write_bytes(body)
        try:
            _unpack(bundle, loc.get("bundleType"), archive_dir)
        except (zipfile.BadZipFile, tarfile.TarError, OSError, ValueError) as exc:
            raise LifecycleFailure("UnknownError", f"The revision could not be unpacked as {loc.get('bundleType')}: {exc}") from None
        finally:
            bundle.unlink(missing_ok=True)
        _strip_leading_directory(archive_dir)
        self._remember(spec, "most_recent")
        return success()

    def install(self, spec: DeploymentSpec) -> dict:
        archive = self.deployment_dir(spec) / "deployment-archive"
        try:
            app = appspec_mod.load(archive)
            unknown = appspec_mod.unknown_events(app)
            if unknown:
                raise AppSpecError(appspec_mod.unknown_events_message(app, unknown))
        except AppSpecError as exc:
            raise LifecycleFailure("UnknownError", str(exc)) from None
        behavior = app.file_exists_behavior or spec.file_exists_behavior or "DISALLOW"
        cleanup = self.instructions / f"{spec.group_id}-cleanup"
        for old in (cleanup.read_text().splitlines() if cleanup.is_file() else []):
            if old and self._contained(Path(old).parent):
                Path(old).unlink(missing_ok=True)  # what the previous install put there
        installed: list[str] = []
        try:
            for mapping in app.files:
                self._copy(archive, mapping, behavior, installed)
            for perm in app.permissions:
                self._apply_permission(perm)
        finally:
            self.instructions.mkdir(parents=True, exist_ok=True)
            cleanup.write_text("".join(f"{p}\n" for p in installed))
        self._remember(spec, "last_successful")
        return success()

    def _copy(self, archive: Path, mapping, behavior: str, installed: list[str]) -> None:
        source = (archive / mapping.source.lstrip("/")).resolve()
        if not source.is_relative_to(archive.resolve()) or not source.exists():
            raise LifecycleFailure("UnknownError", f"The deployment failed because the specified source ({mapping.source}) does not exist in the revision.")
        dest_root = self.host_path(mapping.destination)
        pairs = ([(source, dest_root / source.name)] if source.is_file() else
                 [(p, dest_root / p.relative_to(source)) for p in sorted(source.rglob("*")) if p.is_file()])
        for src, dst in pairs:
            if not self._contained(dst.parent) or (dst.is_symlink() and not self._contained(dst)):
                raise self._refuse_escape(mapping.destination, dst)
            if dst.exists():
                if behavior == "DISALLOW":
                    shown = "/" + str(dst.relative_to(self.runtime.root))
                    raise LifecycleFailure("UnknownError", f"The deployment failed because a specified file already exists at this location: {shown}")
                if behavior == "RETAIN":
                    continue
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)
            installed.append(str(dst))

    def _apply_permission(self, perm) -> None:
        # Best effort: modes only (owner/group/acls/context need root and real users).
        if perm.mode is None:
            return
        base = self.host_path(perm.object)
        candidates = [base] if base.is_file() else ([base, *base.rglob("*")] if base.exists() else [])
        for path in candidates:
            if not self._contained(path):
                raise self._refuse_escape(perm.object, path)
            name = path.name
            kind = "directory" if path.is_dir() else "file"
            if kind not in perm.types or any(fnmatch.fnmatch(name, e) for e in perm.except_):
                continue
            if perm.pattern != "**" and not fnmatch.fnmatch(name, perm.pattern):
                continue
            try:
                os.chmod(path, int(perm.mode, 8))
            except (ValueError, OSError):
                pass

    # -- hooks ---------------------------------------------------------------------------------
    def _hook_source(self, spec: DeploymentSpec, event: str) -> Path | None:
        mapping = BLUE_GREEN_ROLLBACK_MAPPING if spec.is_blue_green_rollback else NORMAL_MAPPING
        which = mapping.get(event, CURRENT)
        if which == CURRENT:
            current = self.deployment_dir(spec)
            return current if (current / "deployment-archive").is_dir() else None
        return self.install_dir(spec.group_id, which)

    def run_hooks(self, spec: DeploymentSpec, event: str) -> dict:
        source = self._hook_source(spec, event)
        if source is None:
            return success()  # e.g. ApplicationStop on a fresh instance: "does not run the first time"
        archive = source / "deployment-archive"
        try:
            app: AppSpec = appspec_mod.load(archive)
        except AppSpecError as exc:
            raise LifecycleFailure("UnknownError", str(exc)) from None
        scripts = app.scripts(event)
        if not scripts:
            return success()
        script_log = ScriptLog(self.deployment_dir(spec) / "logs" / "scripts.log")
        try:
            script_log.add(f"LifecycleEvent - {event}\n")
            for script in scripts:
                self._run_script(spec, event, archive, script, script_log)
            return success(script_log.tail())
        finally:
            script_log.close()

    def _env(self, spec: DeploymentSpec, event: str) -> dict[str, str]:
        loc = spec.s3_location
        env = dict(self.cloud.endpoint_env())  # credentials and Region: the instance's (fleet)
        env.update({
            "LIFECYCLE_EVENT": event, "DEPLOYMENT_ID": spec.deployment_id,
            "APPLICATION_NAME": spec.application, "DEPLOYMENT_GROUP_NAME": spec.group_name,
            "DEPLOYMENT_GROUP_ID": spec.group_id,
            "BUNDLE_BUCKET": loc.get("bucket", ""), "BUNDLE_KEY": loc.get("key", ""),
            "BUNDLE_ETAG": loc.get("eTag") or "",
        })
        if loc.get("version"):  # only with a versioned bucket
            env["BUNDLE_VERSION"] = loc["version"]
        return env

    def _run_script(self, spec, event, archive: Path, script, script_log: ScriptLog) -> None:
        # the location is relative to the revision's root, an instance path like any other
        on_instance = "/" + str(archive.relative_to(self.runtime.root))
        path = self.host_path(posixpath.join(on_instance, script.location))
        if path.exists() and not self._contained(path):
            raise LifecycleFailure("ScriptFailed", f"Script at specified location: {script.location} resolves outside "
                                   "the instance; localcloud does not run host files", script.location, script_log.tail())
        if not path.is_file():
            raise LifecycleFailure("ScriptMissing", f"Script does not exist at specified location: {path}",
                                   script.location, script_log.tail())
        if not os.access(path, os.X_OK):
            try:
                path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
            except OSError:
                raise LifecycleFailure("ScriptNotExecutable", f"Unable to set script at specified location: {script.location} as executable",
                                       script.location, script_log.tail()) from None
        script_log.add(f"Script - {script.location}\n")
        # runas needs real users; the script runs as localcloud's user (the wording still names it).
        try:
            proc = self.runtime.spawn([str(path)], env=self._env(spec, event), cwd=archive,
                                      stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        except OSError as exc:  # e.g. a bad interpreter line
            raise LifecycleFailure("ScriptFailed", f"Script at specified location: {script.location} failed to start: {exc.strerror}",
                                   script.location, script_log.tail()) from None
        pump = _OutputPump(proc, script_log)
        try:
            code = proc.wait(timeout=self.cloud.clock.scaled(script.timeout))
        except subprocess.TimeoutExpired:
            _signal_group(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                _signal_group(proc.pid, signal.SIGKILL)
                proc.wait()
            pump.finish(OUTPUT_CLOSE_GRACE)
            raise LifecycleFailure("ScriptTimedOut", f"Script at specified location: {script.location} failed to complete in {script.timeout} seconds",
                                   script.location, script_log.tail()) from None
        if not pump.finish(OUTPUT_CLOSE_GRACE):
            # UNCONFIRMED which LifecycleErrorCode AWS shows for the agent's "outputs left open".
            raise LifecycleFailure("UnknownError", f"Script at specified location: {script.location} failed to close STDOUT",
                                   script.location, script_log.tail())
        if code != 0:
            who = f" run as user {script.runas}" if script.runas else ""
            raise LifecycleFailure("ScriptFailed", f"Script at specified location: {script.location}{who} failed with exit code {code}",
                                   script.location, script_log.tail())


class _OutputPump:
    """Reads a script's stdout and stderr line by line into the script log, without blocking on
    a pipe that a background process keeps open (the agent's "failed to close STDOUT" case)."""

    def __init__(self, proc: subprocess.Popen, script_log: ScriptLog):
        self.proc, self.log = proc, script_log
        self._stop = threading.Event()
        self._open = {proc.stdout.fileno(): ("[stdout]", b""), proc.stderr.fileno(): ("[stderr]", b"")}
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while self._open and not self._stop.is_set():
            ready, _, _ = select.select(list(self._open), [], [], 0.05)
            for fd in ready:
                prefix, partial = self._open[fd]
                chunk = os.read(fd, 65536)
                if not chunk:
                    if partial:
                        self.log.add(prefix + partial.decode("utf-8", "replace") + "\n")
                    del self._open[fd]
                    continue
                *lines, partial = (partial + chunk).split(b"\n")
                for line in lines:
                    self.log.add(prefix + line.decode("utf-8", "replace") + "\n")
                self._open[fd] = (prefix, partial)

    def finish(self, grace: float) -> bool:
        """Wait for both outputs to close; False if something still holds one open after `grace`."""
        self._thread.join(grace)
        closed = not self._thread.is_alive()
        self._stop.set()
        self._thread.join()
        self.proc.stdout.close()
        self.proc.stderr.close()
        return closed


def _signal_group(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)  # spawn() starts each script in its own session: pgid == pid
    except (ProcessLookupError, PermissionError):
        pass


def _unpack(bundle: Path, bundle_type: str | None, dest: Path) -> None:
    dest_resolved = dest.resolve()
    if bundle_type == "zip":
        with zipfile.ZipFile(bundle) as zf:
            for info in zf.infolist():
                target = (dest / info.filename).resolve()
                if not target.is_relative_to(dest_resolved):  # a string prefix would let "../dest2/x" through
                    raise ValueError(f"archive member escapes the archive: {info.filename}")
                zf.extract(info, dest)
                mode = info.external_attr >> 16
                if mode and not info.is_dir():
                    os.chmod(target, stat.S_IMODE(mode))
        return
    if bundle_type in ("tar", "tgz"):
        with tarfile.open(bundle, "r:gz" if bundle_type == "tgz" else "r:") as tf:
            tf.extractall(dest, filter="data")
        return
    raise ValueError(f"bundle type {bundle_type!r} is not supported for EC2 (zip, tar, tgz)")


def _strip_leading_directory(archive_dir: Path) -> None:
    """Like the agent: a single top-level directory holding an appspec file is stripped."""
    entries = list(archive_dir.iterdir())
    if len(entries) != 1 or not entries[0].is_dir():
        return
    inner = entries[0]
    if not any("appspec" in p.name.lower() for p in inner.iterdir() if p.is_file()):
        return
    log.info("Stripping leading directory from archive bundle contents.")
    staging = archive_dir.with_name(archive_dir.name + ".strip")
    inner.rename(staging)
    archive_dir.rmdir()
    staging.rename(archive_dir)
