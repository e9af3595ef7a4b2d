"""SNS's door: Publish to a topic of moto's SNS backend (its subscriptions deliver as moto does).

Authorized as sns:Publish on the topic ARN.
"""
from __future__ import annotations

from localcloud.moto_contract import MotoContract, errors_of, moto_errors
from localcloud.principal import Principal
from localcloud.sns import exceptions
from localcloud.sns.exceptions import AuthorizationError, InvalidParameter, NotFound
from localcloud.sts.contract import resource_policy_allows

_ERRORS = errors_of(exceptions)
MAX_SUBJECT = 100


class SNSContract(MotoContract):
    action_prefix = "sns"

    def publish(self, principal: Principal, topic_arn: str, message: str, subject: str | None = None,
                attributes: dict[str, str] | None = None, source_arn: str | None = None) -> str:
        """The message id. `attributes` are String message attributes. A service acting as
        itself (EventBridge delivering for rule `source_arn`) is held to the topic's policy."""
        self._authorize(principal, "Publish", topic_arn)
        parts = topic_arn.split(":")
        if len(parts) != 6 or parts[2] != "sns":
            raise NotFound("Topic does not exist")
        if subject is not None and len(subject) > MAX_SUBJECT:
            # moto raises a bare ValueError here
            raise InvalidParameter("Invalid parameter: Subject")
        from moto.sns.models import sns_backends

        backend = sns_backends[parts[4]][parts[3]]
        if topic_arn not in backend.topics:
            # moto would fall back to platform endpoints, which an ARN of a topic never names
            raise NotFound("Topic does not exist")
        context = {"aws:SourceAccount": principal.account_id}
        if source_arn:
            context["aws:SourceArn"] = source_arn
        if principal.is_service and not resource_policy_allows(backend.topics[topic_arn].policy, principal,
                                                               "sns:Publish", context=context):
            # a service publishing as itself (EventBridge) needs the topic's policy to allow it
            raise AuthorizationError(f"{principal.arn} is not authorized to perform: SNS:Publish on resource: "
                                     f"{topic_arn} (the topic's access policy does not allow it)")
        moto_attributes = {name: {"Type": "String", "Value": value} for name, value in (attributes or {}).items()}
        with moto_errors(_ERRORS):
            return backend.publish(message, arn=topic_arn, subject=subject, message_attributes=moto_attributes or None)
