"""Builds really run their buildspec: phases, one shell, failure semantics, environment."""
from __future__ import annotations

import os
import re
import time

import pytest

pytestmark = pytest.mark.integration

PHASES = ["SUBMITTED", "QUEUED", "PROVISIONING", "DOWNLOAD_SOURCE", "INSTALL", "PRE_BUILD", "BUILD",
          "POST_BUILD", "UPLOAD_ARTIFACTS", "FINALIZING", "COMPLETED"]


def test_passing_build_runs_every_phase_in_one_shell(codebuild):
    project = codebuild.project("""version: 0.2
env:
  exported-variables: [RESULT]
phases:
  install:
    commands:
      - mkdir -p work && cd work
      - export STAGE=installed
  build:
    commands:
      - echo "cwd=$(basename $(pwd)) stage=$STAGE"
      - export RESULT=built-$CODEBUILD_BUILD_NUMBER
""")
    build = codebuild.run(project)
    assert build["buildStatus"] == "SUCCEEDED"
    assert build["currentPhase"] == "COMPLETED" and build["buildComplete"] is True
    assert build["id"].startswith(project + ":") and build["buildNumber"] == 1
    assert codebuild.phase_types(build) == PHASES
    completed = build["phases"][-1]
    assert set(completed) == {"phaseType", "startTime"}
    for phase in build["phases"][:-1]:
        assert phase["phaseStatus"] == "SUCCEEDED" and phase["endTime"] >= phase["startTime"]
    assert build["exportedEnvironmentVariables"] == [{"name": "RESULT", "value": "built-1"}]
    lines = codebuild.log(build)
    assert "cwd=work stage=installed" in lines  # cd and export persisted between commands
    assert any(re.match(r"^\[Container\] \d{4}/\d\d/\d\d \d\d:\d\d:\d\d\.\d{6} Entering phase BUILD$", l) for l in lines)
    assert build["logs"]["groupName"] == f"/aws/codebuild/{project}"
    assert build["logs"]["streamName"] == build["id"].split(":", 1)[1]
    assert build["logs"]["cloudWatchLogsArn"].endswith(f":log-stream:{build['logs']['streamName']}")
    # build numbers increase per project
    assert codebuild.run(project)["buildNumber"] == 2


def test_build_failure_still_runs_post_build_and_upload_with_succeeding_zero(codebuild):
    project = codebuild.project("""version: 0.2
phases:
  build:
    commands:
      - echo before
      - sh -c 'exit 3'
      - echo never-printed
    finally:
      - echo finally-ran
  post_build:
    commands:
      - echo "post succeeding=$CODEBUILD_BUILD_SUCCEEDING"
""")
    build = codebuild.run(project)
    assert build["buildStatus"] == "FAILED"
    failed = codebuild.phase(build, "BUILD")
    assert failed["phaseStatus"] == "FAILED"
    assert failed["contexts"] == [{"statusCode": "COMMAND_EXECUTION_ERROR",
                                   "message": "Error while executing command: sh -c 'exit 3'. Reason: exit status 3"}]
    assert codebuild.phase(build, "POST_BUILD")["phaseStatus"] == "SUCCEEDED"
    assert codebuild.phase(build, "UPLOAD_ARTIFACTS")["phaseStatus"] == "SUCCEEDED"
    lines = codebuild.log(build)
    assert "never-printed" not in lines
    assert "finally-ran" in lines and "post succeeding=0" in lines
    assert any(l.endswith("Command did not exit successfully sh -c 'exit 3' exit status 3") for l in lines)


def test_pre_build_failure_skips_to_finalizing(codebuild):
    project = codebuild.project("""version: 0.2
phases:
  pre_build:
    commands:
      - "false"
  build:
    commands:
      - echo build-ran
""")
    build = codebuild.run(project)
    assert build["buildStatus"] == "FAILED"
    types = codebuild.phase_types(build)
    assert "BUILD" not in types and "POST_BUILD" not in types and "UPLOAD_ARTIFACTS" not in types
    assert types[-3:] == ["PRE_BUILD", "FINALIZING", "COMPLETED"]
    assert "build-ran" not in codebuild.log(build)


def test_on_failure_continue_moves_to_next_phase_and_abort_ends_the_build(codebuild):
    project = codebuild.project("""version: 0.2
phases:
  install:
    on-failure: CONTINUE
    commands:
      - "false"
  build:
    on-failure: ABORT
    commands:
      - echo build-ran-after-continue
      - exit 5
  post_build:
    commands:
      - echo post-ran
""")
    build = codebuild.run(project)
    assert build["buildStatus"] == "FAILED"
    assert codebuild.phase(build, "INSTALL")["phaseStatus"] == "FAILED"
    assert codebuild.phase(build, "BUILD")["contexts"][0]["message"].endswith("Reason: exit status 5")
    assert codebuild.phase(build, "POST_BUILD") is None  # ABORT: no further phase
    lines = codebuild.log(build)
    assert "build-ran-after-continue" in lines and "post-ran" not in lines


def test_finally_failure_fails_the_phase(codebuild):
    project = codebuild.project("""version: 0.2
phases:
  build:
    commands:
      - echo ok
    finally:
      - ls /definitely/not/there
""")
    build = codebuild.run(project)
    assert build["buildStatus"] == "FAILED"
    assert codebuild.phase(build, "BUILD")["contexts"][0]["message"] == (
        "Error while executing command: ls /definitely/not/there. Reason: exit status 2")


