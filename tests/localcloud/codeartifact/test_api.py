"""CodeArtifact's control plane over boto3: shapes per the botocore model, AWS's errors with
their HTTP statuses and modelled members, and nothing changed by a refused request."""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from botocore.exceptions import ClientError

pytestmark = pytest.mark.integration

ACCOUNT = "123456789012"


def _error(excinfo) -> tuple[str, int, dict]:
    response = excinfo.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"], response


def test_a_domain_is_described_listed_and_deleted_as_the_model_shapes_it(codeartifact):
    name = f"d-{uuid.uuid4().hex[:10]}"
    created = codeartifact.create_domain(domain=name, tags=[{"key": "team", "value": "ci"}])["domain"]
    assert created["arn"] == f"arn:aws:codeartifact:us-east-1:{ACCOUNT}:domain/{name}"
    assert (created["status"], created["owner"], created["repositoryCount"], created["assetSizeBytes"]) == \
        ("Active", ACCOUNT, 0, 0)
    assert created["encryptionKey"].startswith(f"arn:aws:kms:us-east-1:{ACCOUNT}:key/")
    assert codeartifact.describe_domain(domain=name, domainOwner=ACCOUNT)["domain"] == created
    assert name in [d["name"] for d in codeartifact.list_domains()["domains"]]
    paged = codeartifact.list_domains(maxResults=1)   # maxResults travels in ListDomains' JSON body
    assert len(paged["domains"]) == 1 and ("nextToken" in paged) == (len(codeartifact.list_domains()["domains"]) > 1)
    assert codeartifact.list_tags_for_resource(resourceArn=created["arn"])["tags"] == [{"key": "team", "value": "ci"}]
    deleted = codeartifact.delete_domain(domain=name)["domain"]
    assert deleted["status"] == "Deleted"
    with pytest.raises(ClientError) as err:
        codeartifact.describe_domain(domain=name)
    code, status, response = _error(err)
    assert (code, status) == ("ResourceNotFoundException", 404)
    assert response["Error"]["Message"] == f"Domain not found. Domain '{name}' owned by account '{ACCOUNT}' does not exist."
    assert (response["resourceId"], response["resourceType"]) == (name, "domain")


def test_a_domain_that_has_repositories_refuses_deletion(codeartifact, domain, repo):
    with pytest.raises(ClientError) as err:
        codeartifact.delete_domain(domain=domain)
    code, status, response = _error(err)
    assert (code, status, response["resourceType"]) == ("ConflictException", 409, "domain")
    assert response["Error"]["Message"] == "Domain must contain 0 repositories before deletion"
    assert codeartifact.describe_domain(domain=domain)["domain"]["repositoryCount"] == 1


def test_names_and_ranges_are_validated_per_the_model(codeartifact, domain):
    for call in (lambda: codeartifact.create_domain(domain="Bad_Name"),
                 lambda: codeartifact.create_repository(domain=domain, repository="-starts-with-dash"),
                 lambda: codeartifact.get_authorization_token(domain=domain, durationSeconds=43201),
                 lambda: codeartifact.get_authorization_token(domain=domain, durationSeconds=899)):
        with pytest.raises(ClientError) as err:
            call()
        code, status, _ = _error(err)
        assert (code, status) == ("ValidationException", 400)
    assert codeartifact.list_repositories_in_domain(domain=domain)["repositories"] == []


def test_a_second_domain_or_repository_of_one_name_conflicts(codeartifact, domain, repo):
    for call in (lambda: codeartifact.create_domain(domain=domain),
                 lambda: codeartifact.create_repository(domain=domain, repository=repo)):
        with pytest.raises(ClientError) as err:
            call()
        assert _error(err)[:2] == ("ConflictException", 409)


def test_repositories_are_described_listed_updated_and_deleted(codeartifact, domain):
    codeartifact.create_repository(domain=domain, repository="base", description="first")
    made = codeartifact.create_repository(domain=domain, repository="app", upstreams=[{"repositoryName": "base"}],
                                          tags=[{"key": "k", "value": "v"}])["repository"]
    assert made["arn"] == f"arn:aws:codeartifact:us-east-1:{ACCOUNT}:repository/{domain}/app"
    assert (made["domainName"], made["domainOwner"], made["administratorAccount"]) == (domain, ACCOUNT, ACCOUNT)
    assert made["upstreams"] == [{"repositoryName": "base"}] and made["externalConnections"] == []
    listed = codeartifact.list_repositories_in_domain(domain=domain)["repositories"]
    assert [r["name"] for r in listed] == ["app", "base"]
    assert [r["name"] for r in codeartifact.list_repositories_in_domain(domain=domain, repositoryPrefix="ba")["repositories"]] == ["base"]
    assert {"app", "base"} <= {r["name"] for r in codeartifact.list_repositories()["repositories"] if r["domainName"] == domain}
    updated = codeartifact.update_repository(domain=domain, repository="app", description="now", upstreams=[])["repository"]
    assert (updated["description"], updated["upstreams"]) == ("now", [])
    assert codeartifact.describe_repository(domain=domain, repository="app")["repository"] == updated
    assert codeartifact.delete_repository(domain=domain, repository="app")["repository"]["name"] == "app"
    with pytest.raises(ClientError) as err:
        codeartifact.describe_repository(domain=domain, repository="app")
    code, status, response = _error(err)
    assert (code, status, response["resourceId"], response["resourceType"]) == \
        ("ResourceNotFoundException", 404, "app", "repository")


