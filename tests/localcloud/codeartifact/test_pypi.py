"""The PyPI protocol on a repository's endpoint, over real HTTP: tokens, the simple index (PEP 503
HTML and PEP 691 JSON), downloads, upstream order, the offline public:pypi connection, version
statuses, and uploads that are refused whole."""
from __future__ import annotations

import hashlib
import io
import os
import zipfile
import uuid
from datetime import timedelta

import pytest
import requests

from tests.localcloud.codeartifact import dists
from tests.localcloud.codeartifact.conftest import PyPI

pytestmark = pytest.mark.integration

JSON = "application/vnd.pypi.simple.v1+json"


def _project(prefix="lc-pkg") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


def _assets_on_disk(backend) -> set[str]:
    folder = backend.state_dir / "assets"
    return set(os.listdir(folder)) if folder.exists() else set()


# -- tokens -----------------------------------------------------------------------------------
def test_every_request_needs_a_live_token_for_the_domain(pypi, codeartifact, backend, repo):
    assert pypi.get("simple/").status_code == 200
    anonymous = requests.get(pypi.url + "simple/", timeout=10)
    assert anonymous.status_code == 401 and anonymous.headers["WWW-Authenticate"].startswith("Basic")
    for auth in (("aws", "not-a-token"), ("someone", pypi.token)):
        refused = requests.get(pypi.url + "simple/", auth=auth, timeout=10)
        assert refused.status_code == 401 and "WWW-Authenticate" in refused.headers
    other = f"d-{uuid.uuid4().hex[:10]}"
    codeartifact.create_domain(domain=other)
    try:
        foreign = codeartifact.get_authorization_token(domain=other)["authorizationToken"]
        assert requests.get(pypi.url + "simple/", auth=("aws", foreign), timeout=10).status_code == 401
    finally:
        codeartifact.delete_domain(domain=other)


def test_a_token_stops_working_when_it_expires(pypi, backend, codeartifact, domain):
    short = codeartifact.get_authorization_token(domain=domain, durationSeconds=900)["authorizationToken"]
    assert requests.get(pypi.url + "simple/", auth=("aws", short), timeout=10).status_code == 200
    real_now = backend.now
    backend.now = lambda: real_now() + timedelta(seconds=901)
    try:
        refused = requests.get(pypi.url + "simple/", auth=("aws", short), timeout=10)
        assert refused.status_code == 401 and "expired" in refused.text
    finally:
        backend.now = real_now


def test_an_unknown_repository_is_not_found(pypi):
    missing = pypi.url.replace("/pypi/", "/pypi/").rstrip("/").rsplit("/", 1)[0] + "/no-such-repo/simple/"
    answer = pypi.http.get(missing, timeout=10)
    assert answer.status_code == 404 and "no-such-repo" in answer.text


# -- reading ----------------------------------------------------------------------------------
def test_the_simple_index_links_each_file_with_its_sha256_in_html_and_json(pypi, tmp_path):
    name = _project()
    wheel = dists.wheel(tmp_path, name, "1.0")
    assert pypi.upload(wheel).status_code == 200
    sha = hashlib.sha256(wheel.read_bytes()).hexdigest()
    root = pypi.get("simple/")
    assert root.headers["Content-Type"].startswith("text/html") and f'href="{name}/"' in root.text
    page = pypi.get(f"simple/{name}/")
    assert f'href="1.0/{wheel.name}#sha256={sha}"' in page.text and 'data-requires-python="&gt;=3.8"' in page.text
    as_json = pypi.get(f"simple/{name}/", headers={"Accept": f"{JSON}, text/html;q=0.01"})
    assert as_json.headers["Content-Type"] == JSON
    assert as_json.json()["files"] == [{"filename": wheel.name, "url": f"1.0/{wheel.name}", "hashes": {"sha256": sha},
                                        "requires-python": ">=3.8"}]
    assert {"name": name} in pypi.get("simple/", headers={"Accept": JSON}).json()["projects"]
    download = pypi.get(f"simple/{name}/1.0/{wheel.name}")
    assert download.status_code == 200 and download.content == wheel.read_bytes()


def test_a_project_name_is_normalised_per_pep_503(pypi, tmp_path):
    name = _project("Lc_Pkg")
    assert pypi.upload(dists.wheel(tmp_path, name, "1.0")).status_code == 200
    normal = name.lower().replace("_", "-")
    moved = pypi.get(f"simple/{name.replace('-', '.')}/")
    assert moved.status_code == 301 and moved.headers["Location"].endswith(f"/simple/{normal}/")
    assert pypi.get(f"simple/{normal}").status_code == 301
    assert pypi.get("simple").headers["Location"].endswith("/simple/")
    assert pypi.get(f"simple/{normal}/").status_code == 200


