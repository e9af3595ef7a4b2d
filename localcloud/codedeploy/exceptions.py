"""CodeDeploy's errors, one class per AWS error code localcloud answers with.

The class name is the code on the wire (`localcloud.exceptions.ServiceError`); the docstrings are
the botocore model's (`codedeploy/2014-10-06`) meaning of each shape. Every one is answered with
HTTP 400, as the model declares no other status for them.
"""
from __future__ import annotations

from localcloud.exceptions import ServiceError


# -- applications -----------------------------------------------------------------------------
class ApplicationAlreadyExistsException(ServiceError):
    """An application with the specified name with the user or Amazon Web Services account already
    exists.
    """


class ApplicationDoesNotExistException(ServiceError):
    """The application does not exist with the user or Amazon Web Services account."""


class ApplicationNameRequiredException(ServiceError):
    """The minimum number of required application names was not specified."""


class InvalidComputePlatformException(ServiceError):
    """The computePlatform is invalid. The computePlatform should be Lambda, Server, or ECS."""


# -- deployment groups ------------------------------------------------------------------------
class DeploymentGroupAlreadyExistsException(ServiceError):
    """A deployment group with the specified name with the user or Amazon Web Services account
    already exists.
    """


class DeploymentGroupDoesNotExistException(ServiceError):
    """The named deployment group with the user or Amazon Web Services account does not exist."""


class DeploymentGroupNameRequiredException(ServiceError):
    """The deployment group name was not specified."""


class InvalidRoleException(ServiceError):
    """The service role ARN was specified in an invalid format. Or, if an Auto Scaling group was
    specified, the specified service role does not grant the appropriate permissions to Amazon EC2
    Auto Scaling.
    """


class InvalidAutoScalingGroupException(ServiceError):
    """The Auto Scaling group was specified in an invalid format or does not exist."""


class InvalidDeploymentStyleException(ServiceError):
    """An invalid deployment style was specified. Valid deployment types include "IN_PLACE" and
    "BLUE_GREEN." Valid deployment options include "WITH_TRAFFIC_CONTROL" and
    "WITHOUT_TRAFFIC_CONTROL."
    """


class InvalidBlueGreenDeploymentConfigurationException(ServiceError):
    """The configuration for the blue/green deployment group was provided in an invalid format. For
    information about deployment configuration format, see CreateDeploymentConfig.
    """


class InvalidAutoRollbackConfigException(ServiceError):
    """The automatic rollback configuration was specified in an invalid format. For example,
    automatic rollback is enabled, but an invalid triggering event type or no event types were
    listed.
    """


class AlarmsLimitExceededException(ServiceError):
    """The maximum number of alarms for a deployment group (10) was exceeded."""


class InvalidAlarmConfigException(ServiceError):
    """The format of the alarm configuration is invalid. Possible causes include: The alarm list is
    null. The alarm object is null. The alarm name is empty or null or exceeds the limit of 255
    characters. Two alarms with the same name have been specified. The alarm configuration is
    enabled, but the alarm list is empty.
    """


class InvalidLoadBalancerInfoException(ServiceError):
    """An invalid load balancer name, or no load balancer name, was specified."""


# -- deployment configs -----------------------------------------------------------------------
class DeploymentConfigAlreadyExistsException(ServiceError):
    """A deployment configuration with the specified name with the user or Amazon Web Services
    account already exists.
    """


class DeploymentConfigDoesNotExistException(ServiceError):
    """The deployment configuration does not exist with the user or Amazon Web Services account."""


class DeploymentConfigInUseException(ServiceError):
    """The deployment configuration is still in use."""


class InvalidMinimumHealthyHostValueException(ServiceError):
    """The minimum healthy instance value was specified in an invalid format."""


class InvalidOperationException(ServiceError):
    """An invalid operation was detected."""


# -- deployments ------------------------------------------------------------------------------
class DeploymentDoesNotExistException(ServiceError):
    """The deployment with the user or Amazon Web Services account does not exist."""


class DeploymentIdRequiredException(ServiceError):
    """At least one deployment ID must be specified."""


class InvalidDeploymentIdException(ServiceError):
    """At least one of the deployment IDs was specified in an invalid format."""


class DeploymentLimitExceededException(ServiceError):
    """The number of allowed deployments was exceeded."""


class DeploymentNotStartedException(ServiceError):
    """The specified deployment has not started."""


class DeploymentAlreadyCompletedException(ServiceError):
    """The deployment is already complete."""


class DeploymentIsNotInReadyStateException(ServiceError):
    """The deployment does not have a status of Ready and can't continue yet."""


class InvalidDeploymentStatusException(ServiceError):
    """The specified deployment status doesn't exist or cannot be determined."""


class UnsupportedActionForDeploymentTypeException(ServiceError):
    """A call was submitted that is not supported for the specified deployment type."""


class RevisionRequiredException(ServiceError):
    """The revision ID was not specified."""


class InvalidRevisionException(ServiceError):
    """The revision was specified in an invalid format."""


class RevisionDoesNotExistException(ServiceError):
    """The named revision does not exist with the user or Amazon Web Services account."""


class InvalidTimeRangeException(ServiceError):
    """The specified time range was specified in an invalid format."""


# -- deployment targets and instances ---------------------------------------------------------
class DeploymentTargetDoesNotExistException(ServiceError):
    """The provided target ID does not belong to the attempted deployment."""


class DeploymentTargetIdRequiredException(ServiceError):
    """A deployment target ID was not provided."""


class DeploymentTargetListSizeExceededException(ServiceError):
    """The maximum number of targets that can be associated with an Amazon ECS or Lambda deployment
    was exceeded. The target list of both types of deployments must have exactly one item. This
    exception does not apply to EC2/On-premises deployments. (localcloud also answers it for a
    BatchGetDeploymentTargets of more than 25 IDs.)
    """


class InstanceDoesNotExistException(ServiceError):
    """The specified instance does not exist in the deployment group."""


class InstanceIdRequiredException(ServiceError):
    """The instance ID was not specified."""


# -- requests in general: batches, paging, tagging --------------------------------------------
class BatchLimitExceededException(ServiceError):
    """The maximum number of names or IDs allowed for this request (100) was exceeded."""


class InvalidNextTokenException(ServiceError):
    """The next token was specified in an invalid format."""


class InvalidArnException(ServiceError):
    """The specified ARN is not in a valid format."""


class ArnNotSupportedException(ServiceError):
    """The specified ARN is not supported. For example, it might be an ARN for a resource that is not
    expected.
    """


# -- compute platforms (Lambda and ECS groups and configs) ---------------------------------------
class InvalidDeploymentConfigNameException(ServiceError):
    """The deployment configuration name was specified in an invalid format."""


class InvalidECSServiceException(ServiceError):
    """The Amazon ECS service identifier is not valid."""


class InvalidInputException(ServiceError):
    """The input was specified in an invalid format."""


class InvalidTargetGroupPairException(ServiceError):
    """A target group pair associated with this deployment is not valid."""


class InvalidTrafficRoutingConfigurationException(ServiceError):
    """The configuration that specifies how traffic is routed during a deployment is invalid."""


# -- application revisions --------------------------------------------------------------------
class BucketNameFilterRequiredException(ServiceError):
    """A bucket name is required, but was not provided."""


class DescriptionTooLongException(ServiceError):
    """The description is too long."""