def test_upstreams_must_exist_and_never_form_a_cycle(codeartifact, domain):
    codeartifact.create_repository(domain=domain, repository="ra")
    codeartifact.create_repository(domain=domain, repository="rb", upstreams=[{"repositoryName": "ra"}])
    with pytest.raises(ClientError) as err:
        codeartifact.create_repository(domain=domain, repository="rc", upstreams=[{"repositoryName": "missing"}])
    assert _error(err)[:2] == ("ResourceNotFoundException", 404)
    with pytest.raises(ClientError) as err:
        codeartifact.update_repository(domain=domain, repository="ra", upstreams=[{"repositoryName": "rb"}])
    assert _error(err)[:2] == ("ValidationException", 400)
    with pytest.raises(ClientError) as err:
        codeartifact.update_repository(domain=domain, repository="ra", upstreams=[{"repositoryName": "ra"}])
    assert _error(err)[:2] == ("ValidationException", 400)
    # nothing half-written: rc was not created, ra has no upstreams
    assert {r["name"] for r in codeartifact.list_repositories_in_domain(domain=domain)["repositories"]} == {"ra", "rb"}
    assert codeartifact.describe_repository(domain=domain, repository="ra")["repository"]["upstreams"] == []
    with pytest.raises(ClientError) as err:  # an upstream of rb cannot go while rb names it
        codeartifact.delete_repository(domain=domain, repository="ra")
    assert _error(err)[:2] == ("ConflictException", 409)


def test_external_connections_are_associated_once_and_disassociated(codeartifact, domain, repo):
    got = codeartifact.associate_external_connection(domain=domain, repository=repo, externalConnection="public:pypi")
    assert got["repository"]["externalConnections"] == [
        {"externalConnectionName": "public:pypi", "packageFormat": "pypi", "status": "Available"}]
    with pytest.raises(ClientError) as err:
        codeartifact.associate_external_connection(domain=domain, repository=repo, externalConnection="public:pypi")
    assert _error(err)[:2] == ("ConflictException", 409)
    with pytest.raises(ClientError) as err:
        codeartifact.associate_external_connection(domain=domain, repository=repo, externalConnection="public:npmjs")
    assert _error(err)[:2] == ("ValidationException", 400)
    with pytest.raises(ClientError) as err:
        codeartifact.associate_external_connection(domain=domain, repository=repo, externalConnection="public:nowhere")
    assert _error(err)[:2] == ("ValidationException", 400)
    gone = codeartifact.disassociate_external_connection(domain=domain, repository=repo, externalConnection="public:pypi")
    assert gone["repository"]["externalConnections"] == []
    with pytest.raises(ClientError) as err:
        codeartifact.disassociate_external_connection(domain=domain, repository=repo, externalConnection="public:pypi")
    assert _error(err)[:2] == ("ResourceNotFoundException", 404)


def test_the_domain_permissions_policy_is_put_read_and_deleted_by_revision(codeartifact, domain):
    with pytest.raises(ClientError) as err:
        codeartifact.get_domain_permissions_policy(domain=domain)
    assert _error(err)[:2] == ("ResourceNotFoundException", 404)
    document = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": ACCOUNT},
                                                                     "Action": "codeartifact:*", "Resource": "*"}]})
    put = codeartifact.put_domain_permissions_policy(domain=domain, policyDocument=document)["policy"]
    assert (put["document"], put["resourceArn"]) == (document, f"arn:aws:codeartifact:us-east-1:{ACCOUNT}:domain/{domain}")
    assert codeartifact.get_domain_permissions_policy(domain=domain)["policy"] == put
    with pytest.raises(ClientError) as err:
        codeartifact.put_domain_permissions_policy(domain=domain, policyDocument="{not json")
    assert _error(err)[:2] == ("ValidationException", 400)
    with pytest.raises(ClientError) as err:
        codeartifact.delete_domain_permissions_policy(domain=domain, policyRevision="stale")
    assert _error(err)[:2] == ("ConflictException", 409)
    assert codeartifact.get_domain_permissions_policy(domain=domain)["policy"] == put
    assert codeartifact.delete_domain_permissions_policy(domain=domain, policyRevision=put["revision"])["policy"] == put
    with pytest.raises(ClientError):
        codeartifact.get_domain_permissions_policy(domain=domain)


