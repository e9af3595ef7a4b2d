"""How much traffic the ALB data plane carries, with zero errors, while it moves between fleets.

An embedded localcloud (at the suite's offline time scale, capstone/profile.py) fronts two blue instances; clients hammer the load
balancer by Host header while two green instances are registered, become healthy, and the blue
ones are deregistered (draining) -- the reroute CodeDeploy's blue/green performs. Prints
requests per second, errors, p50/p99 latency, and the versions seen in order.

    .venv/bin/python benchmarks/bench_alb.py [--seconds 6] [--clients 4]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from capstone.profile import TIME_SCALE  # noqa: E402
from localcloud import LocalCloud  # noqa: E402
from localcloud.settings import Settings  # noqa: E402

APP = r'''
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
VERSION = os.environ["VERSION"].encode()
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms delayed-ACK stall
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", str(len(VERSION)))
        self.end_headers()
        self.wfile.write(VERSION)
    def log_message(self, *a):
        pass
ThreadingHTTPServer(("127.0.0.1", int(os.environ["APP_PORT"])), H).serve_forever()
'''


def build(cloud, app_path: str):
    ec2, elb = cloud.client("ec2"), cloud.client("elbv2")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.9.{i}.0/24", AvailabilityZone=f"us-east-1{z}")["Subnet"]["SubnetId"]
               for i, z in ((1, "a"), (2, "b"))]
    lb = elb.create_load_balancer(Name="bench-alb", Subnets=subnets)["LoadBalancers"][0]
    tg = elb.create_target_group(Name="bench-tg", Protocol="HTTP", Port=80, VpcId=vpc, HealthCheckPath="/",
                                 HealthCheckIntervalSeconds=5, HealthyThresholdCount=2)["TargetGroups"][0]["TargetGroupArn"]
    elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80,
                        DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])
    runtimes = cloud.provider("fleet").runtimes

    def fleet(version: str) -> list[str]:
        ids = [i["InstanceId"] for i in ec2.run_instances(ImageId="ami-12c6146b", MinCount=2, MaxCount=2,
                                                             SubnetId=subnets[0])["Instances"]]
        for i in ids:
            runtimes.runtime(i).spawn([sys.executable, app_path], env={"VERSION": version})
        return ids

    def wait_healthy(ids: list[str]) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            states = {d["Target"]["Id"]: d["TargetHealth"]["State"]
                      for d in elb.describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"]}
            if all(states.get(i) == "healthy" for i in ids):
                return
            time.sleep(0.05)
        raise SystemExit(f"targets never became healthy: {states}")

    return elb, tg, lb["DNSName"], fleet, wait_healthy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp, LocalCloud(port=0, settings=Settings(time_scale=TIME_SCALE)) as cloud:
        app_path = str(Path(tmp) / "app.py")
        Path(app_path).write_text(APP)
        elb, tg, dns, fleet, wait_healthy = build(cloud, app_path)
        blue = fleet("blue")
        elb.register_targets(TargetGroupArn=tg, Targets=[{"Id": i} for i in blue])
        wait_healthy(blue)

        results: list[tuple[float, int, str]] = []  # (latency, status, body)
        stop = threading.Event()

        def client() -> None:
            session = requests.Session()
            local = []
            while not stop.is_set():
                started = time.perf_counter()
                try:
                    r = session.get(cloud.url + "/", headers={"Host": dns}, timeout=10)
                    local.append((time.perf_counter() - started, r.status_code, r.text))
                except requests.RequestException as exc:
                    local.append((time.perf_counter() - started, 0, type(exc).__name__))
            results.extend(local)

        threads = [threading.Thread(target=client, daemon=True) for _ in range(args.clients)]
        began = time.perf_counter()
        for t in threads:
            t.start()
        time.sleep(args.seconds / 3)
        green = fleet("green")
        elb.register_targets(TargetGroupArn=tg, Targets=[{"Id": i} for i in green])
        wait_healthy(green)
        rerouted = time.perf_counter() - began
        elb.deregister_targets(TargetGroupArn=tg, Targets=[{"Id": i} for i in blue])
        time.sleep(max(0.5, args.seconds - (time.perf_counter() - began)))
        stop.set()
        for t in threads:
            t.join(15)
        elapsed = time.perf_counter() - began

    latencies = sorted(r[0] for r in results)
    errors = [r for r in results if r[1] != 200]
    versions: list[str] = []
    for _, status, body in results:
        if status == 200 and (not versions or versions[-1] != body):
            versions.append(body)
    print(f"ALB data plane, {args.clients} keep-alive clients, {elapsed:.1f} s, reroute blue->green at {rerouted:.1f} s")
    print(f"  requests        {len(results)}")
    print(f"  requests/s      {len(results) / elapsed:.0f}   (goal >= 200 with zero errors)")
    print(f"  errors          {len(errors)}" + (f"  e.g. {errors[:3]}" if errors else ""))
    print(f"  latency p50     {statistics.median(latencies) * 1000:.1f} ms")
    print(f"  latency p99     {latencies[int(len(latencies) * 0.99) - 1] * 1000:.1f} ms")
    print(f"  version changes {len(versions) - 1} (per client thread, interleaved): first {versions[:1]}, last {versions[-1:]}")


if __name__ == "__main__":
    main()
