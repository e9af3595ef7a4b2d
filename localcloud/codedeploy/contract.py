"""CodeDeploy's door: what CodePipeline's Deploy action does with CodeDeploy.

Inside AWS, CodePipeline calls CreateDeployment as the pipeline's service role with the S3
revision of the action's input artifact, then follows the deployment until it ends. Here the
create is in-process - the same code as the CreateDeployment API, so the same validations and
typed errors - and the wait is on the deployment's own completion signal (`Deployment.completed`,
set when it ends): nothing polls GetDeployment through the router.

Actions and resources (Service Authorization Reference): CreateDeployment and GetDeployment act
on the deployment group, `arn:aws:codedeploy:REGION:ACCOUNT:deploymentgroup:APP/GROUP`. The
Deploy action also registers and reads the revision (RegisterApplicationRevision,
GetApplicationRevision, on the application `...:application:APP`) and reads the group's
deployment configuration (GetDeploymentConfig, on `...:deploymentconfig:NAME`): the permissions
AWS's CodePipeline service role policy grants for it, each checked before the deployment is made.
Source: https://docs.aws.amazon.com/codepipeline/latest/userguide/security-iam.html#how-to-custom-role
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from localcloud.contract import Contract, wait_for_end
from localcloud.principal import Principal

if TYPE_CHECKING:
    from localcloud.codedeploy.provider import CodeDeployProvider


@dataclass(frozen=True)
class DeploymentResult:
    deployment_id: str
    status: str                     # Succeeded | Failed | Stopped
    error_code: str | None          # errorInformation.code (None when it Succeeded)
    error_message: str | None

    @property
    def succeeded(self) -> bool:
        return self.status == "Succeeded"


def deployment_group_arn(region: str, account_id: str, application: str, group: str) -> str:
    return f"arn:aws:codedeploy:{region}:{account_id}:deploymentgroup:{application}/{group}"


class CodeDeployContract(Contract):
    action_prefix = "codedeploy"

    def __init__(self, authorizer, provider: "CodeDeployProvider"):
        super().__init__(authorizer)
        self._provider = provider

    def create_deployment(self, principal: Principal, *, region: str, application_name: str,
                          deployment_group_name: str, revision_bucket: str, revision_key: str,
                          bundle_type: str, description: str | None = None) -> str:
        """CreateDeployment of the S3 revision s3://revision_bucket/revision_key (zip | tar | tgz)
        to the group; its id. The API's errors: ApplicationDoesNotExistException,
        DeploymentGroupDoesNotExistException, RevisionDoesNotExistException,
        InvalidRevisionException, DeploymentLimitExceededException, InvalidRoleException, ..."""
        backend = self._provider.regions.region(region)
        application_arn = f"arn:aws:codedeploy:{region}:{backend.account_id}:application:{application_name}"
        self._authorize(principal, "RegisterApplicationRevision", application_arn)
        self._authorize(principal, "GetApplicationRevision", application_arn)
        self._authorize(principal, "CreateDeployment",
                        deployment_group_arn(region, backend.account_id, application_name, deployment_group_name))
        group = backend.groups.get((application_name, deployment_group_name))
        if group is not None:  # a missing group is CreateDeployment's own error, below
            self._authorize(principal, "GetDeploymentConfig",
                            f"arn:aws:codedeploy:{region}:{backend.account_id}:deploymentconfig:{group.default_config}")
        params = {
            "applicationName": application_name, "deploymentGroupName": deployment_group_name,
            "revision": {"revisionType": "S3", "s3Location": {"bucket": revision_bucket, "key": revision_key,
                                                              "bundleType": bundle_type}},
        }
        if description is not None:
            params["description"] = description
        # the API's own CreateDeployment, in the group's Region: a group elsewhere does not exist there
        return self._provider.api.deployments.in_region(region).create_deployment(params, None, caller=principal)["deploymentId"]

    def wait_for_deployment(self, principal: Principal, region: str, deployment_id: str, *,
                            stop: threading.Event, timeout: float) -> DeploymentResult | None:
        """The deployment's result once it ends; None if `stop` is set first. TimeoutError after
        `timeout` seconds (already scaled) without an end. DeploymentDoesNotExistException /
        InvalidDeploymentIdException for an id that names none."""
        deployments = self._provider.api.deployments.in_region(region)
        d = deployments._deployment(deployment_id)  # only a deployment of that Region is found
        self._authorize(principal, "GetDeployment",
                        deployment_group_arn(region, deployments.backend.account_id, d.application, d.group.name))
        if not wait_for_end(d.completed, stop, timeout, f"deployment {deployment_id}"):
            return None
        with deployments.backend.lock:
            error = d.error
            return DeploymentResult(d.deployment_id, d.status, error.code if error else None,
                                    error.message if error else None)
