"""Foundation figures for localcloud: start-to-ready, request latency, git push, idle RSS.

Runs `capstone cloud --port 0` as a subprocess (as a user would), then measures against it:
  start-to-ready   until the URL line is printed and a first request is answered (goal <= 1.5 s)
  latency          median of ~200 calls with one reused boto3 client: a provider operation
                   (codecommit GetBranch) and a moto-passed one (sts GetCallerIdentity) (goal <= 5 ms)
  git push         a one-file commit pushed with the git CLI, end to end (goal <= 300 ms)
  idle RSS         of the server process after the above (goal <= 250 MB)

Usage: .venv/bin/python benchmarks/bench_localcloud.py [--starts N] [--calls N] [--pushes N]
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import boto3
from botocore.config import Config

ROOT = Path(__file__).resolve().parents[1]
GOALS = {"start": 1.5, "latency_ms": 5.0, "push_ms": 300.0, "rss_mb": 250.0}


def _server_cmd(state_dir: str) -> list[str]:
    exe = Path(sys.executable).with_name("capstone")
    base = [str(exe)] if exe.exists() else [sys.executable, "-m", "capstone.cli"]
    return base + ["cloud", "--port", "0", "--state-dir", state_dir]


def start_server(state_dir: str) -> tuple[subprocess.Popen, str, float]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    started = time.perf_counter()
    proc = subprocess.Popen(_server_cmd(state_dir), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True, cwd=ROOT, env=env)
    line = proc.stdout.readline()
    match = re.search(r"http://127\.0\.0\.1:\d+", line)
    if not match:
        proc.kill()
        raise SystemExit(f"capstone cloud did not print its URL: {line!r}")
    url = match.group(0)
    import urllib.request

    urllib.request.urlopen(urllib.request.Request(f"{url}/moto-api/reset", method="POST"), timeout=10).read()
    return proc, url, time.perf_counter() - started


def stop_server(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()


def client(service: str, url: str):
    return boto3.session.Session().client(
        service, endpoint_url=url, region_name="us-east-1", aws_access_key_id="testing",
        aws_secret_access_key="testing", config=Config(retries={"max_attempts": 1}))


def median_ms(call, n: int) -> tuple[float, float]:
    for _ in range(5):
        call()  # warm up (connection, model loading, first-use imports on the server)
    samples = []
    for _ in range(n):
        t = time.perf_counter()
        call()
        samples.append((time.perf_counter() - t) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def git_pushes(url: str, n: int) -> list[float]:
    cc = client("codecommit", url)
    clone_url = cc.create_repository(repositoryName="bench-push")["repositoryMetadata"]["cloneUrlHttp"]
    work = Path(tempfile.mkdtemp(prefix="bench-git-"))
    env = {"PATH": os.environ["PATH"], "HOME": str(work), "GIT_CONFIG_NOSYSTEM": "1", "GIT_TERMINAL_PROMPT": "0"}
    git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.com", "-c", "init.defaultBranch=main"]
    try:
        subprocess.run(git + ["init", "-q", str(work / "w")], check=True, env=env)
        times = []
        for i in range(n + 1):
            (work / "w" / "app.txt").write_text(f"version {i}\n")
            subprocess.run(git + ["add", "app.txt"], cwd=work / "w", check=True, env=env)
            subprocess.run(git + ["commit", "-q", "-m", f"v{i}"], cwd=work / "w", check=True, env=env)
            t = time.perf_counter()
            subprocess.run(git + ["push", "-q", clone_url, "main"], cwd=work / "w", check=True, env=env)
            times.append((time.perf_counter() - t) * 1000)
        return times[1:]  # the first push creates the branch; the rest are the steady state
    finally:
        shutil.rmtree(work, ignore_errors=True)


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as fh:
        kb = next(int(line.split()[1]) for line in fh if line.startswith("VmRSS:"))
    return kb / 1024


def verdict(value: float, goal: float) -> str:
    return "ok" if value <= goal else "MISSED"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=3)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--pushes", type=int, default=10)
    args = parser.parse_args()

    state = tempfile.mkdtemp(prefix="bench-localcloud-")
    try:
        starts = []
        for _ in range(args.starts - 1):
            proc, _, elapsed = start_server(state)
            starts.append(elapsed)
            stop_server(proc)
        proc, url, elapsed = start_server(state)
        starts.append(elapsed)
        try:
            cc, sts = client("codecommit", url), client("sts", url)
            cc.create_repository(repositoryName="bench")
            cc.put_file(repositoryName="bench", branchName="main", fileContent=b"x", filePath="x")
            provider_ms = median_ms(lambda: cc.get_branch(repositoryName="bench", branchName="main"), args.calls)
            moto_ms = median_ms(lambda: sts.get_caller_identity(), args.calls)
            pushes = git_pushes(url, args.pushes)
            time.sleep(1)
            rss = rss_mb(proc.pid)
        finally:
            stop_server(proc)
    finally:
        shutil.rmtree(state, ignore_errors=True)

    # Other work on the machine inflates every figure: say how busy it was.
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} (1 min)")
    start = statistics.median(starts)
    push = statistics.median(pushes)
    print(f"start-to-ready (capstone cloud --port 0): median {start:.2f} s over {len(starts)} "
          f"(min {min(starts):.2f}, max {max(starts):.2f})  goal <= {GOALS['start']} s  [{verdict(start, GOALS['start'])}]")
    print(f"provider op  codecommit GetBranch:       median {provider_ms[0]:.2f} ms, p95 {provider_ms[1]:.2f} ms over "
          f"{args.calls}  goal <= {GOALS['latency_ms']} ms  [{verdict(provider_ms[0], GOALS['latency_ms'])}]")
    print(f"moto-passed  sts GetCallerIdentity:      median {moto_ms[0]:.2f} ms, p95 {moto_ms[1]:.2f} ms over "
          f"{args.calls}  goal <= {GOALS['latency_ms']} ms  [{verdict(moto_ms[0], GOALS['latency_ms'])}]")
    print(f"git push (one-file commit, end to end):  median {push:.0f} ms over {len(pushes)} "
          f"(max {max(pushes):.0f})  goal <= {GOALS['push_ms']:.0f} ms  [{verdict(push, GOALS['push_ms'])}]")
    print(f"idle RSS of the server:                  {rss:.0f} MB  goal <= {GOALS['rss_mb']:.0f} MB  "
          f"[{verdict(rss, GOALS['rss_mb'])}]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
