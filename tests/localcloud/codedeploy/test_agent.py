"""The agent on one instance runtime: unpack, install, hooks, diagnostics (no HTTP)."""
from __future__ import annotations

import os
import tarfile
import time
import zipfile
from pathlib import Path

import pytest

from localcloud.clock import Clock
from localcloud.codedeploy.agent import Agent, DeploymentSpec, LifecycleFailure
from localcloud.fleet.instances import InstanceRuntimes
from localcloud.processes import _pids_with_marker, alive
from localcloud.sandbox import Sandboxes, bwrap
from localcloud.principal import Principal
from tests.localcloud.codedeploy import infra


class FakeS3:
    """S3's door as the agent uses it."""

    def __init__(self):
        self.objects = {}
        self.readers = []

    def get_object(self, principal, bucket, key, version_id=None, if_match=None):
        self.readers.append(principal)
        return self.objects[(bucket, key)]


AGENT = Principal.assumed_role("arn:aws:iam::123456789012:role/app-instance", "i-0agent")


class FakeCloud:
    def __init__(self, tmp_path, scale=0.02):
        self.state_dir = tmp_path
        self.clock = Clock(scale)
        self.s3 = FakeS3()
        self.token = "agenttest" + os.urandom(3).hex()
        self.url = "http://127.0.0.1:1"
        self.sandboxes = Sandboxes("auto", marker_prefix=self.token + "/")  # sandboxed hooks, as in localcloud

    def owner(self, kind, ident):
        return f"{self.token}/{kind}/{ident}"

    def endpoint_env(self):
        return {"AWS_ENDPOINT_URL": "http://127.0.0.1:1"}


@pytest.fixture
def cloud(tmp_path):
    c = FakeCloud(tmp_path)
    yield c
    InstanceRuntimes(c).reset()
    c.sandboxes.close()


@pytest.fixture
def agent(cloud):
    runtimes = InstanceRuntimes(cloud)
    yield Agent(cloud, runtimes.runtime("i-0agent"), cloud.s3, AGENT)
    runtimes.reset()


def spec(cloud, data: bytes, deployment="d-AAAAAAAAA", bundle_type="zip", **kw) -> DeploymentSpec:
    cloud.s3.objects[("b", deployment)] = data
    return DeploymentSpec(deployment, "dg-1", "group", "app", kw.get("creator", "user"), kw.get("type", "IN_PLACE"),
                          {"bucket": "b", "key": deployment, "bundleType": bundle_type, "eTag": "abc"},
                          kw.get("behavior", "DISALLOW"))


def install(agent, s):
    for event in ("ApplicationStop", "DownloadBundle", "BeforeInstall", "Install", "AfterInstall"):
        agent.run_event(s, event)


@pytest.mark.parametrize("fmt", ["zip", "tar", "tgz"])
def test_bundle_formats_install_files_under_instance_root(cloud, agent, fmt):
    s = spec(cloud, infra.bundle("v1", fmt=fmt), bundle_type=fmt)
    install(agent, s)
    assert (agent.runtime.root / "opt/app/version.txt").read_text() == "v1"


def test_single_top_level_directory_is_stripped(cloud, agent):
    s = spec(cloud, infra.bundle("v1", top_dir="myapp-1.0"))
    install(agent, s)
    assert (agent.deployment_dir(s) / "deployment-archive" / "appspec.yml").is_file()


def test_hook_environment_and_log_tail(cloud, agent):
    hook = "#!/bin/sh\necho \"$LIFECYCLE_EVENT $DEPLOYMENT_ID $APPLICATION_NAME $DEPLOYMENT_GROUP_NAME $DEPLOYMENT_GROUP_ID\"\n" \
           "echo \"$BUNDLE_BUCKET $BUNDLE_KEY $BUNDLE_ETAG root=$INSTANCE_ROOT port=$APP_PORT\"\necho oops >&2\n" \
           "[ -z \"$HOME_SECRET\" ] && echo clean\n"
    appspec = "version: 0.0\nos: linux\nhooks:\n  AfterInstall:\n    - location: hook.sh\n"
    os.environ["HOME_SECRET"] = "leak"
    try:
        s = spec(cloud, infra.bundle("v1", appspec=appspec, extra={"hook.sh": hook}))
        agent.run_event(s, "DownloadBundle")
        agent.run_event(s, "Install")
        diag = agent.run_event(s, "AfterInstall")
    finally:
        del os.environ["HOME_SECRET"]
    tail = diag["logTail"]
    assert diag["errorCode"] == "Success"
    assert "[stdout]AfterInstall d-AAAAAAAAA app group dg-1\n" in tail
    assert f"[stdout]b d-AAAAAAAAA abc root={agent.runtime.root} port={agent.runtime.app_port}" in tail
    assert "[stderr]oops" in tail and "[stdout]clean" in tail
    assert (agent.deployment_dir(s) / "logs" / "scripts.log").read_text().count("LifecycleEvent - AfterInstall") == 1


