"""Deploy / AWS / CodeDeploy: CreateDeployment with the input artifact as an S3 zip revision,
then follow the deployment to its end through GetDeployment.

The action waits for the whole deployment, blue termination wait included (docs/aws-behaviour.md,
"CodePipeline"); `Ready` (waiting for a manual reroute) is not an end. `bundleType: zip` is presumed
(UNCONFIRMED, see docs/aws-behaviour.md). CodeDeploy's own automatic rollback is a separate deployment CodePipeline does
not follow: the action fails because the original deployment failed.
"""
from __future__ import annotations

from localcloud.codepipeline.actions import ActionRun, Outcome, client_error_text

ACTION_TIMEOUT_SECONDS = 5 * 24 * 3600  # CodeDeploy action timeout (limits.md)
FINAL = {"Succeeded", "Failed", "Stopped"}


def deployment_url(region: str, deployment_id: str) -> str:
    return f"https://{region}.console.aws.amazon.com/codedeploy/home?region={region}#/deployments/{deployment_id}"


def run(run: ActionRun) -> Outcome:
    config = run.configuration
    artifact = run.input_artifacts[0]
    codedeploy = run.client("codedeploy")
    try:
        deployment_id = codedeploy.create_deployment(
            applicationName=config["ApplicationName"],
            deploymentGroupName=config["DeploymentGroupName"],
            revision={"revisionType": "S3", "s3Location": {"bucket": artifact["bucket"], "key": artifact["key"],
                                                            "bundleType": "zip"}},
            description=f"Deployment by CodePipeline {run.pipeline_name} execution {run.pipeline_execution_id}",
        )["deploymentId"]
    except Exception as err:
        code, message = client_error_text(err)
        return Outcome.failed("JobFailed", f"{message} (Service: AmazonCodeDeploy; Status Code: 400; Error Code: {code})")
    url = deployment_url(run.region, deployment_id)
    run.report(external_execution_id=deployment_id, external_execution_url=url)

    def finished():
        info = codedeploy.get_deployment(deploymentId=deployment_id)["deploymentInfo"]
        return info if info.get("status") in FINAL else None

    try:
        info = run.poll(finished, what=f"deployment {deployment_id}",
                        deadline_seconds=run.cloud.clock.scaled(ACTION_TIMEOUT_SECONDS))
    except TimeoutError:
        return Outcome.failed("JobFailed", f"Deployment {deployment_id} timed out", external_execution_id=deployment_id,
                              external_execution_url=url)
    if info is None:  # abandoned: the deployment itself keeps going, as on AWS
        return Outcome.failed("JobFailed", "abandoned", external_execution_id=deployment_id)
    if info["status"] == "Succeeded":
        return Outcome("Succeeded", summary="Deployment Succeeded", external_execution_id=deployment_id,
                       external_execution_url=url)
    message = f"Deployment {deployment_id} failed"
    return Outcome.failed("JobFailed", message, summary=message, external_execution_id=deployment_id,
                          external_execution_url=url)
