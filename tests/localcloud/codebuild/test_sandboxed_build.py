"""A build runs in a sandbox: it cannot read the host's environment through /proc or see its
processes, writes only its own work directory, has a private /tmp and its compute type's memory
per process, and still reaches localcloud on 127.0.0.1 (docs/sandbox.md)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from localcloud.sandbox import bwrap

pytestmark = [pytest.mark.integration,
              pytest.mark.skipif(not bwrap.probe().available and os.environ.get("LOCALCLOUD_SANDBOX") != "mandatory",
                                 reason=f"no sandbox here: {bwrap.probe().reason}")]

PLANT = "plant-" + os.urandom(6).hex()

BUILDSPEC = """version: 0.2
phases:
  build:
    commands:
      - echo "processes=$(ls /proc | grep -c '^[0-9]')"
      - if cat /proc/{host_pid}/environ /proc/[0-9]*/environ 2>/dev/null | tr '\\0' '\\n' | grep -q {plant}; then echo LEAKED; fi
      - for d in /work {repo} {host_home} /etc; do touch "$d/{plant}" 2>/dev/null && echo "WROTE $d"; done; true
      - touch "$CODEBUILD_SRC_DIR/mine" && echo own-dir-ok
      - if [ -e /tmp/{plant} ]; then echo SAW-HOST-TMP; fi
      - echo "memory=$(ulimit -v)"
      - aws sts get-caller-identity --query Arn --output text
"""


def test_a_build_is_held_in_its_sandbox(codebuild, monkeypatch):
    monkeypatch.setenv("LOCALCLOUD_TEST_HOST_SECRET", PLANT)  # in the host's environment only
    repo = Path(__file__).resolve().parents[3]
    host_tmp = Path("/tmp") / PLANT
    host_tmp.write_text("host")
    try:
        project = codebuild.project(BUILDSPEC.format(host_pid=os.getpid(), plant=PLANT, repo=repo, host_home=Path.home()),
                                    environment={"type": "LINUX_CONTAINER", "image": "aws/codebuild/standard:7.0",
                                                 "computeType": "BUILD_GENERAL1_SMALL"})
        build = codebuild.run(project, timeout=60)
    finally:
        host_tmp.unlink()
    lines = codebuild.log(build)
    assert build["buildStatus"] == "SUCCEEDED", lines
    log = "\n".join(line for line in lines if not line.startswith("[Container]"))  # output only, no command text
    processes = int(log.split("processes=")[1].split()[0])
    assert processes < 10, log
    assert "LEAKED" not in log and "WROTE" not in log and "SAW-HOST-TMP" not in log
    assert "own-dir-ok" in log
    assert f"memory={4 * 1024 * 1024}" in log  # BUILD_GENERAL1_SMALL: 4 GiB, in KiB
    assert ":assumed-role/" in log  # the service role's session, over loopback
    assert not any((d / PLANT).exists() for d in (repo, Path("/work"), Path.home()))