def test_failing_script_gives_script_failed_with_agent_message(cloud, agent):
    appspec = "version: 0.0\nos: linux\nhooks:\n  ValidateService:\n    - location: scripts/validate.sh\n      runas: root\n"
    s = spec(cloud, infra.bundle("v1", appspec=appspec, validate=infra.VALIDATE_FAIL))
    install(agent, s)
    with pytest.raises(LifecycleFailure) as err:
        agent.run_event(s, "ValidateService")
    d = err.value.diagnostics
    assert d["errorCode"] == "ScriptFailed" and d["scriptName"] == "scripts/validate.sh"
    assert d["message"] == "Script at specified location: scripts/validate.sh run as user root failed with exit code 3"
    assert "[stdout]validating version" in d["logTail"] and "[stderr]version check failed" in d["logTail"]


def test_missing_script(cloud, agent):
    s = spec(cloud, infra.bundle("v1", omit=("scripts/start.sh",)))
    install(agent, s)
    with pytest.raises(LifecycleFailure) as err:
        agent.run_event(s, "ApplicationStart")
    assert err.value.diagnostics["errorCode"] == "ScriptMissing"
    assert err.value.diagnostics["message"].startswith("Script does not exist at specified location: /")


def test_timeout_is_scaled_and_kills_the_script_group(cloud, agent, tmp_path):
    marker = tmp_path / "child-alive"
    hook = f"#!/bin/sh\n(sleep 30; touch {marker}) &\nsleep 30\n"
    appspec = "version: 0.0\nos: linux\nhooks:\n  AfterInstall:\n    - location: slow.sh\n      timeout: 10\n"
    s = spec(cloud, infra.bundle("v1", appspec=appspec, extra={"slow.sh": hook}))
    agent.run_event(s, "DownloadBundle")
    started = time.monotonic()
    with pytest.raises(LifecycleFailure) as err:
        agent.run_event(s, "AfterInstall")
    assert time.monotonic() - started < 5  # 10 s at time scale 0.02
    assert err.value.diagnostics["errorCode"] == "ScriptTimedOut"
    assert err.value.diagnostics["message"] == "Script at specified location: slow.sh failed to complete in 10 seconds"


def test_application_stop_uses_last_successful_revision(cloud, agent):
    log = agent.runtime.root / "stops"  # on the instance: a sandboxed hook writes nowhere else
    stop = f"#!/bin/sh\necho \"$DEPLOYMENT_ID\" >> {log}\n"
    appspec = "version: 0.0\nos: linux\nfiles:\n  - source: /site\n    destination: /opt/app\nhooks:\n  ApplicationStop:\n    - location: stop.sh\n"
    first = spec(cloud, infra.bundle("v1", appspec=appspec, extra={"stop.sh": stop}), deployment="d-FIRST0001")
    assert agent.run_event(first, "ApplicationStop")["errorCode"] == "Success"   # fresh: no-op
    assert not log.exists()
    install(agent, first)
    second = spec(cloud, infra.bundle("v2", appspec="version: 0.0\nos: linux\nfiles:\n  - source: /site\n    destination: /opt/app\n"),
                  deployment="d-SECOND002")
    agent.run_event(second, "ApplicationStop")
    assert log.read_text().split() == ["d-SECOND002"]  # the old revision's script, this deployment's env
    install(agent, second)
    assert (agent.runtime.root / "opt/app/version.txt").read_text() == "v2"


