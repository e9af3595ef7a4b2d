"""localcloud/rest_json.py is generic over rest-json models: routes by method and URI (labels,
greedy labels, fixed query keys), members read from where the model puts them, outputs written
the same way. Proven on Lambda's and CodeArtifact's models, which localcloud does not both serve."""
from __future__ import annotations

import json

import pytest

from localcloud.exceptions import AWSError
from localcloud.rest_json import RestJsonService, query_of
from localcloud.validation import service_model


@pytest.fixture(scope="module")
def lambda_api():
    return RestJsonService(service_model("lambda"))


@pytest.fixture(scope="module")
def codeartifact_api():
    return RestJsonService(service_model("codeartifact"))


def test_a_uri_label_names_the_resource(lambda_api):
    op, labels = lambda_api.operation_for("GET", "/2015-03-31/functions/my-fn", {})
    assert (op.name, labels) == ("GetFunction", {"FunctionName": "my-fn"})
    params = lambda_api.parse(op, labels, query_of("Qualifier=live"), {}, b"")
    assert params == {"FunctionName": "my-fn", "Qualifier": "live"}


def test_method_and_path_tell_operations_apart(codeartifact_api):
    names = {m: codeartifact_api.operation_for(m, "/v1/repository", {})[0].name for m in ("GET", "POST", "PUT", "DELETE")}
    assert names == {"GET": "DescribeRepository", "POST": "CreateRepository", "PUT": "UpdateRepository",
                     "DELETE": "DeleteRepository"}
    assert codeartifact_api.operation_for("PATCH", "/v1/repository", {}) is None


def test_query_members_are_typed_and_body_members_read_from_json(codeartifact_api):
    op, labels = codeartifact_api.operation_for("POST", "/v1/authorization-token", {})
    assert codeartifact_api.parse(op, labels, query_of("domain=d&duration=900"), {}, b"") == \
        {"domain": "d", "durationSeconds": 900}
    with pytest.raises(AWSError) as err:
        codeartifact_api.parse(op, labels, query_of("domain=d&duration=soon"), {}, b"")
    assert err.value.code == "ValidationException"
    op, labels = codeartifact_api.operation_for("POST", "/v1/repository", {})
    body = json.dumps({"description": "x", "upstreams": [{"repositoryName": "u"}]}).encode()
    assert codeartifact_api.parse(op, labels, query_of("domain=d&repository=r"), {}, body) == \
        {"domain": "d", "repository": "r", "description": "x", "upstreams": [{"repositoryName": "u"}]}
    for bad in (b"{not json", b"[1]", json.dumps({"surprise": 1}).encode()):
        with pytest.raises(AWSError) as err:
            codeartifact_api.parse(op, labels, query_of("domain=d&repository=r"), {}, bad)
        assert err.value.code == "SerializationException"


def test_outputs_go_where_the_model_puts_them(codeartifact_api):
    op = service_model("codeartifact").operation_model("GetPackageVersionAsset")
    status, headers, body, content_type = codeartifact_api.serialize(
        op, {"asset": b"bytes", "assetName": "a.whl", "packageVersion": "1.0", "packageVersionRevision": "r"})
    assert (status, body, content_type) == (200, b"bytes", "application/octet-stream")
    assert dict(headers) == {"X-AssetName": "a.whl", "X-PackageVersion": "1.0", "X-PackageVersionRevision": "r"}
    op = service_model("codeartifact").operation_model("GetAuthorizationToken")
    status, headers, body, _ = codeartifact_api.serialize(op, {"authorizationToken": "t", "expiration": None})
    assert (status, headers, json.loads(body)) == (200, [], {"authorizationToken": "t"})


def test_error_statuses_come_from_the_model(codeartifact_api):
    assert codeartifact_api.error_status("AccessDeniedException", 400) == 403
    assert codeartifact_api.error_status("ServiceQuotaExceededException", 400) == 402
    assert codeartifact_api.error_status("NotAModelledError", 418) == 418
