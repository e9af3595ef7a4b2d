"""The boto3 clients CodeDeploy uses to call the other services, as AWS's CodeDeploy does
(`LocalCloud.client` makes each once)."""
from __future__ import annotations


class Clients:
    def __init__(self, cloud):
        self.cloud = cloud

    def __call__(self, service: str):
        return self.cloud.client(service)
