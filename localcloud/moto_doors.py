"""Builds the doors of the services moto keeps, for the composition root: one call,
`build(authorizer, account_id, default_region)`, and each door is a field named as in Services.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from localcloud.autoscaling.contract import AutoScalingContract
from localcloud.cloudwatch.contract import CloudWatchContract
from localcloud.ec2.contract import EC2Contract
from localcloud.elbv2.contract import ELBv2Contract
from localcloud.iam.contract import IAMContract
from localcloud.logs.contract import LogsContract
from localcloud.s3.contract import S3Contract
from localcloud.secretsmanager.contract import SecretsManagerContract
from localcloud.sns.contract import SNSContract
from localcloud.sqs.contract import SQSContract
from localcloud.ssm.contract import SSMContract
from localcloud.sts.contract import STSContract

if TYPE_CHECKING:
    from localcloud.iam.authorizer import Authorizer
    from localcloud.iam.propagation import IAMView


@dataclass(frozen=True)
class MotoDoors:
    autoscaling: AutoScalingContract
    cloudwatch: CloudWatchContract
    ec2: EC2Contract
    elbv2: ELBv2Contract
    iam: IAMContract
    logs: LogsContract
    s3: S3Contract
    secretsmanager: SecretsManagerContract
    sns: SNSContract
    sqs: SQSContract
    ssm: SSMContract
    sts: STSContract

    def as_kwargs(self) -> dict[str, object]:
        """The doors by Services field name: `Services(authorizer=..., **doors.as_kwargs(), ...)`."""
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def build(authorizer: "Authorizer", account_id: str, default_region: str,
          iam_view: "IAMView | None" = None) -> MotoDoors:
    """`iam_view` is IAM as services see it (the cloud's propagation delay; none: the current state)."""
    iam = IAMContract(authorizer, account_id, default_region, view=iam_view)
    return MotoDoors(
        autoscaling=AutoScalingContract(authorizer, account_id, default_region),
        cloudwatch=CloudWatchContract(authorizer, account_id, default_region),
        ec2=EC2Contract(authorizer, account_id, default_region),
        elbv2=ELBv2Contract(authorizer, account_id, default_region),
        iam=iam,
        logs=LogsContract(authorizer, account_id, default_region),
        s3=S3Contract(authorizer, account_id, default_region),
        secretsmanager=SecretsManagerContract(authorizer, account_id, default_region),
        sns=SNSContract(authorizer, account_id, default_region),
        sqs=SQSContract(authorizer, account_id, default_region),
        ssm=SSMContract(authorizer, account_id, default_region),
        sts=STSContract(authorizer, account_id, default_region, iam=iam),
    )
