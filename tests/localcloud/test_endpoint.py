"""The endpoint itself: routing, AWS-shaped errors, refused protocols, the CLI lifecycle."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time

import pytest
import requests
from botocore.exceptions import ClientError

pytestmark = pytest.mark.integration


def test_moto_passthrough_answers_unclaimed_operations(aws):
    s3 = aws("s3")
    s3.create_bucket(Bucket="passthrough-bucket")
    assert "passthrough-bucket" in [b["Name"] for b in s3.list_buckets()["Buckets"]]


def test_cbor_request_is_refused_with_a_named_protocol(localcloud):
    resp = requests.post(
        f"{localcloud.url}/service/GraniteServiceVersion20100801/operation/PutMetricData",
        data=b"\xa0", headers={"smithy-protocol": "rpc-v2-cbor", "Content-Type": "application/cbor"},
    )
    assert resp.status_code == 415
    body = resp.json()
    assert body["__type"] == "UnsupportedProtocolException"
    assert "smithy-rpc-v2-cbor" in body["message"] and "PutMetricData" in body["message"]


def test_listens_on_loopback_only(localcloud):
    assert localcloud.url.startswith("http://127.0.0.1:")


def test_capstone_cloud_prints_url_and_stops_on_sigterm(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-m", "capstone.cli", "cloud", "--port", "0", "--state-dir", str(tmp_path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        line = proc.stdout.readline()
        match = re.search(r"http://127\.0\.0\.1:(\d+)", line)
        assert match, line
        url = match.group(0)
        # ready means answering
        assert requests.post(f"{url}/moto-api/reset").status_code == 200
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()


def test_aws_cli_reaches_localcloud(cli_env):
    out = subprocess.run(["aws", "s3api", "list-buckets", "--output", "json"], env=cli_env,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "Buckets" in json.loads(out.stdout)
