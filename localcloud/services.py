"""The typed registry of every service's door (see contract.py), built once by the server.

A provider reaches another service as `self.cloud.services.<service>.<operation>(principal, ...)`;
the attribute names are the services' botocore names. Nothing else crosses a service boundary.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from localcloud.autoscaling.contract import AutoScalingContract
    from localcloud.cloudwatch.contract import CloudWatchContract
    from localcloud.codeartifact.contract import CodeArtifactContract
    from localcloud.codebuild.contract import CodeBuildContract
    from localcloud.codecommit.contract import CodeCommitContract
    from localcloud.codedeploy.contract import CodeDeployContract
    from localcloud.codepipeline.contract import CodePipelineContract
    from localcloud.ec2.contract import EC2Contract
    from localcloud.elbv2.contract import ELBv2Contract
    from localcloud.events.contract import EventsContract
    from localcloud.fleet.contract import FleetContract
    from localcloud.iam.authorizer import Authorizer
    from localcloud.iam.contract import IAMContract
    from localcloud.logs.contract import LogsContract
    from localcloud.s3.contract import S3Contract
    from localcloud.secretsmanager.contract import SecretsManagerContract
    from localcloud.sns.contract import SNSContract
    from localcloud.sqs.contract import SQSContract
    from localcloud.ssm.contract import SSMContract
    from localcloud.sts.contract import STSContract


@dataclass
class Services:
    authorizer: "Authorizer"
    # services localcloud runs (state and API here)
    codecommit: "CodeCommitContract"
    codebuild: "CodeBuildContract"
    codedeploy: "CodeDeployContract"
    codepipeline: "CodePipelineContract"
    events: "EventsContract"
    fleet: "FleetContract"
    codeartifact: "CodeArtifactContract"
    # services moto keeps (state and API in moto; localcloud adds behaviour and the door)
    autoscaling: "AutoScalingContract"
    cloudwatch: "CloudWatchContract"
    ec2: "EC2Contract"
    elbv2: "ELBv2Contract"
    iam: "IAMContract"
    logs: "LogsContract"
    s3: "S3Contract"
    secretsmanager: "SecretsManagerContract"
    sns: "SNSContract"
    sqs: "SQSContract"
    ssm: "SSMContract"
    sts: "STSContract"
