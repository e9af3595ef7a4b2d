"""The cost estimate: one price table, the ledger's lifetimes and the pipeline's minutes."""
from __future__ import annotations

import pytest

from capstone.evidence import cost

T = 1_790_000_000.0


def res(type_, start, stop, **attrs):
    iso = lambda t: None if t is None else __import__("datetime").datetime.fromtimestamp(  # noqa: E731
        T + t, __import__("datetime").timezone.utc).isoformat()
    return {"type": type_, "name": f"cc-{type_}", "created_at": iso(start), "deleted_at": iso(stop), "attrs": attrs}


def stage(name, start, stop, status="Succeeded", execution="e-1"):
    return [{"t": T + start, "kind": "stage", "stage": name, "status": "InProgress", "execution_id": execution},
            {"t": T + stop, "kind": "stage", "stage": name, "status": status, "execution_id": execution}]


def lines(estimate):
    return {line["item"]: line for line in estimate["lines"]}


def test_instances_albs_builds_and_action_minutes():
    resources = [res("launch_template", 0, 900, instance_type="t4g.nano"),
                 res("autoscaling_group", 10, 3610, desired_capacity=2),
                 res("load_balancer", 0, 3601), res("target_group", 0, 3601)]
    timeline = (stage("Source", 0, 5) + stage("BuildAndTest", 5, 130) + stage("Approval", 130, 900)
                + stage("DeployBlueGreen", 900, 1000))
    est = lines(cost.estimate(resources, timeline, run_end=T + 4000))
    assert est["EC2 t4g.nano"]["quantity"] == 2 * 3600 + 2 * 0  # no deployment events: no green fleet
    assert est["EC2 t4g.nano"]["usd"] == pytest.approx(2 * 0.0042)
    assert est["ALB hours"]["quantity"] == 2  # 3601 s is billed as two ALB-hours
    assert est["CodeBuild minutes"]["quantity"] == 3  # 125 s rounds up to 3 build minutes
    # Source 1 + Build 3 + Deploy 2; the manual approval's 13 minutes are not action minutes
    assert est["CodePipeline V2 action minutes"]["quantity"] == 6


def test_green_fleet_is_counted_from_deployments_when_the_ledger_lacks_it():
    timeline = [{"t": T, "kind": "deployment", "deployment_id": "d-1", "status": "InProgress"},
                {"t": T + 300, "kind": "deployment", "deployment_id": "d-1", "status": "Succeeded"}]
    est = lines(cost.estimate([], timeline, run_end=T + 400))
    assert est["EC2 t3.micro"]["quantity"] == 300 * cost.DEFAULTS["capacity"]


def test_undeleted_resources_count_until_the_run_ended():
    est = lines(cost.estimate([res("autoscaling_group", 0, None, desired_capacity=1)], [], run_end=T + 120))
    assert est["EC2 t3.micro"]["quantity"] == 120


def test_total_is_the_sum_of_lines():
    est = cost.estimate([res("secret", 0, 7200), res("alarm", 0, 7200)], stage("BuildAndTest", 0, 60), run_end=T + 7200)
    assert est["total_usd"] == pytest.approx(sum(line["usd"] for line in est["lines"]), abs=1e-4)
    assert {"Secrets Manager secret", "CloudWatch alarm"} <= set(lines(est))


def test_codeartifact_storage_and_requests_at_the_published_list_prices():
    resources = [res("codeartifact:domain", 0, 7200), res("codeartifact:repository", 0, 7200)]
    gib = 1024 ** 3
    timeline = ([{"t": T + 0, "kind": "package_published", "bytes": gib},
                 {"t": T + 3600, "kind": "package_published", "bytes": gib}]
                + stage("BuildAndTest", 10, 70) + stage("BuildAndTest", 3700, 3760, execution="e-2"))
    est = lines(cost.estimate(resources, timeline, run_end=T + 9000))
    storage, requests = est["CodeArtifact storage"], est["CodeArtifact requests"]
    # 1 GB for 2 hours + 1 GB for 1 hour, until the repository was deleted
    assert storage["quantity"] == pytest.approx(3)
    assert storage["usd"] == pytest.approx(3 * 0.05 / 730, abs=1e-6)  # lines are rounded to 6 places
    # two publishes (3 requests each) and two builds installing from it (4 each)
    assert requests["quantity"] == 2 * 3 + 2 * 4
    assert requests["usd"] == pytest.approx(14 * 0.05 / 10_000, abs=1e-6)
    assert "100,000 requests" in requests["free_tier"]


def test_no_codeartifact_lines_without_a_repository():
    est = lines(cost.estimate([], stage("BuildAndTest", 0, 60), run_end=T + 60))
    assert "CodeArtifact storage" not in est and "CodeArtifact requests" not in est