def test_upstreams_resolve_in_order_and_own_versions_come_first(codeartifact, domain, tmp_path):
    for repo in ("up-one", "up-two"):
        codeartifact.create_repository(domain=domain, repository=repo)
    codeartifact.create_repository(domain=domain, repository="app",
                                   upstreams=[{"repositoryName": "up-one"}, {"repositoryName": "up-two"}])
    one, two, app = (PyPI(codeartifact, domain, r) for r in ("up-one", "up-two", "app"))
    name = _project()
    (tmp_path / "two").mkdir()
    assert two.upload(dists.wheel(tmp_path / "two", name, "1.0", greeting="from two")).status_code == 200
    assert pypi_files(app, name) == [f"1.0/{_wheel_name(name, '1.0')}"]
    (tmp_path / "one").mkdir()
    assert one.upload(dists.wheel(tmp_path / "one", name, "1.0", greeting="from one")).status_code == 200
    assert one.upload(dists.wheel(tmp_path / "one", name, "2.0")).status_code == 200
    (tmp_path / "app").mkdir()
    assert app.upload(dists.wheel(tmp_path / "app", name, "3.0")).status_code == 200
    assert pypi_files(app, name) == [f"{v}/{_wheel_name(name, v)}" for v in ("1.0", "2.0", "3.0")]
    # 1.0 is in both upstreams: the first listed (up-one) answers
    got = app.get(f"simple/{name}/1.0/{_wheel_name(name, '1.0')}").content
    module = name.replace("-", "_")
    assert "from one" in zipfile.ZipFile(io.BytesIO(got)).read(f"{module}/__init__.py").decode()
    # the API lists a repository's own versions only
    versions = codeartifact.list_package_versions(domain=domain, repository="app", format="pypi", package=name)["versions"]
    assert [v["version"] for v in versions] == ["3.0"]


def _wheel_name(name: str, version: str) -> str:
    return f"{name.replace('-', '_')}-{version}-py3-none-any.whl"


def pypi_files(pypi, name) -> list[str]:
    return [f["url"] for f in pypi.get(f"simple/{name}/", headers={"Accept": JSON}).json()["files"]]


def test_public_pypi_is_offline_and_says_so_never_an_empty_index(codeartifact, domain, tmp_path):
    codeartifact.create_repository(domain=domain, repository="pypi-store")
    codeartifact.associate_external_connection(domain=domain, repository="pypi-store", externalConnection="public:pypi")
    codeartifact.create_repository(domain=domain, repository="team", upstreams=[{"repositoryName": "pypi-store"}])
    team = PyPI(codeartifact, domain, "team")
    answer = team.get("simple/requests/")
    assert answer.status_code == 502
    assert "public:pypi external connection (on pypi-store) is not emulated" in answer.text and "offline" in answer.text
    name = _project()
    assert team.upload(dists.wheel(tmp_path, name, "1.0")).status_code == 200
    assert team.get(f"simple/{name}/").status_code == 200   # what is here is served


def test_a_project_nowhere_without_an_external_connection_is_not_found(pypi):
    answer = pypi.get("simple/nothing-here/")
    assert answer.status_code == 404 and "nothing-here" in answer.text


def test_statuses_change_what_pip_sees_as_aws_documents(pypi, codeartifact, domain, repo, tmp_path):
    name = _project()
    for version in ("1.0", "2.0", "3.0", "4.0"):
        assert pypi.upload(dists.wheel(tmp_path, name, version)).status_code == 200
    ca = dict(domain=domain, repository=repo, format="pypi", package=name)
    codeartifact.update_package_versions_status(**ca, versions=["2.0"], targetStatus="Unlisted")
    codeartifact.update_package_versions_status(**ca, versions=["3.0"], targetStatus="Archived")
    disposed = codeartifact.dispose_package_versions(**ca, versions=["4.0"])
    assert disposed["successfulVersions"]["4.0"]["status"] == "Disposed"
    assert pypi_files(pypi, name) == [f"1.0/{_wheel_name(name, '1.0')}"]
    # Unlisted: still downloadable by its URL; Archived and Disposed: not
    assert pypi.get(f"simple/{name}/2.0/{_wheel_name(name, '2.0')}").status_code == 200
    assert pypi.get(f"simple/{name}/3.0/{_wheel_name(name, '3.0')}").status_code == 404
    assert pypi.get(f"simple/{name}/4.0/{_wheel_name(name, '4.0')}").status_code == 404
    statuses = {v["version"]: v["status"] for v in codeartifact.list_package_versions(**ca)["versions"]}
    assert statuses == {"1.0": "Published", "2.0": "Unlisted", "3.0": "Archived", "4.0": "Disposed"}
    assert codeartifact.list_package_version_assets(**ca, packageVersion="4.0")["assets"] == []
    # published again, an archived version is offered again
    codeartifact.update_package_versions_status(**ca, versions=["3.0"], targetStatus="Published")
    assert f"3.0/{_wheel_name(name, '3.0')}" in pypi_files(pypi, name)


