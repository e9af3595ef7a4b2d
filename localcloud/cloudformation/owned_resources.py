"""CloudFormation stays moto's, but it must never create, behind a provider's back, a resource
of a service localcloud runs itself.

moto's CloudFormation creates each resource in moto's own backend of that service. For the
services localcloud answers with its own providers (CodeBuild, CodeCommit, CodeDeploy,
CodePipeline), and for the parts of moto-kept services whose rules live in localcloud (EventBridge
targets are checked at PutTargets; CloudWatch alarms are evaluated by localcloud), such a
resource would exist only in a backend nobody reads, or skip the checks the API makes. So a
stack (CreateStack, UpdateStack, CreateChangeSet) that declares one is refused with
CloudFormation's ValidationError naming the resource type, before anything is created.
Resources of services moto keeps (SQS, SSM, S3, IAM, ...) are created by moto as usual.

The hook is installed when moto builds its CloudFormation app (`moto_app.py`), so a
localcloud that never sees a CloudFormation call never imports moto's CloudFormation (it pulls
in most of moto: about 1.5 s).
"""
from __future__ import annotations

from localcloud.moto_patch import wrap_method

#: resource types localcloud's providers own, by prefix or exactly
OWNED_PREFIXES = ("AWS::CodeBuild::", "AWS::CodeCommit::", "AWS::CodeDeploy::", "AWS::CodePipeline::", "AWS::Events::")
OWNED_TYPES = frozenset({"AWS::CloudWatch::Alarm", "AWS::CloudWatch::CompositeAlarm"})


def owned_types(template_dict) -> list[str]:
    """The resource types of the template that localcloud does not create through
    CloudFormation, in template order, each once."""
    resources = template_dict.get("Resources") if isinstance(template_dict, dict) else None
    found: list[str] = []
    for resource in (resources or {}).values():
        kind = resource.get("Type") if isinstance(resource, dict) else None
        if isinstance(kind, str) and (kind in OWNED_TYPES or kind.startswith(OWNED_PREFIXES)) and kind not in found:
            found.append(kind)
    return found


def refusal_message(kinds: list[str]) -> str:
    return (f"Template format error: localcloud does not create resources of type {', '.join(kinds)} through "
            "CloudFormation: localcloud emulates those services with its own providers. "
            "Create these resources with their service's API instead.")


def check_template(template: str | None) -> None:
    """Raise moto's ValidationError (code ValidationError, HTTP 400) if the template declares a
    resource type localcloud owns. A template moto cannot parse is left to moto's own errors."""
    from moto.cloudformation.exceptions import ValidationError
    from moto.cloudformation.models import Stack

    if not template:
        return
    try:
        parsed = Stack.parse_template(template)
    except Exception:  # moto answers malformed templates itself
        return
    kinds = owned_types(parsed)
    if kinds:
        raise ValidationError(message=refusal_message(kinds))


def install() -> None:
    """Check every template that reaches moto's CloudFormation backend (idempotent)."""
    from moto.cloudformation.models import CloudFormationBackend

    def checked(position: int):
        """A hook that checks the `template` argument (by keyword, as moto's responses pass it,
        or at `position`) before moto creates anything."""
        def hook(original, self, *args, **kwargs):
            check_template(kwargs["template"] if "template" in kwargs else args[position] if len(args) > position else None)
            return original(self, *args, **kwargs)
        return hook

    wrap_method(CloudFormationBackend, "create_stack", checked(1), tag="owned_resources")
    wrap_method(CloudFormationBackend, "update_stack", checked(1), tag="owned_resources")
    wrap_method(CloudFormationBackend, "create_change_set", checked(2), tag="owned_resources")
