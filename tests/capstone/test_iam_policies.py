"""IAM least privilege: no "Action": "*", no "Resource": "*" (except for an action AWS scopes to no
resource, and then only under a condition), each role trusted by its service."""
import json

from capstone.builders import iam
from capstone.builders.context import BuildContext
from capstone.builders.names import Names


#: actions whose only resource is "*" in the service authorization reference
#: (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssecuritytokenservice.html)
NO_RESOURCE_TYPE = {"sts:GetServiceBearerToken"}


class _Ledger:  # policies() needs only names
    pass


def _policies():
    names = Names.derive("awscicd", "123456789012", "us-east-1")
    ctx = BuildContext(target=None, names=names, ledger=_Ledger(), run_id="r", tags={"k": "v"})
    return names, iam.policies(ctx)


def test_no_wildcard_action_or_resource():
    _, policies = _policies()
    for role, (_service, document) in policies.items():
        for statement in json.loads(document)["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            assert all(a != "*" and not a.endswith(":*") for a in actions), (role, actions)
            if "*" in resources:
                assert set(actions) <= NO_RESOURCE_TYPE and statement.get("Condition"), (role, statement)


def test_the_build_may_read_exactly_the_internal_repository():
    names, policies = _policies()
    _service, document = policies[names.build_role]
    statements = [s for s in json.loads(document)["Statement"]
                  if any(a.startswith(("codeartifact:", "sts:")) for a in s["Action"])]
    domain = "arn:aws:codeartifact:us-east-1:123456789012:domain/awscicd-cap-packages"
    repository = "arn:aws:codeartifact:us-east-1:123456789012:repository/awscicd-cap-packages/awscicd-cap-internal"
    assert statements == [
        {"Effect": "Allow", "Action": ["codeartifact:GetAuthorizationToken"], "Resource": [domain]},
        {"Effect": "Allow", "Action": ["codeartifact:GetRepositoryEndpoint", "codeartifact:ReadFromRepository"],
         "Resource": [repository]},
        {"Effect": "Allow", "Action": ["sts:GetServiceBearerToken"], "Resource": ["*"],
         "Condition": {"StringEquals": {"sts:AWSServiceName": "codeartifact.amazonaws.com"}}},
    ]


def test_eventbridge_role_may_start_exactly_this_pipeline():
    names, policies = _policies()
    service, document = policies[names.events_role]
    assert service == "events.amazonaws.com"
    assert json.loads(document)["Statement"] == [{"Effect": "Allow", "Action": ["codepipeline:StartPipelineExecution"],
                                                  "Resource": [names.pipeline_arn]}]


def test_each_service_role_trusts_its_service():
    names, policies = _policies()
    assert {role: svc for role, (svc, _) in policies.items()} == {
        names.pipeline_role: "codepipeline.amazonaws.com", names.build_role: "codebuild.amazonaws.com",
        names.deploy_role: "codedeploy.amazonaws.com", names.events_role: "events.amazonaws.com",
        names.instance_role: "ec2.amazonaws.com"}
