"""CodePipeline engine figures.

  stage transition   the engine's own overhead between one stage's last action finishing and the
                     next stage's first action starting (in-process engine, instant actions;
                     goal <= 50 ms)
  push -> Source     a git push (git CLI) to a repository whose EventBridge rule targets the
                     pipeline, until that commit's execution shows Source Succeeded in
                     GetPipelineState, at the suite's offline time scale (goal <= 1 s)

Usage: .venv/bin/python benchmarks/bench_codepipeline.py [--executions N] [--stages N] [--pushes N]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from capstone.profile import TIME_SCALE  # noqa: E402
from localcloud import LocalCloud  # noqa: E402
from localcloud.settings import Settings  # noqa: E402
from localcloud.clock import Clock  # noqa: E402
from localcloud.codepipeline.actions import Outcome  # noqa: E402
from localcloud.codepipeline.engine import ExecutionEngine  # noqa: E402
from localcloud.codepipeline.models import Pipeline, CodePipelineBackend  # noqa: E402

GOALS = {"transition_ms": 50.0, "push_s": 1.0}


def verdict(value: float, goal: float) -> str:
    return "ok" if value <= goal else "OVER GOAL"


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


# -- engine overhead -------------------------------------------------------------------------------
class _Instant:
    def run(self, run):
        return Outcome("Succeeded")


class _Cloud:
    clock = Clock(TIME_SCALE)
    region = "us-east-1"


def transitions(executions: int, stages: int) -> tuple[list[float], list[float]]:
    store = CodePipelineBackend()
    engine = ExecutionEngine(_Cloud(), store, runner_lookup=lambda action: _Instant())
    action = {"actionTypeId": {"category": "Build", "owner": "AWS", "provider": "Instant", "version": "1"},
              "runOrder": 1, "configuration": {}, "inputArtifacts": [], "outputArtifacts": []}
    declaration = {"name": "bench", "roleArn": "arn:aws:iam::123456789012:role/r", "version": 1,
                   "executionMode": "QUEUED", "artifactStore": {"type": "S3", "location": "b"},
                   "stages": [{"name": f"S{i}", "actions": [dict(action, name=f"A{i}")]} for i in range(stages)]}
    pipeline = Pipeline(name="bench", region="us-east-1", account_id="123456789012", declaration=declaration)
    pipeline.set_declaration(declaration)
    store.put(pipeline)
    gaps, per_stage = [], []
    for _ in range(executions):
        done = threading.Event()
        engine.listeners = [lambda kind, item: done.set() if kind.endswith("Pipeline Execution State Change")
                            and item["detail"]["state"] == "SUCCEEDED" else None]
        execution = engine.start(pipeline, {"triggerType": "StartPipelineExecution"})
        if not done.wait(30):
            raise SystemExit(f"execution did not finish: {execution.status}")
        runs = [execution.stages[f"S{i}"].actions[f"A{i}"] for i in range(stages)]
        gaps += [(b.start_time - a.last_update_time).total_seconds() * 1000 for a, b in zip(runs, runs[1:])]
        per_stage.append((execution.last_update_time - execution.start_time).total_seconds() * 1000 / stages)
    return gaps, per_stage


# -- push to Source Succeeded ----------------------------------------------------------------------
def push_to_source(pushes: int) -> list[float]:
    trust = lambda service: json.dumps({"Version": "2012-10-17", "Statement": [  # noqa: E731
        {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]})
    with LocalCloud(port=0, settings=Settings(time_scale=TIME_SCALE)) as cloud:
        iam, s3, cc, events, cp = (cloud.client(s) for s in ("iam", "s3", "codecommit", "events", "codepipeline"))
        pipeline_role = iam.create_role(RoleName="bench-pipeline", AssumeRolePolicyDocument=trust("codepipeline.amazonaws.com"))["Role"]["Arn"]
        events_role = iam.create_role(RoleName="bench-events", AssumeRolePolicyDocument=trust("events.amazonaws.com"))["Role"]["Arn"]
        s3.create_bucket(Bucket="bench-artifacts")
        repo = cc.create_repository(repositoryName="bench-app")["repositoryMetadata"]
        cc.put_file(repositoryName="bench-app", branchName="main", filePath="app.txt", fileContent=b"v0\n")
        cp.create_pipeline(pipeline={
            "name": "bench", "roleArn": pipeline_role, "pipelineType": "V2", "executionMode": "SUPERSEDED",
            "artifactStore": {"type": "S3", "location": "bench-artifacts"},
            "stages": [
                {"name": "Source", "actions": [{"name": "Source", "actionTypeId": {"category": "Source", "owner": "AWS", "provider": "CodeCommit", "version": "1"},
                                                "configuration": {"RepositoryName": "bench-app", "BranchName": "main", "PollForSourceChanges": "false"},
                                                "outputArtifacts": [{"name": "SourceArtifact"}]}]},
                {"name": "Approval", "actions": [{"name": "ManualApproval", "actionTypeId": {"category": "Approval", "owner": "AWS", "provider": "Manual", "version": "1"}}]},
            ]})
        events.put_rule(Name="bench-push", EventPattern=json.dumps({
            "source": ["aws.codecommit"], "detail-type": ["CodeCommit Repository State Change"], "resources": [repo["Arn"]],
            "detail": {"referenceType": ["branch"], "referenceName": ["main"]}}))
        events.put_targets(Rule="bench-push", Targets=[{"Id": "p", "Arn": f"arn:aws:codepipeline:us-east-1:123456789012:bench", "RoleArn": events_role}])

        work = Path(tempfile.mkdtemp(prefix="bench-cp-"))
        env = {"PATH": os.environ["PATH"], "HOME": str(work), "GIT_CONFIG_NOSYSTEM": "1", "GIT_TERMINAL_PROMPT": "0"}
        git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.com"]
        samples = []
        try:
            subprocess.run(git + ["clone", "-q", repo["cloneUrlHttp"], str(work / "w")], check=True, env=env)
            for i in range(pushes):
                (work / "w" / "app.txt").write_text(f"v{i + 1}\n")
                subprocess.run(git + ["commit", "-q", "-am", f"v{i + 1}"], cwd=work / "w", check=True, env=env)
                commit = subprocess.run(git + ["rev-parse", "HEAD"], cwd=work / "w", check=True, env=env,
                                        capture_output=True, text=True).stdout.strip()
                t = time.perf_counter()
                subprocess.run(git + ["push", "-q", "origin", "HEAD:main"], cwd=work / "w", check=True, env=env)
                samples.append(_until_source_succeeded(cp, commit, t))
        finally:
            shutil.rmtree(work, ignore_errors=True)
        return samples


def _until_source_succeeded(cp, commit: str, started: float, timeout: float = 15.0) -> float:
    execution_id = None
    while time.perf_counter() - started < timeout:
        if execution_id is None:
            for summary in cp.list_pipeline_executions(pipelineName="bench", maxResults=3)["pipelineExecutionSummaries"]:
                if any(r.get("revisionId") == commit for r in summary.get("sourceRevisions", [])):
                    execution_id = summary["pipelineExecutionId"]
        if execution_id is not None:
            source = cp.get_pipeline_state(name="bench")["stageStates"][0].get("latestExecution") or {}
            if source.get("pipelineExecutionId") == execution_id and source.get("status") == "Succeeded":
                return time.perf_counter() - started
        time.sleep(0.005)
    raise SystemExit(f"commit {commit} never reached Source Succeeded within {timeout} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--executions", type=int, default=20)
    parser.add_argument("--stages", type=int, default=11)
    parser.add_argument("--pushes", type=int, default=8)
    args = parser.parse_args()

    gaps, per_stage = transitions(args.executions, args.stages)
    median, p95 = statistics.median(gaps), percentile(gaps, 0.95)
    print(f"stage transition (engine overhead):  median {median:.2f} ms  p95 {p95:.2f} ms  max {max(gaps):.2f} ms "
          f"over {len(gaps)} transitions  goal <= {GOALS['transition_ms']:.0f} ms  [{verdict(p95, GOALS['transition_ms'])}]")

    print(f"whole stage incl. action thread start (instant action):  median {statistics.median(per_stage):.2f} ms "
          f"per stage over {len(per_stage)} executions of {args.stages} stages")

    pushes = push_to_source(args.pushes)
    median = statistics.median(pushes)
    print(f"git push -> Source Succeeded (EventBridge rule, scale {TIME_SCALE}):  median {median:.2f} s  max {max(pushes):.2f} s "
          f"over {len(pushes)} pushes  goal <= {GOALS['push_s']:.0f} s  [{verdict(median, GOALS['push_s'])}]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
