"""IAM least privilege: no "Action": "*", no "Resource": "*", each role trusted by its service."""
import json

from capstone.builders import iam
from capstone.builders.context import BuildContext
from capstone.builders.names import Names


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
            assert "*" not in resources, (role, resources)


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
