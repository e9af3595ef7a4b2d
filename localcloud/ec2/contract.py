"""EC2's door: instances in moto's EC2 backend, described as DescribeInstances would.

DescribeInstances takes no resource ("*" in the Service Authorization Reference).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from localcloud.ec2 import exceptions
from localcloud.moto_contract import MotoContract, errors_of, moto_errors
from localcloud.principal import Principal

_ERRORS = errors_of(exceptions)


@dataclass(frozen=True)
class InstanceInfo:
    instance_id: str
    state: str                  # pending | running | stopping | stopped | shutting-down | terminated
    private_ip: str | None
    public_ip: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    instance_type: str | None = None
    image_id: str | None = None
    subnet_id: str | None = None
    vpc_id: str | None = None
    availability_zone: str | None = None
    launch_time: datetime | None = None
    #: IamInstanceProfile.Arn as DescribeInstances gives it; None for an instance without one
    iam_instance_profile_arn: str | None = None


class EC2Contract(MotoContract):
    action_prefix = "ec2"

    def _backend(self, region: str | None):
        from moto.ec2.models import ec2_backends

        return ec2_backends[self.account_id][self._region(region)]

    def describe_instances(self, principal: Principal, filters: dict[str, list[str]] | None = None,
                           instance_ids: list[str] | None = None, region: str | None = None) -> list[InstanceInfo]:
        """Instances matching every filter (DescribeInstances' names: `instance-state-name`,
        `tag:KEY`, `tag-key`, `tag-value`, ...), sorted by id; naming an id that does not exist
        is InvalidInstanceID.NotFound, as on AWS."""
        self._authorize(principal, "DescribeInstances", "*")
        backend = self._backend(region)
        wanted = {name: list(values) for name, values in (filters or {}).items()} or None
        with moto_errors(_ERRORS):
            if instance_ids:
                backend.get_multi_instances_by_id(list(instance_ids))  # InvalidInstanceID.NotFound
            # DescribeInstances' own filtering (moto's filter_reservations, the {name: values} form)
            found = [i for r in backend.describe_instances(filters=wanted) for i in r.instances]
        if instance_ids:
            found = [i for i in found if i.id in set(instance_ids)]
        return sorted((_info(i) for i in found), key=lambda i: i.instance_id)

    def instance(self, principal: Principal, instance_id: str, region: str | None = None) -> InstanceInfo:
        return self.describe_instances(principal, instance_ids=[instance_id], region=region)[0]


def _info(instance) -> InstanceInfo:
    return InstanceInfo(
        instance_id=instance.id, state=instance.state, private_ip=instance.private_ip, public_ip=instance.public_ip,
        tags=dict(instance.ec2_backend.tags.get(instance.id, {})), instance_type=instance.instance_type,
        image_id=instance.image_id, subnet_id=instance.subnet_id, vpc_id=getattr(instance, "vpc_id", None),
        availability_zone=instance.placement, launch_time=instance.launch_time,
        iam_instance_profile_arn=_profile_arn(instance),
    )


def _profile_arn(instance) -> str | None:
    """The instance's profile: its association (RunInstances, AssociateIamInstanceProfile), else
    the IamInstanceProfile of the launch template it was launched from. moto associates only the
    former; on AWS an instance an Auto Scaling group launches from a template has the template's."""
    backend = instance.ec2_backend
    association = backend.iam_instance_profile_associations.get(instance.id)
    if association is not None:
        return association.iam_instance_profile.arn
    tags = backend.tags.get(instance.id, {})
    template_id = tags.get("aws:ec2launchtemplate:id")
    if not template_id:
        return None
    try:
        version = backend._get_template_from_args({"LaunchTemplateId": template_id,
                                                  "Version": tags.get("aws:ec2launchtemplate:version")})
    except Exception:  # the template was deleted since: nothing to tell
        return None
    profile = (version.data or {}).get("IamInstanceProfile") or {}
    if profile.get("Arn"):
        return profile["Arn"]
    if profile.get("Name"):
        from moto.iam.models import iam_backends

        for found in iam_backends[backend.account_id]["aws"].get_instance_profiles():
            if found.name == profile["Name"]:
                return found.arn
    return None
