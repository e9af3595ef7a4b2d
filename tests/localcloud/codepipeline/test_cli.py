"""The tutorial's own AWS CLI lines, run unchanged against localcloud."""
from __future__ import annotations

import subprocess

import pytest

from tests.localcloud.codepipeline import support
from tests.localcloud.codepipeline.support import wait_status

pytestmark = pytest.mark.integration


def aws_cli(cli_env, *args: str) -> str:
    out = subprocess.run(["aws", *args], env=cli_env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_tutorial_get_state_token_and_put_approval_result(cp, infra, source_repo, cli_env):
    name = support.unique("pipe")
    cp.create_pipeline(pipeline=support.declaration(name, infra.pipeline_role, infra.bucket,
                                                    [support.codecommit_source(source_repo[0]), support.approval_stage()]))
    execution_id = support.first_execution(cp, name)
    support.approval_token(cp, name, execution_id)

    states = aws_cli(cli_env, "codepipeline", "get-pipeline-state", "--name", name, "--query",
                     "stageStates[].[stageName,latestExecution.status]", "--output", "text")
    assert states.splitlines() == ["Source\tSucceeded", "Approval\tInProgress"]

    token = aws_cli(cli_env, "codepipeline", "get-pipeline-state", "--name", name, "--query",
                    "stageStates[?stageName=='Approval'].actionStates[0].latestExecution.token | [0]", "--output", "text")
    assert len(token) == 36 and token.count("-") == 4

    aws_cli(cli_env, "codepipeline", "put-approval-result", "--pipeline-name", name, "--stage-name", "Approval",
            "--action-name", "ManualApproval", "--result", "summary=Approved by the CLI,status=Approved", "--token", token)
    wait_status(cp, name, execution_id, "Succeeded")
    approval = support.stage_state(cp, name, "Approval")
    assert approval["latestExecution"]["status"] == "Succeeded"
    assert approval["actionStates"][0]["latestExecution"]["summary"] == "Approved by the CLI"


def test_cli_list_executions_and_stop(cp, infra, source_repo, cli_env):
    name = support.unique("pipe")
    cp.create_pipeline(pipeline=support.declaration(name, infra.pipeline_role, infra.bucket,
                                                    [support.codecommit_source(source_repo[0]), support.approval_stage()]))
    execution_id = support.first_execution(cp, name)
    support.approval_token(cp, name, execution_id)
    aws_cli(cli_env, "codepipeline", "stop-pipeline-execution", "--pipeline-name", name, "--pipeline-execution-id",
            execution_id, "--abandon", "--reason", "from the CLI")
    wait_status(cp, name, execution_id, "Stopped")
    listed = aws_cli(cli_env, "codepipeline", "list-pipeline-executions", "--pipeline-name", name, "--query",
                     "pipelineExecutionSummaries[0].[status,trigger.triggerType,stopTrigger.reason]", "--output", "text")
    assert listed == "Stopped\tCreatePipeline\tfrom the CLI"
