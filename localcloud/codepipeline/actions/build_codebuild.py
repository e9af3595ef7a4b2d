"""Build (or Test) / AWS / CodeBuild: start a build with the input artifacts, follow it to the end.

Starts through the codebuild provider's in-process `start_pipeline_build` (as CodePipeline calls
StartBuild with a CODEPIPELINE source inside AWS), then polls BatchGetBuilds through the API,
adaptively (20 ms, backing off to 250 ms). A failed build fails the action with the errorDetails
AWS shows (JobFailed, "Build terminated with state: FAILED. Phase: ..."; see docs/aws-behaviour.md).
"""
from __future__ import annotations

import json

from localcloud.codepipeline.actions import ActionRun, Outcome, client_error_text

ACTION_TIMEOUT_SECONDS = 8 * 3600  # CodeBuild action timeout (limits.md)
FINAL = {"SUCCEEDED", "FAILED", "FAULT", "TIMED_OUT", "STOPPED"}


def build_url(region: str, build_id: str) -> str:
    project, _, uuid_part = build_id.partition(":")
    return (f"https://{region}.console.aws.amazon.com/codesuite/codebuild/projects/{project}/build/"
            f"{project}%3A{uuid_part}/view/new?region={region}")


def _environment_variables(raw: str | None) -> list[dict] | None:
    if not raw:
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        raise ValueError("EnvironmentVariables is not a JSON array of {name, value, type}") from None
    if not isinstance(value, list) or not all(isinstance(v, dict) and "name" in v and "value" in v for v in value):
        raise ValueError("EnvironmentVariables must be a JSON array of {name, value, type} objects")
    return [{"name": v["name"], "value": str(v["value"]), "type": v.get("type", "PLAINTEXT")} for v in value]


def failure_message(build: dict) -> str:
    """`Build terminated with state: FAILED. Phase: BUILD, Code: COMMAND_EXECUTION_ERROR, Message: ...`
    from the build's failing phase (the wording is well attested in public logs, not documented)."""
    status = build.get("buildStatus", "FAILED")
    text = f"Build terminated with state: {status}"
    for phase in build.get("phases") or []:
        if phase.get("phaseStatus") in ("FAILED", "FAULT", "TIMED_OUT", "STOPPED", "CLIENT_ERROR"):
            contexts = phase.get("contexts") or []
            ctx = contexts[0] if contexts else {}
            text += f". Phase: {phase.get('phaseType')}"
            if ctx.get("statusCode"):
                text += f", Code: {ctx['statusCode']}"
            if ctx.get("message"):
                text += f", Message: {ctx['message']}"
            break
    return text


def run(run: ActionRun) -> Outcome:
    config = run.configuration
    project = config["ProjectName"]
    provider = run.cloud.provider("codebuild")
    try:
        env = _environment_variables(config.get("EnvironmentVariables"))
    except ValueError as err:
        return Outcome.failed("ConfigurationError", str(err))
    primary = config.get("PrimarySource")
    if len(run.input_artifacts) > 1 and not primary:
        return Outcome.failed("ConfigurationError", "PrimarySource is required when the action has more than one input artifact")
    # CODEBUILD_RESOLVED_SOURCE_VERSION: the source revision behind the primary input artifact.
    primary_name = primary or (run.input_artifacts[0]["name"] if run.input_artifacts else None)
    source_version = run.artifact_revisions.get(primary_name)
    try:
        build_id = provider.start_pipeline_build(
            region=run.region, project_name=project, pipeline_name=run.pipeline_name,
            input_artifacts=run.input_artifacts, primary_source=primary, output_artifacts=run.output_artifacts,
            environment_variables=env, source_version=source_version,
        )
    except Exception as err:
        code, message = client_error_text(err)
        return Outcome.failed("JobFailed", f"Error calling startBuild: {message} (Service: AWSCodeBuild; "
                              f"Status Code: 400; Error Code: {code})")
    url = build_url(run.region, build_id)
    run.report(external_execution_id=build_id, external_execution_url=url)
    codebuild = run.client("codebuild")

    def finished():
        builds = codebuild.batch_get_builds(ids=[build_id]).get("builds") or []
        return builds[0] if builds and builds[0].get("buildStatus") in FINAL else None

    try:
        build = run.poll(finished, what=f"build {build_id}", deadline_seconds=run.cloud.clock.scaled(ACTION_TIMEOUT_SECONDS))
    except TimeoutError:
        return Outcome.failed("JobFailed", f"Build {build_id} did not finish within the action timeout",
                              external_execution_id=build_id, external_execution_url=url)
    if build is None:  # abandoned
        return Outcome.failed("JobFailed", "abandoned", external_execution_id=build_id)
    variables = {v["name"]: v.get("value", "") for v in build.get("exportedEnvironmentVariables") or []}
    if build["buildStatus"] == "SUCCEEDED":
        return Outcome("Succeeded", external_execution_id=build_id, external_execution_url=url, output_variables=variables)
    message = failure_message(build)
    return Outcome.failed("JobFailed", message, summary=message, external_execution_id=build_id,
                          external_execution_url=url, output_variables=variables)
