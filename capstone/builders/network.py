"""Network: the account's default VPC and two of its subnets when there is one (live accounts
usually have it; localcloud's moto too), else a small VPC of our own (two public subnets in two
zones, an internet gateway); then the ALB's security group (HTTP from anywhere) and the
instances' (HTTP from the ALB's group only)."""
from __future__ import annotations

from capstone.builders.context import BuildContext
from capstone.retry import call, is_not_found

NAME = "network"
VPC = "ec2:vpc"
SUBNET = "ec2:subnet"
GATEWAY = "ec2:internet-gateway"
SECURITY_GROUP = "ec2:security-group"
TYPES = (VPC, SUBNET, GATEWAY, SECURITY_GROUP)


def _tag_spec(ctx: BuildContext, kind: str, name: str) -> list[dict]:
    return [{"ResourceType": kind, "Tags": [{"Key": "Name", "Value": name}, *ctx.tag_list()]}]


def _default_vpc(ec2) -> tuple[str, list[str]] | None:
    vpcs = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"]
    if not vpcs:
        return None
    vpc_id = vpcs[0]["VpcId"]
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]},
                                            {"Name": "default-for-az", "Values": ["true"]}])["Subnets"]
    by_zone = {}
    for subnet in sorted(subnets, key=lambda s: s["AvailabilityZone"]):
        by_zone.setdefault(subnet["AvailabilityZone"], subnet["SubnetId"])
    if len(by_zone) < 2:  # an ALB needs subnets in two zones
        return None
    return vpc_id, list(by_zone.values())[:2]


def _own_vpc(ctx: BuildContext, ec2) -> tuple[str, list[str]]:
    n = ctx.names
    entry = ctx.record(VPC, n.vpc, builder=NAME)
    vpc_id = ec2.create_vpc(CidrBlock="10.42.0.0/16", TagSpecifications=_tag_spec(ctx, "vpc", n.vpc))["Vpc"]["VpcId"]
    ctx.created(entry, id=vpc_id)
    ec2.get_waiter("vpc_available").wait(VpcIds=[vpc_id])
    entry = ctx.record(GATEWAY, f"{n.vpc}-igw", builder=NAME, vpc_id=vpc_id)
    igw = ec2.create_internet_gateway(TagSpecifications=_tag_spec(ctx, "internet-gateway", f"{n.vpc}-igw"))
    igw_id = igw["InternetGateway"]["InternetGatewayId"]
    ctx.created(entry, id=igw_id)
    ec2.attach_internet_gateway(InternetGatewayId=igw_id, VpcId=vpc_id)
    main_table = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc_id]},
                                                    {"Name": "association.main", "Values": ["true"]}])["RouteTables"][0]
    ec2.create_route(RouteTableId=main_table["RouteTableId"], DestinationCidrBlock="0.0.0.0/0", GatewayId=igw_id)
    zones = [z["ZoneName"] for z in ec2.describe_availability_zones(
        Filters=[{"Name": "state", "Values": ["available"]}])["AvailabilityZones"]][:2]
    subnet_ids = []
    for i, zone in enumerate(zones):
        name = f"{n.vpc}-public-{zone}"
        entry = ctx.record(SUBNET, name, builder=NAME, vpc_id=vpc_id)
        subnet_id = ec2.create_subnet(VpcId=vpc_id, CidrBlock=f"10.42.{i}.0/24", AvailabilityZone=zone,
                                      TagSpecifications=_tag_spec(ctx, "subnet", name))["Subnet"]["SubnetId"]
        ctx.created(entry, id=subnet_id)
        ec2.modify_subnet_attribute(SubnetId=subnet_id, MapPublicIpOnLaunch={"Value": True})
        subnet_ids.append(subnet_id)
    return vpc_id, subnet_ids


def _security_group(ctx: BuildContext, ec2, name: str, vpc_id: str, description: str, source: dict) -> str:
    entry = ctx.record(SECURITY_GROUP, name, builder=NAME, vpc_id=vpc_id)
    group_id = ec2.create_security_group(GroupName=name, Description=description, VpcId=vpc_id,
                                         TagSpecifications=_tag_spec(ctx, "security-group", name))["GroupId"]
    ctx.created(entry, id=group_id)
    ec2.authorize_security_group_ingress(GroupId=group_id, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, **source}])
    return group_id


def create(ctx: BuildContext) -> None:
    ec2 = ctx.client("ec2")
    n = ctx.names
    found = _default_vpc(ec2)
    vpc_id, subnets = found if found else _own_vpc(ctx, ec2)
    ctx.outputs.update(vpc_id=vpc_id, subnet_ids=subnets)
    alb_sg = _security_group(ctx, ec2, n.alb_security_group, vpc_id, "capstone ALB: HTTP from anywhere",
                             {"IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": "HTTP"}]})
    instance_sg = _security_group(ctx, ec2, n.instance_security_group, vpc_id, "capstone instances: HTTP from the ALB",
                                  {"UserIdGroupPairs": [{"GroupId": alb_sg, "Description": "from the ALB"}]})
    ctx.outputs.update(alb_security_group_id=alb_sg, instance_security_group_id=instance_sg)


def delete(ctx: BuildContext, record: dict) -> None:
    ec2 = ctx.client("ec2")
    kind, ident = record["type"], record.get("id")
    try:
        if kind == SECURITY_GROUP:
            if ident:
                call(ec2.delete_security_group, GroupId=ident, what=f"delete security group {record['name']}", deadline=300)
            else:
                call(ec2.delete_security_group, GroupName=record["name"], what=f"delete security group {record['name']}")
        elif not ident:
            return  # recorded but never created
        elif kind == SUBNET:
            call(ec2.delete_subnet, SubnetId=ident, what=f"delete subnet {ident}", deadline=300)
        elif kind == GATEWAY:
            vpc_id = record.get("attrs", {}).get("vpc_id")
            if vpc_id:
                try:
                    call(ec2.detach_internet_gateway, InternetGatewayId=ident, VpcId=vpc_id, deadline=300)
                except Exception as exc:
                    if not (is_not_found(exc) or "not attached" in str(exc)):
                        raise
            call(ec2.delete_internet_gateway, InternetGatewayId=ident, what=f"delete internet gateway {ident}")
        elif kind == VPC:
            call(ec2.delete_vpc, VpcId=ident, what=f"delete vpc {ident}", deadline=300)
    except Exception as exc:
        if not is_not_found(exc):
            raise
