"""What a reset (`POST /moto-api/reset`) costs on a localcloud that has been used: the median of
several resets, each after a few IAM, S3 and SSM calls. Prints figures; asserts nothing.

    .venv/bin/python benchmarks/bench_reset.py [--resets 10]
"""
from __future__ import annotations

import argparse
import statistics
import time

import requests

from localcloud import LocalCloud
from localcloud.settings import Settings


def use(cloud) -> None:
    cloud.client("iam").list_policies(Scope="AWS", MaxItems=5)
    cloud.client("iam").create_role(RoleName="bench", AssumeRolePolicyDocument="{}")
    cloud.client("s3").create_bucket(Bucket="bench-reset")
    cloud.client("ssm").put_parameter(Name="/bench", Value="v", Type="String")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--resets", type=int, default=10)
    args = parser.parse_args()
    with LocalCloud(port=0, settings=Settings()) as cloud:
        took = []
        for _ in range(args.resets):
            use(cloud)
            start = time.perf_counter()
            requests.post(f"{cloud.url}/moto-api/reset", timeout=60).raise_for_status()
            took.append((time.perf_counter() - start) * 1000)
    took.sort()
    print(f"reset: median {statistics.median(took):.1f} ms, max {took[-1]:.1f} ms over {len(took)} resets "
          "(goal <= 50 ms)")


if __name__ == "__main__":
    main()
