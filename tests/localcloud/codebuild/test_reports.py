"""`reports:` from a real pytest run: auto-created report group, real counts, never the build's judge."""
from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

pytestmark = pytest.mark.integration

PYTEST_BUILDSPEC = """version: 0.2
phases:
  pre_build:
    commands:
      - |
        cat > test_sample.py <<'PY'
        import pytest
        def test_one(): assert True
        def test_two(): assert True
        def test_broken(): assert 1 == 2, "one is not two"
        @pytest.mark.skip(reason="a planted SKIPPED case for the report counts")
        def test_skipped(): pass
        PY
  build:
    commands:
      - python -m pytest -q -p no:cacheprovider --junitxml=reports/junit.xml test_sample.py{swallow}
reports:
  pytest_reports:
    files:
      - junit.xml
    base-directory: reports
    file-format: JUNITXML
"""


def _report(codebuild, build):
    assert len(build["reportArns"]) == 1
    return codebuild.client.batch_get_reports(reportArns=build["reportArns"])["reports"][0]


def test_junit_report_counts_and_auto_created_group(codebuild):
    project = codebuild.project(PYTEST_BUILDSPEC.format(swallow=""))
    build = codebuild.run(project)
    # pytest's exit status is the gate: the BUILD phase fails, the report is still made
    assert build["buildStatus"] == "FAILED"
    assert codebuild.phase(build, "BUILD")["contexts"][0]["statusCode"] == "COMMAND_EXECUTION_ERROR"
    report = _report(codebuild, build)
    assert report["status"] == "FAILED" and report["type"] == "TEST"
    assert report["executionId"] == build["arn"]
    summary = report["testSummary"]
    assert summary["total"] == 4
    assert summary["statusCounts"] == {"SUCCEEDED": 2, "FAILED": 1, "SKIPPED": 1}
    group_arn = report["reportGroupArn"]
    assert group_arn.endswith(f":report-group/{project}-pytest_reports")
    group = codebuild.client.batch_get_report_groups(reportGroupArns=[group_arn])["reportGroups"][0]
    assert group["name"] == f"{project}-pytest_reports" and group["type"] == "TEST"
    assert codebuild.client.list_reports_for_report_group(reportGroupArn=group_arn)["reports"] == [report["arn"]]
    failed = codebuild.client.describe_test_cases(reportArn=report["arn"], filter={"status": "FAILED"})["testCases"]
    assert [c["name"] for c in failed] == ["test_broken"]
    assert "one is not two" in failed[0]["message"]
    assert failed[0]["prefix"] == "test_sample" and failed[0]["durationInNanoSeconds"] >= 0
    # the auto-created group is a leak candidate: it deletes with its reports
    with pytest.raises(ClientError) as err:
        codebuild.client.delete_report_group(arn=group_arn)
    assert err.value.response["Error"]["Code"] == "InvalidInputException"
    codebuild.client.delete_report_group(arn=group_arn, deleteReports=True)
    assert codebuild.client.batch_get_reports(reportArns=[report["arn"]])["reportsNotFound"] == [report["arn"]]


def test_a_failed_report_does_not_fail_the_build(codebuild):
    project = codebuild.project(PYTEST_BUILDSPEC.format(swallow=" || true"))
    build = codebuild.run(project)
    assert build["buildStatus"] == "SUCCEEDED"
    assert _report(codebuild, build)["status"] == "FAILED"


def test_report_group_api(codebuild):
    name = codebuild.name("rg")
    client = codebuild.client
    group = client.create_report_group(name=name, type="TEST", exportConfig={"exportConfigType": "NO_EXPORT"},
                                       tags=[{"key": "run", "value": "x"}])["reportGroup"]
    assert group["arn"].endswith(f":report-group/{name}") and group["tags"] == [{"key": "run", "value": "x"}]
    with pytest.raises(ClientError) as err:
        client.create_report_group(name=name, type="TEST", exportConfig={"exportConfigType": "NO_EXPORT"})
    assert err.value.response["Error"]["Code"] == "ResourceAlreadyExistsException"
    updated = client.update_report_group(arn=group["arn"], tags=[{"key": "run", "value": "y"}])["reportGroup"]
    assert updated["tags"] == [{"key": "run", "value": "y"}]
    assert group["arn"] in client.list_report_groups()["reportGroups"]
    with pytest.raises(ClientError) as err:
        client.create_report_group(name=codebuild.name("rg"), type="TEST", exportConfig={"exportConfigType": "S3"})
    assert err.value.response["Error"]["Code"] == "InvalidInputException"
    client.delete_report_group(arn=group["arn"])
    client.delete_report_group(arn=group["arn"])  # idempotent
    assert client.batch_get_report_groups(reportGroupArns=[group["arn"]])["reportGroupsNotFound"] == [group["arn"]]
    with pytest.raises(ClientError) as err:
        client.list_reports_for_report_group(reportGroupArn=group["arn"])
    assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"