def test_disallow_refuses_foreign_files_but_replaces_its_own(cloud, agent):
    first = spec(cloud, infra.bundle("v1"), deployment="d-FIRST0001")
    install(agent, first)
    install(agent, spec(cloud, infra.bundle("v2"), deployment="d-SECOND002"))  # its own files: replaced
    (agent.runtime.root / "opt/app/foreign.txt").write_text("x")
    third = spec(cloud, infra.bundle("v3", extra={"site/foreign.txt": "y"}), deployment="d-THIRD0003")
    agent.run_event(third, "DownloadBundle")
    with pytest.raises(LifecycleFailure, match="a specified file already exists at this location: /opt/app/foreign.txt"):
        agent.run_event(third, "Install")
    overwrite = spec(cloud, infra.bundle("v3", extra={"site/foreign.txt": "y"}), deployment="d-FOURTH004", behavior="OVERWRITE")
    install(agent, overwrite)
    assert (agent.runtime.root / "opt/app/foreign.txt").read_text() == "y"


def test_invalid_appspec_fails_at_before_install_and_unknown_hook_at_install(cloud, agent):
    quoted = spec(cloud, infra.bundle("v1", appspec='version: "0.0"\nos: linux\n'), deployment="d-QUOTED001")
    agent.run_event(quoted, "DownloadBundle")
    with pytest.raises(LifecycleFailure, match="invalid version value"):
        agent.run_event(quoted, "BeforeInstall")
    unknown = spec(cloud, infra.bundle("v1", appspec="version: 0.0\nos: linux\nhooks:\n  AfterDeploy:\n    - location: a.sh\n"),
                   deployment="d-UNKNOWN01")
    agent.run_event(unknown, "DownloadBundle")
    agent.run_event(unknown, "BeforeInstall")
    with pytest.raises(LifecycleFailure, match=r'unknown lifecycle events: \["AfterDeploy"\]'):
        agent.run_event(unknown, "Install")


def test_background_process_holding_stdout_fails_the_event(cloud, agent):
    hook = "#!/bin/sh\nsleep 30 &\necho started\n"
    appspec = "version: 0.0\nos: linux\nhooks:\n  ApplicationStart:\n    - location: bg.sh\n"
    s = spec(cloud, infra.bundle("v1", appspec=appspec, extra={"bg.sh": hook}))
    agent.run_event(s, "DownloadBundle")
    with pytest.raises(LifecycleFailure, match="failed to close STDOUT"):
        agent.run_event(s, "ApplicationStart")


# -- containment: no appspec path reaches the host outside the instance ------------------------
def _host_victim(tmp_path) -> Path:
    victim = tmp_path.parent / f"host-{os.urandom(3).hex()}"
    victim.mkdir()
    (victim / "passwd").write_text("host file")
    os.chmod(victim / "passwd", 0o600)
    return victim


def test_dotdot_in_files_and_permissions_stays_on_the_instance(cloud, agent, tmp_path):
    """`/opt/../../../x` is `/x` on an instance, as on any Linux filesystem: it lands in
    INSTANCE_ROOT, never beside it; a permissions object likewise changes only instance files."""
    victim = _host_victim(tmp_path)
    escape = "/" + "../" * 12 + str(victim).lstrip("/")
    appspec = ("version: 0.0\nos: linux\nfiles:\n  - source: site\n    destination: " + escape + "\n"
               "permissions:\n  - object: " + escape + "/passwd\n    mode: 777\n    type: [file]\n")
    s = spec(cloud, infra.bundle("v1", appspec=appspec, extra={"site/passwd": "from the revision"}))
    install(agent, s)
    assert (victim / "passwd").read_text() == "host file"
    assert os.stat(victim / "passwd").st_mode & 0o777 == 0o600
    landed = agent.runtime.root / str(victim).lstrip("/") / "passwd"
    assert landed.read_text() == "from the revision" and os.stat(landed).st_mode & 0o777 == 0o777


