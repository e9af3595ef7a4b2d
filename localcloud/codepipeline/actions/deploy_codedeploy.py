"""Deploy / AWS / CodeDeploy: CreateDeployment with the input artifact as an S3 zip revision,
then wait for the deployment's end, both through CodeDeploy's door as the pipeline's role.

The action waits for the whole deployment, blue termination wait included (docs/aws-behaviour.md,
"CodePipeline"); `Ready` (waiting for a manual reroute) is not an end. `bundleType: zip` is presumed
(UNCONFIRMED, see docs/aws-behaviour.md). CodeDeploy's own automatic rollback is a separate deployment CodePipeline does
not follow: the action fails because the original deployment failed. A pipeline role CodeDeploy
refuses (any of the permissions the door checks) fails the action with the sentence CodePipeline
shows for it (INSUFFICIENT_CODEDEPLOY_PERMISSIONS).
"""
from __future__ import annotations

from localcloud.codepipeline.actions import ActionRun, Outcome
from localcloud.exceptions import ServiceError
from localcloud.iam.exceptions import AccessDeniedByPolicy

ACTION_TIMEOUT_SECONDS = 5 * 24 * 3600  # CodeDeploy action timeout (limits.md)
# what CodePipeline answers when its role may not use CodeDeploy (the console's troubleshooting
# entry, https://docs.aws.amazon.com/codepipeline/latest/userguide/troubleshooting.html)
INSUFFICIENT_CODEDEPLOY_PERMISSIONS = "The provided role does not have sufficient permissions to access CodeDeploy"


def deployment_url(region: str, deployment_id: str) -> str:
    return f"https://{region}.console.aws.amazon.com/codedeploy/home?region={region}#/deployments/{deployment_id}"


def run(run: ActionRun) -> Outcome:
    config = run.configuration
    artifact = run.input_artifacts[0]
    codedeploy = run.cloud.services.codedeploy
    try:
        deployment_id = codedeploy.create_deployment(
            run.principal, region=run.region, application_name=config["ApplicationName"],
            deployment_group_name=config["DeploymentGroupName"], revision_bucket=artifact["bucket"],
            revision_key=artifact["key"], bundle_type="zip",
            description=f"Deployment by CodePipeline {run.pipeline_name} execution {run.pipeline_execution_id}",
        )
    except AccessDeniedByPolicy:
        return Outcome.failed("JobFailed", INSUFFICIENT_CODEDEPLOY_PERMISSIONS)
    except ServiceError as err:
        code, message = err.code, err.message
        return Outcome.failed("JobFailed", f"{message} (Service: AmazonCodeDeploy; Status Code: 400; Error Code: {code})")
    url = deployment_url(run.region, deployment_id)
    run.report(external_execution_id=deployment_id, external_execution_url=url)

    try:
        info = codedeploy.wait_for_deployment(run.principal, run.region, deployment_id, stop=run.abandon_event,
                                              timeout=run.cloud.clock.scaled(ACTION_TIMEOUT_SECONDS))
    except TimeoutError:
        return Outcome.failed("JobFailed", f"Deployment {deployment_id} timed out", external_execution_id=deployment_id,
                              external_execution_url=url)
    except AccessDeniedByPolicy:  # GetDeployment: the deployment goes on, the action cannot follow it
        return Outcome.failed("JobFailed", INSUFFICIENT_CODEDEPLOY_PERMISSIONS, external_execution_id=deployment_id,
                              external_execution_url=url)
    if info is None:  # abandoned: the deployment itself keeps going, as on AWS
        return Outcome.failed("JobFailed", "abandoned", external_execution_id=deployment_id)
    if info.succeeded:
        return Outcome("Succeeded", summary="Deployment Succeeded", external_execution_id=deployment_id,
                       external_execution_url=url)
    message = f"Deployment {deployment_id} failed"
    return Outcome.failed("JobFailed", message, summary=message, external_execution_id=deployment_id,
                          external_execution_url=url)