def test_tags_are_added_removed_and_listed_by_arn(codeartifact, domain, repo):
    arn = codeartifact.describe_repository(domain=domain, repository=repo)["repository"]["arn"]
    codeartifact.tag_resource(resourceArn=arn, tags=[{"key": "a", "value": "1"}, {"key": "b", "value": "2"}])
    codeartifact.untag_resource(resourceArn=arn, tagKeys=["a"])
    assert codeartifact.list_tags_for_resource(resourceArn=arn)["tags"] == [{"key": "b", "value": "2"}]
    with pytest.raises(ClientError) as err:
        codeartifact.list_tags_for_resource(resourceArn=arn + "-gone")
    assert _error(err)[:2] == ("ResourceNotFoundException", 404)


def test_a_token_lasts_twelve_hours_by_default_or_what_was_asked(codeartifact, domain):
    now = datetime.now(timezone.utc)
    default = codeartifact.get_authorization_token(domain=domain)["expiration"]
    asked = codeartifact.get_authorization_token(domain=domain, durationSeconds=900)["expiration"]
    assert timedelta(hours=12) - timedelta(seconds=30) < default - now < timedelta(hours=12, seconds=30)
    assert timedelta(seconds=870) < asked - now < timedelta(seconds=930)
    with pytest.raises(ClientError) as err:
        codeartifact.get_authorization_token(domain="d-none")
    assert _error(err)[:2] == ("ResourceNotFoundException", 404)


def test_the_repository_endpoint_is_pypis_and_other_formats_are_refused_clearly(codeartifact, domain, repo, localcloud):
    url = codeartifact.get_repository_endpoint(domain=domain, repository=repo, format="pypi")["repositoryEndpoint"]
    assert url == f"{localcloud.url}/_localcloud/codeartifact/{domain}-{ACCOUNT}/us-east-1/pypi/{repo}/"
    for kwargs in ({"format": "npm"}, {"format": "pypi", "endpointType": "dualstack"}):
        with pytest.raises(ClientError) as err:
            codeartifact.get_repository_endpoint(domain=domain, repository=repo, **kwargs)
        code, status, response = _error(err)
        assert (code, status) == ("ValidationException", 400) and "not emulated" in response["Error"]["Message"]
    with pytest.raises(ClientError) as err:
        codeartifact.get_repository_endpoint(domain=domain, repository="nope", format="pypi")
    assert _error(err)[:2] == ("ResourceNotFoundException", 404)


def test_an_operation_localcloud_does_not_emulate_says_so(codeartifact, domain):
    with pytest.raises(ClientError) as err:
        codeartifact.list_package_groups(domain=domain)
    code, status, response = _error(err)
    assert (code, status) == ("NotImplemented", 501)
    assert "does not emulate codeartifact's ListPackageGroups" in response["Error"]["Message"]


def test_a_role_session_needs_the_service_bearer_token_permission_with_its_condition(role_session, domain, localcloud):
    allow_ca = {"Effect": "Allow", "Action": "codeartifact:GetAuthorizationToken",
                "Resource": f"arn:aws:codeartifact:us-east-1:{ACCOUNT}:domain/{domain}"}
    bearer = {"Effect": "Allow", "Action": "sts:GetServiceBearerToken", "Resource": "*",
              "Condition": {"StringEquals": {"sts:AWSServiceName": "codeartifact.amazonaws.com"}}}
    wrong = {**bearer, "Condition": {"StringEquals": {"sts:AWSServiceName": "other.amazonaws.com"}}}
    for statements in ((allow_ca,), (allow_ca, wrong)):
        session, _ = role_session(*statements)
        with pytest.raises(ClientError) as err:
            session.client("codeartifact", endpoint_url=localcloud.url).get_authorization_token(domain=domain)
        code, status, response = _error(err)
        assert (code, status) == ("AccessDeniedException", 403)
        assert response["Error"]["Message"].startswith("User: arn:aws:sts::123456789012:assumed-role/")
        assert "is not authorized to perform: sts:GetServiceBearerToken on resource: *" in response["Error"]["Message"]
    session, creds = role_session(allow_ca, bearer)
    client = session.client("codeartifact", endpoint_url=localcloud.url)
    assert client.get_authorization_token(domain=domain, durationSeconds=43200)["authorizationToken"]
    # 0: the token ends with the role session; otherwise its lifetime ignores the session's
    follows = client.get_authorization_token(domain=domain, durationSeconds=0)["expiration"]
    assert abs((follows - creds["Expiration"]).total_seconds()) < 0.01  # the wire keeps milliseconds
    with pytest.raises(ClientError) as err:  # the domain permission alone is not DescribeDomain
        client.describe_domain(domain=domain)
    assert _error(err)[:2] == ("AccessDeniedException", 403)