def test_version_0_1_runs_each_command_in_its_own_shell(codebuild):
    project = codebuild.project("""version: 0.1
phases:
  build:
    commands:
      - export ONLY_HERE=1
      - echo "value=[$ONLY_HERE]"
""")
    build = codebuild.run(project)
    assert build["buildStatus"] == "SUCCEEDED"
    assert "value=[]" in codebuild.log(build)


def test_environment_is_clean_private_and_points_at_localcloud(codebuild, localcloud, monkeypatch):
    monkeypatch.setenv("HOST_ONLY_SECRET", "leaked")  # the host's environment must not reach builds
    project = codebuild.project("""version: 0.2
env:
  variables:
    LEVEL: buildspec
    ONLY_SPEC: spec
phases:
  build:
    commands:
      - echo "host=[$HOST_ONLY_SECRET] level=$LEVEL spec=$ONLY_SPEC project=$ONLY_PROJECT"
      - echo "home=$HOME"
      - echo "endpoint=$AWS_ENDPOINT_URL region=$AWS_REGION"
      - echo "src=$CODEBUILD_SRC_DIR initiator=$CODEBUILD_INITIATOR id=$CODEBUILD_BUILD_ID"
      - aws s3api list-buckets --query 'Owner' --output text > /dev/null && echo cli-reached-localcloud
      - test "$(command -v python)" = "$(dirname $(command -v pytest))/python" && echo venv-first
""", environment={"type": "LINUX_CONTAINER", "image": "img", "computeType": "BUILD_GENERAL1_SMALL",
                  "environmentVariables": [{"name": "LEVEL", "value": "project"},
                                           {"name": "ONLY_PROJECT", "value": "proj"}]})
    build = codebuild.run(project, environmentVariablesOverride=[{"name": "LEVEL", "value": "override"}])
    lines = codebuild.log(build)
    assert build["buildStatus"] == "SUCCEEDED", lines
    assert "host=[] level=override spec=spec project=proj" in lines
    home = next(l for l in lines if l.startswith("home="))[5:]
    # the build's own work directory (a warm sandbox's, so not named after the build)
    assert home != os.environ.get("HOME") and home.startswith(f"{localcloud.state_dir}/codebuild/")
    assert f"endpoint={localcloud.url} region=us-east-1" in lines
    assert any(l.startswith("src=") and l.endswith(f"initiator=root id={build['id']}") for l in lines)
    assert "cli-reached-localcloud" in lines and "venv-first" in lines
    assert not os.path.exists(home), "the work directory is deleted after the build"


def test_sh_shell_is_honoured(codebuild):
    project = codebuild.project("""version: 0.2
env:
  shell: /bin/sh
phases:
  build:
    commands:
      - 'if [ -n "$BASH_VERSION" ]; then echo bash; else echo posix-sh; fi'
""")
    build = codebuild.run(project)
    assert "posix-sh" in codebuild.log(build)


def test_runtime_versions_are_accepted_with_a_host_runtime_note(codebuild):
    project = codebuild.project("""version: 0.2
phases:
  install:
    runtime-versions:
      python: 3.12
  build:
    commands:
      - python -c "print('py-ok')"
""")
    build = codebuild.run(project)
    assert build["buildStatus"] == "SUCCEEDED"
    lines = codebuild.log(build)
    assert any("Skipping install of runtimes" in l and "host's runtimes" in l for l in lines)


def test_list_builds_and_retry(codebuild):
    project = codebuild.project("version: 0.2\nphases:\n  build:\n    commands:\n      - echo hi\n")
    first = codebuild.run(project)
    retried = codebuild.client.retry_build(id=first["id"])["build"]
    second = codebuild.wait(retried["id"])
    assert second["buildStatus"] == "SUCCEEDED" and second["buildNumber"] == 2
    ids = codebuild.client.list_builds_for_project(projectName=project)["ids"]
    assert ids == [second["id"], first["id"]]  # most recent first
    assert first["id"] in codebuild.client.list_builds()["ids"]
    found = codebuild.client.batch_get_builds(ids=[first["id"], f"{project}:00000000-0000-0000-0000-000000000000"])
    assert [b["id"] for b in found["builds"]] == [first["id"]]
    assert found["buildsNotFound"] == [f"{project}:00000000-0000-0000-0000-000000000000"]
    deleted = codebuild.client.batch_delete_builds(ids=[first["id"]])
    assert deleted["buildsDeleted"] == [first["id"]]


def test_a_running_builds_log_can_be_followed(codebuild, aws):
    project = codebuild.project("version: 0.2\nphases:\n  build:\n    commands:\n      - echo first-line && sleep 2\n")
    build = codebuild.client.start_build(projectName=project)["build"]
    stream = build["id"].split(":", 1)[1]
    logs = aws("logs")
    seen_at, deadline = None, time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            events = logs.get_log_events(logGroupName=f"/aws/codebuild/{project}", logStreamName=stream)["events"]
        except logs.exceptions.ResourceNotFoundException:
            events = []
        if any(e["message"] == "first-line\n" for e in events):
            seen_at = time.monotonic()
            break
        time.sleep(0.05)
    assert seen_at is not None
    assert codebuild.client.batch_get_builds(ids=[build["id"]])["builds"][0]["buildStatus"] == "IN_PROGRESS"
    assert codebuild.wait(build["id"])["buildStatus"] == "SUCCEEDED"
