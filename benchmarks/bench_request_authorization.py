"""What authorizing a signed request costs over loopback: the same SSM GetParameter made with
the account's test keys (not evaluated) and with a role session's credentials (principal
lookup + policy evaluation), medians over many requests. Prints figures; asserts nothing.

    .venv/bin/python benchmarks/bench_request_authorization.py [--requests 1000]
"""
from __future__ import annotations

import argparse
import json
import statistics
import time

import boto3

from localcloud import LocalCloud
from localcloud.settings import IAMSettings, Settings

TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sts:AssumeRole"}]}
POLICY = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "ssm:GetParameter", "Resource": "arn:aws:ssm:us-east-1:123456789012:parameter/bench"}]}


def timed(client, requests: int) -> list[float]:
    out = []
    for _ in range(requests):
        start = time.perf_counter()
        client.get_parameter(Name="/bench")
        out.append((time.perf_counter() - start) * 1000)
    return sorted(out)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=1000)
    args = parser.parse_args()
    with LocalCloud(port=0, settings=Settings(iam=IAMSettings(enforce=True))) as cloud:
        iam = cloud.client("iam")
        arn = iam.create_role(RoleName="bench", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
        iam.put_role_policy(RoleName="bench", PolicyName="p", PolicyDocument=json.dumps(POLICY))
        cloud.client("ssm").put_parameter(Name="/bench", Value="v", Type="String")
        creds = cloud.client("sts").assume_role(RoleArn=arn, RoleSessionName="bench")["Credentials"]
        session = boto3.session.Session().client(
            "ssm", endpoint_url=cloud.url, region_name="us-east-1", aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"], aws_session_token=creds["SessionToken"])
        root = cloud.client("ssm")
        timed(root, 50), timed(session, 50)  # warm both
        as_root, as_session = timed(root, args.requests), timed(session, args.requests)
    for label, xs in (("account root (not evaluated)", as_root), ("role session (evaluated)", as_session)):
        print(f"GetParameter as {label}: median {statistics.median(xs):.3f} ms, p90 {xs[int(len(xs) * 0.9)]:.3f} ms")
    print(f"authorization adds {statistics.median(as_session) - statistics.median(as_root):.3f} ms median per "
          "request (goal <= 0.5 ms)")


if __name__ == "__main__":
    main()
