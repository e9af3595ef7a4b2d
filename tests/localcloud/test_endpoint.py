"""The endpoint itself: routing, AWS-shaped errors, refused protocols, the CLI lifecycle."""
from __future__ import annotations

import ast
import json
import pathlib
import re
import signal
import subprocess
import sys

import pytest
import requests

import localcloud

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


# `python -m localcloud` with every import of capstone failing, as where only localcloud is installed
WITHOUT_CAPSTONE = ("import runpy, sys; sys.modules['capstone'] = None; "
                    "runpy.run_module('localcloud', run_name='__main__', alter_sys=True)")


def test_localcloud_stands_alone_without_capstone(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-c", WITHOUT_CAPSTONE, "--port", "0", "--state-dir", str(tmp_path), "--time-scale", "0.5"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        line = proc.stdout.readline()
        match = re.search(r"http://127\.0\.0\.1:(\d+)", line)
        assert match, (line, proc.stderr.read() if proc.poll() is not None else "")
        assert requests.post(f"{match.group(0)}/moto-api/reset").status_code == 200
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()


def test_no_module_of_localcloud_imports_capstone():
    root = pathlib.Path(localcloud.__file__).parent
    offenders = []
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            offenders += [f"{path.relative_to(root)}: {n}" for n in names if n.split(".")[0] == "capstone"]
    assert offenders == []


def test_aws_cli_reaches_localcloud(cli_env):
    out = subprocess.run(["aws", "s3api", "list-buckets", "--output", "json"], env=cli_env,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "Buckets" in json.loads(out.stdout)
