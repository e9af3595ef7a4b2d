"""Packages over the API once published: listed, described, their assets, deleted, their status
changed, with AWS's per-version failures (failedVersions) and nothing changed by a refusal."""
from __future__ import annotations

import hashlib
import uuid

import pytest
from botocore.exceptions import ClientError

from tests.localcloud.codeartifact import dists

pytestmark = pytest.mark.integration


@pytest.fixture
def published(pypi, tmp_path, domain, repo):
    """A package `Lc_Api-<hex>` with versions 1.0 (wheel + sdist) and 2.0 (wheel)."""
    name = f"Lc_Api-{uuid.uuid4().hex[:6]}"
    for path in (dists.wheel(tmp_path, name, "1.0"), dists.sdist(tmp_path, name, "1.0"), dists.wheel(tmp_path, name, "2.0")):
        assert pypi.upload(path).status_code == 200
    return dict(domain=domain, repository=repo, format="pypi", package=name.lower().replace("_", "-")), tmp_path


def test_a_published_package_is_listed_by_its_normalised_name(codeartifact, published):
    ca, _ = published
    packages = codeartifact.list_packages(domain=ca["domain"], repository=ca["repository"])["packages"]
    assert packages == [{"format": "pypi", "package": ca["package"],
                         "originConfiguration": {"restrictions": {"publish": "ALLOW", "upstream": "ALLOW"}}}]
    assert codeartifact.list_packages(domain=ca["domain"], repository=ca["repository"], packagePrefix="zz")["packages"] == []


def test_versions_are_listed_newest_first_with_the_default_display_version(codeartifact, published):
    ca, _ = published
    listed = codeartifact.list_package_versions(**ca)
    assert [v["version"] for v in listed["versions"]] == ["2.0", "1.0"]
    assert listed["defaultDisplayVersion"] == "2.0" and listed["package"] == ca["package"]
    assert all(v["origin"] == {"domainEntryPoint": {"repositoryName": ca["repository"]}, "originType": "INTERNAL"}
               for v in listed["versions"])
    one = codeartifact.list_package_versions(**ca, maxResults=1)
    assert len(one["versions"]) == 1 and codeartifact.list_package_versions(**ca, nextToken=one["nextToken"])["versions"][0]["version"] == "1.0"


def test_a_version_is_described_and_its_assets_listed_with_their_hashes(codeartifact, published):
    ca, folder = published
    described = codeartifact.describe_package_version(**ca, packageVersion="1.0")["packageVersion"]
    assert (described["packageName"], described["version"], described["status"]) == (ca["package"], "1.0", "Published")
    assets = codeartifact.list_package_version_assets(**ca, packageVersion="1.0")["assets"]
    wheel = next(folder.glob("*-1.0-py3-none-any.whl"))
    entry = next(a for a in assets if a["name"] == wheel.name)
    data = wheel.read_bytes()
    assert entry["size"] == len(data)
    assert entry["hashes"] == {"MD5": hashlib.md5(data).hexdigest(), "SHA-1": hashlib.sha1(data).hexdigest(),
                               "SHA-256": hashlib.sha256(data).hexdigest(), "SHA-512": hashlib.sha512(data).hexdigest()}
    with pytest.raises(ClientError) as err:
        codeartifact.describe_package_version(**ca, packageVersion="9.9")
    assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert err.value.response["resourceType"] == "package-version"


def test_status_changes_report_each_versions_outcome(codeartifact, published):
    ca, _ = published
    revision = codeartifact.describe_package_version(**ca, packageVersion="1.0")["packageVersion"]["revision"]
    result = codeartifact.update_package_versions_status(**ca, versions=["1.0", "7.0"], targetStatus="Unlisted",
                                                         versionRevisions={"1.0": revision})
    assert result["successfulVersions"]["1.0"]["status"] == "Unlisted"
    assert result["failedVersions"]["7.0"]["errorCode"] == "NOT_FOUND"
    stale = codeartifact.update_package_versions_status(**ca, versions=["1.0"], targetStatus="Published",
                                                        versionRevisions={"1.0": revision})
    assert stale["failedVersions"]["1.0"]["errorCode"] == "MISMATCHED_REVISION"
    wrong = codeartifact.update_package_versions_status(**ca, versions=["2.0"], targetStatus="Archived",
                                                        expectedStatus="Unlisted")
    assert wrong["failedVersions"]["2.0"]["errorCode"] == "MISMATCHED_STATUS"
    with pytest.raises(ClientError) as err:
        codeartifact.update_package_versions_status(**ca, versions=["2.0"], targetStatus="Disposed")
    assert err.value.response["Error"]["Code"] == "ValidationException"
    statuses = {v["version"]: v["status"] for v in codeartifact.list_package_versions(**ca)["versions"]}
    assert statuses == {"1.0": "Unlisted", "2.0": "Published"}


def test_deleted_versions_are_gone_and_the_last_takes_the_package(codeartifact, published, pypi):
    ca, _ = published
    refused = codeartifact.delete_package_versions(**ca, versions=["1.0"], expectedStatus="Archived")
    assert refused["failedVersions"]["1.0"]["errorCode"] == "MISMATCHED_STATUS"
    assert codeartifact.delete_package_versions(**ca, versions=["1.0"])["successfulVersions"]["1.0"]["status"] == "Deleted"
    assert [v["version"] for v in codeartifact.list_package_versions(**ca)["versions"]] == ["2.0"]
    assert "-1.0" not in pypi.get(f"simple/{ca['package']}/").text
    codeartifact.delete_package_versions(**ca, versions=["2.0"])
    with pytest.raises(ClientError) as err:
        codeartifact.list_package_versions(**ca)
    assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert pypi.get(f"simple/{ca['package']}/").status_code == 404


def test_package_operations_are_authorized_on_the_package_arn(role_session, published, localcloud):
    ca, _ = published
    arn = (f"arn:aws:codeartifact:us-east-1:123456789012:package/{ca['domain']}/{ca['repository']}/pypi//"
           f"{ca['package']}")
    session, _ = role_session({"Effect": "Allow", "Action": "codeartifact:ListPackageVersions", "Resource": arn})
    client = session.client("codeartifact", endpoint_url=localcloud.url)
    assert [v["version"] for v in client.list_package_versions(**ca)["versions"]] == ["2.0", "1.0"]
    with pytest.raises(ClientError) as err:
        client.delete_package_versions(**ca, versions=["1.0"])
    assert err.value.response["Error"]["Code"] == "AccessDeniedException"
    assert f"codeartifact:DeletePackageVersions on resource: {arn}" in err.value.response["Error"]["Message"]
