"""IAM's error codes, as IAM answers them, and the refusal every service answers when an
identity policy does not allow a call (AccessDeniedByPolicy)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from localcloud.exceptions import AWSError, ServiceError

if TYPE_CHECKING:
    from localcloud.principal import Principal


class NoSuchEntity(ServiceError):
    http_status = 404


class ValidationError(ServiceError):
    pass


class AccessDeniedByPolicy(ServiceError):
    """AWS's refusal of an action no identity policy allows (or one explicitly denies).

    The code and the status are the answering service's, not this class's name: the JSON
    services answer `AccessDeniedException` (HTTP 400), the query and XML ones `AccessDenied`
    (403), EC2 `UnauthorizedOperation` and SNS `AuthorizationError`. The message is the form IAM
    documents, "User: ARN is not authorized to perform: ACTION on resource: ARN because no
    identity-based policy allows the ACTION action" ("with an explicit deny in an identity-based
    policy" for a Deny); S3 quotes the resource ARN, as its enhanced access-denied messages do.
    Sources: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/troubleshoot-403-errors.html
    """

    CODES = {"s3": ("AccessDenied", 403), "iam": ("AccessDenied", 403), "sts": ("AccessDenied", 403),
             "ec2": ("UnauthorizedOperation", 403), "autoscaling": ("AccessDenied", 403),
             "elasticloadbalancing": ("AccessDenied", 403), "cloudwatch": ("AccessDenied", 403),
             "sns": ("AuthorizationError", 403), "sqs": ("AccessDenied", 403)}
    JSON_CODE = ("AccessDeniedException", 400)

    def __init__(self, principal: "Principal", action: str, resource: str, explicit: bool,
                 answered_by: str | None = None):
        # the service answering the call sets the code: iam:PassRole refused inside CodeBuild's
        # CreateProject is CodeBuild's AccessDeniedException
        service = answered_by or action.split(":", 1)[0]
        code, status = self.CODES.get(service, self.JSON_CODE)
        reason = ("with an explicit deny in an identity-based policy" if explicit
                  else f"because no identity-based policy allows the {action} action")
        shown = f'"{resource}"' if service == "s3" else resource
        message = f"User: {principal.arn} is not authorized to perform: {action} on resource: {shown} {reason}"
        if code == "UnauthorizedOperation":  # EC2 leads with its own sentence
            message = "You are not authorized to perform this operation. " + message
        # the code depends on the service, so it is set here rather than from the class name
        AWSError.__init__(self, code, message, status)
        #: what was refused, for the services that report a denial in their own words
        #: (CodeDeploy's IAM_ROLE_PERMISSIONS, CodeBuild's ACCESS_DENIED)
        self.principal_arn = principal.arn
        self.role_arn = getattr(principal, "role_arn", None)
        self.action = action
        self.resource = resource
        self.explicit = explicit
