"""What IAM enforcement costs per door call: Authorizer.authorize for a role session whose role
has the suite's CodeBuild policy inline and an AWS managed policy attached, enforcement on and
off. Prints figures; asserts nothing.

    .venv/bin/python benchmarks/bench_authorizer.py [--calls 2000]
"""
from __future__ import annotations

import argparse
import json
import statistics
import time

from localcloud import LocalCloud
from localcloud.principal import Principal
from localcloud.settings import IAMSettings, Settings

POLICY = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
     "Resource": ["arn:aws:logs:us-east-1:123456789012:log-group:/aws/codebuild/p",
                  "arn:aws:logs:us-east-1:123456789012:log-group:/aws/codebuild/p:*"]},
    {"Effect": "Allow", "Action": ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"], "Resource": ["arn:aws:s3:::b/*"]},
    {"Effect": "Allow", "Action": ["ssm:GetParameters"], "Resource": ["arn:aws:ssm:us-east-1:123456789012:parameter/p"]}]}


def measure(cloud, principal, calls: int) -> list[float]:
    authorize = cloud.authorizer.authorize
    out = []
    for i in range(calls):
        start = time.perf_counter()
        authorize(principal, "s3:GetObject", f"arn:aws:s3:::b/k{i % 50}")
        out.append((time.perf_counter() - start) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args()
    with LocalCloud(port=0, settings=Settings(iam=IAMSettings(enforce=True))) as cloud:
        iam = cloud.client("iam")
        arn = iam.create_role(RoleName="bench", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        iam.put_role_policy(RoleName="bench", PolicyName="p", PolicyDocument=json.dumps(POLICY))
        iam.attach_role_policy(RoleName="bench", PolicyArn="arn:aws:iam::aws:policy/service-role/AWSCodeDeployRole")
        principal = Principal.assumed_role(arn, "bench")
        on = measure(cloud, principal, args.calls)
        cloud.authorizer.enforce = False
        off = measure(cloud, principal, args.calls)
    for label, xs in (("enforced", on), ("recorded only", off)):
        xs.sort()
        print(f"authorize ({label}): median {statistics.median(xs):.3f} ms, p90 {xs[int(len(xs) * 0.9)]:.3f} ms "
              f"over {len(xs)} calls")
    print(f"enforcement adds {statistics.median(on) - statistics.median(off):.3f} ms median per door call "
          "(goal <= 0.5 ms)")


if __name__ == "__main__":
    main()