def test_a_symlink_out_of_the_instance_is_not_followed(cloud, agent, tmp_path):
    victim = _host_victim(tmp_path)
    (agent.runtime.root / "opt").mkdir(parents=True, exist_ok=True)
    os.symlink(victim, agent.runtime.root / "opt" / "app")   # what a hostile hook could leave behind
    s = spec(cloud, infra.bundle("v1", extra={"site/passwd": "overwrite"}), behavior="OVERWRITE")
    agent.run_event(s, "DownloadBundle")
    with pytest.raises(LifecycleFailure, match="resolves outside the instance"):
        agent.run_event(s, "Install")
    assert (victim / "passwd").read_text() == "host file"
    assert not (victim / "version.txt").exists()


def test_a_recorded_cleanup_path_outside_the_instance_is_never_deleted(cloud, agent, tmp_path):
    victim = _host_victim(tmp_path)
    first = spec(cloud, infra.bundle("v1"), deployment="d-FIRST0001")
    install(agent, first)
    cleanup = agent.instructions / "dg-1-cleanup"
    cleanup.write_text(cleanup.read_text() + f"{victim / 'passwd'}\n")   # a tampered cleanup file
    install(agent, spec(cloud, infra.bundle("v2"), deployment="d-SECOND002"))
    assert (victim / "passwd").read_text() == "host file"


def test_a_hook_location_outside_the_instance_is_not_run(cloud, agent, tmp_path):
    victim = _host_victim(tmp_path)
    (victim / "evil.sh").write_text("#!/bin/sh\ntouch \"$0.ran\"\n")
    os.chmod(victim / "evil.sh", 0o755)
    appspec = ("version: 0.0\nos: linux\nhooks:\n  AfterInstall:\n    - location: "
               + "../" * 20 + str(victim).lstrip("/") + "/evil.sh\n")
    s = spec(cloud, infra.bundle("v1", appspec=appspec))
    agent.run_event(s, "DownloadBundle")
    agent.run_event(s, "Install")
    with pytest.raises(LifecycleFailure) as failure:
        agent.run_event(s, "AfterInstall")
    assert failure.value.diagnostics["errorCode"] == "ScriptMissing"   # the instance has no such file
    assert not (victim / "evil.sh.ran").exists()


@pytest.mark.skipif(not bwrap.probe().available and os.environ.get("LOCALCLOUD_SANDBOX") != "mandatory",
                    reason=f"no sandbox here: {bwrap.probe().reason}")
def test_hooks_run_in_the_instance_sandbox_and_its_servers_outlive_them(cloud, agent, monkeypatch):
    plant = "plant-" + os.urandom(6).hex()
    monkeypatch.setenv("LOCALCLOUD_TEST_HOST_SECRET", plant)  # the host's environment only
    outside = Path(cloud.state_dir) / f"outside-{plant}"  # next to the instance root, on the host
    start = f"""#!/bin/bash
if cat /proc/{os.getpid()}/environ /proc/[0-9]*/environ 2>/dev/null | tr '\\0' '\\n' | grep -q {plant}; then echo LEAKED; exit 1; fi
touch {outside} 2>/dev/null
nohup sleep 300 >/dev/null 2>&1 </dev/null &
echo $! > "$INSTANCE_ROOT/server.pid"
"""
    stop = "#!/bin/bash\nkill -0 $(cat \"$INSTANCE_ROOT/server.pid\") && echo server-seen\n"
    appspec = ("version: 0.0\nos: linux\nhooks:\n  ApplicationStart:\n    - location: start.sh\n"
               "  ValidateService:\n    - location: stop.sh\n")
    s = spec(cloud, infra.bundle("v1", appspec=appspec, extra={"start.sh": start, "stop.sh": stop}))
    agent.run_event(s, "DownloadBundle")
    assert agent.run_event(s, "ApplicationStart")["errorCode"] == "Success"  # the server held no output open
    assert not outside.exists()
    # a later hook sees the server by the pid the first wrote: one PID namespace per instance
    assert "server-seen" in agent.run_event(s, "ValidateService")["logTail"]
    server = [p for p in _pids_with_marker(agent.runtime.owner, prefix=False) if alive(p) and _cmd(p)[:1] == [b"sleep"]]
    assert len(server) == 1
    agent.runtime.terminate()
    deadline = time.monotonic() + 5
    while alive(server[0]) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not alive(server[0])


def _cmd(pid: int) -> list[bytes]:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return fh.read().split(b"\0")
    except OSError:
        return []
