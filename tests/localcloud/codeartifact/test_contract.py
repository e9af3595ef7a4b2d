"""CodeArtifact's door: what another service may read of a repository, authorized for the
principal it acts as on the ARN AWS evaluates."""
from __future__ import annotations

import uuid

import pytest

from localcloud.iam.authorizer import AccessDeniedByPolicy
from localcloud.principal import Principal

from tests.localcloud.codeartifact import dists

pytestmark = pytest.mark.integration


def test_the_door_describes_a_repository_and_its_listed_versions(localcloud, codeartifact, domain, pypi, repo, tmp_path):
    codeartifact.create_repository(domain=domain, repository="down", upstreams=[{"repositoryName": repo}])
    door, root = localcloud.services.codeartifact, Principal.root()
    info = door.describe_repository(root, "us-east-1", domain, "down")
    assert (info.name, info.upstreams, info.arn) == (
        "down", (repo,), f"arn:aws:codeartifact:us-east-1:123456789012:repository/{domain}/down")
    name = f"lc-door-{uuid.uuid4().hex[:6]}"
    for version in ("1.10", "1.9", "2.0"):
        assert pypi.upload(dists.wheel(tmp_path, name, version)).status_code == 200
    codeartifact.update_package_versions_status(domain=domain, repository=repo, format="pypi", package=name,
                                                versions=["2.0"], targetStatus="Unlisted")
    assert door.listed_versions(root, "us-east-1", domain, repo, name) == ["1.9", "1.10"]   # PEP 440 order


def test_the_door_refuses_a_role_session_its_policies_do_not_allow(localcloud, domain, repo):
    role = localcloud.client("iam").create_role(
        RoleName=f"door-{uuid.uuid4().hex[:8]}", AssumeRolePolicyDocument='{"Version":"2012-10-17","Statement":[]}')
    nobody = Principal.assumed_role(role["Role"]["Arn"], "s")
    with pytest.raises(AccessDeniedByPolicy) as err:
        localcloud.services.codeartifact.describe_repository(nobody, "us-east-1", domain, repo)
    assert "codeartifact:DescribeRepository on resource: arn:aws:codeartifact:us-east-1:123456789012:repository/" \
        in err.value.message
