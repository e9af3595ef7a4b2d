"""Who CodeDeploy acts as when it reaches another service (through its door, `cloud.services`).

- Everything CodeDeploy does for a deployment group - the API-time checks of CreateDeploymentGroup
  (the role, the Auto Scaling groups) and CreateDeployment (the S3 revision), and the whole run
  (Auto Scaling, ELB, CloudWatch, EC2) - it does as the group's service role, as AWS does.
- The agent on an instance acts as the instance's instance profile role (the session EC2 hands
  out through the instance metadata, named by the instance id).
"""
from __future__ import annotations

from localcloud.principal import Principal

#: The session name of CodeDeploy's sessions on a group's service role. AWS does not document
#: the name CodeDeploy uses (CloudTrail shows it per account); this one is localcloud's choice.
SESSION_NAME = "AWSCodeDeploy"

#: CodeDeploy acting as itself (receiving Auto Scaling's hook notifications, or a request whose
#: service role ARN is not a role ARN at all and so cannot be assumed).
CODEDEPLOY = Principal.service("codedeploy.amazonaws.com")

#: EC2 acting as itself: resolving an instance's profile for its metadata credentials (no API
#: call anyone makes on AWS; recorded so the log shows what was read).
EC2 = Principal.service("ec2.amazonaws.com")


def service_role(role_arn: str | None) -> Principal:
    """CodeDeploy's session on a group's service role."""
    parts = (role_arn or "").split(":", 5)
    if len(parts) != 6 or parts[2] != "iam" or not parts[5].startswith("role/"):
        return CODEDEPLOY  # refused as InvalidRoleException by the role check
    return Principal.assumed_role(role_arn, SESSION_NAME)


def instance_role(services, instance_id: str, region: str | None = None) -> Principal:
    """The session the agent on `instance_id` acts as: its instance profile's role, session
    name the instance id (what EC2 names the sessions it hands an instance)."""
    role = services.fleet.instance_role(EC2, instance_id, region)
    if role is None:
        # IAM issue: an instance without a profile cannot read S3
        return EC2
    return Principal.assumed_role(role.arn, instance_id)