# -- uploads ----------------------------------------------------------------------------------
def test_malformed_uploads_are_refused_whole_and_the_index_is_unchanged(pypi, backend, tmp_path, codeartifact, domain, repo):
    name = _project()
    good = dists.wheel(tmp_path, name, "1.0")
    assert pypi.upload(good).status_code == 200
    before_index, before_disk = pypi.get(f"simple/{name}/").text, _assets_on_disk(backend)
    other = tmp_path / "other"
    other.mkdir()
    (tmp_path / "broken").mkdir()
    not_zip = tmp_path / "broken" / _wheel_name(name, "2.0")
    not_zip.write_bytes(b"this is not a wheel")
    cases = {
        "bad version": (dists.wheel(other, name, "2.0"), {"version": "two"}),
        "bad name": (dists.wheel(other, name, "2.0"), {"name": "-bad-"}),
        "file is another version": (dists.wheel(other, name, "2.0"), {"version": "3.0"}),
        "damaged on the way": (dists.wheel(other, name, "2.0"), {"sha256_digest": "0" * 64}),
        "not an archive": (not_zip, {}),
        "unknown filetype": (dists.wheel(other, name, "2.0"), {"filetype": "bdist_egg"}),
        "unknown action": (dists.wheel(other, name, "2.0"), {":action": "remove_pkg"}),
    }
    for case, (path, fields) in cases.items():
        answer = pypi.upload(path, **fields)
        assert answer.status_code == 400, (case, answer.status_code, answer.text)
    duplicate = pypi.upload(good)
    assert duplicate.status_code == 409 and "already exists" in duplicate.text
    assert pypi.get(f"simple/{name}/").text == before_index
    assert _assets_on_disk(backend) == before_disk
    versions = codeartifact.list_package_versions(domain=domain, repository=repo, format="pypi", package=name)["versions"]
    assert [v["version"] for v in versions] == ["1.0"]


def test_an_upload_over_the_asset_size_limit_is_refused_before_it_is_kept(pypi, backend, tmp_path):
    name = _project()
    wheel = dists.wheel(tmp_path, name, "1.0")
    before = _assets_on_disk(backend)
    saved = backend.max_asset_bytes
    backend.max_asset_bytes = wheel.stat().st_size - 1   # AWS's limit is 5 GB; the rule is the same
    try:
        answer = pypi.upload(wheel)
    finally:
        backend.max_asset_bytes = saved
    assert answer.status_code == 413 and "largest asset" in answer.text
    assert pypi.get(f"simple/{name}/").status_code == 404
    assert _assets_on_disk(backend) == before


def test_reading_and_publishing_are_authorized_for_the_tokens_principal(role_session, domain, repo, localcloud, tmp_path):
    base = f"arn:aws:codeartifact:us-east-1:123456789012"
    token_rights = [{"Effect": "Allow", "Action": ["codeartifact:GetAuthorizationToken", "codeartifact:GetRepositoryEndpoint"],
                     "Resource": "*"},
                    {"Effect": "Allow", "Action": "sts:GetServiceBearerToken", "Resource": "*",
                     "Condition": {"StringEquals": {"sts:AWSServiceName": "codeartifact.amazonaws.com"}}}]
    reader, _ = role_session(*token_rights, {"Effect": "Allow", "Action": "codeartifact:ReadFromRepository",
                                             "Resource": f"{base}:repository/{domain}/{repo}"})
    as_reader = PyPI(reader.client("codeartifact", endpoint_url=localcloud.url), domain, repo)
    assert as_reader.get("simple/").status_code == 200
    refused = as_reader.upload(dists.wheel(tmp_path, _project(), "1.0"))
    assert refused.status_code == 403 and "codeartifact:PublishPackageVersion" in refused.text
    outsider, _ = role_session(*token_rights)
    as_outsider = PyPI(outsider.client("codeartifact", endpoint_url=localcloud.url), domain, repo)
    denied = as_outsider.get("simple/")
    assert denied.status_code == 403 and "codeartifact:ReadFromRepository" in denied.text
