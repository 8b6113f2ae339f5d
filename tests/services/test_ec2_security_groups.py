"""Security groups and their rules through boto3: AWS's shapes (IpPermissions grouped by protocol
and ports, one sgr- rule per peer), its checks and its errors."""

from __future__ import annotations

import pytest

from tests.services.test_ec2_default_vpc import ACCOUNT, TOKYO, ec2, error

SSH_ANYWHERE = {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}


def group(client, group_id: str) -> dict:
    return client.describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0]


def test_create_security_group(cloud):
    client = ec2(cloud)
    default_vpc = client.describe_vpcs()["Vpcs"][0]["VpcId"]
    created = client.create_security_group(GroupName="web", Description="web servers", TagSpecifications=[
        {"ResourceType": "security-group", "Tags": [{"Key": "team", "Value": "edge"}]}])
    sg = created["GroupId"]
    assert (created["SecurityGroupArn"], created["Tags"]) == (
        f"arn:aws:ec2:{TOKYO}:{ACCOUNT}:security-group/{sg}", [{"Key": "team", "Value": "edge"}])
    described = group(client, sg)
    # A group a user makes sits in the default VPC unless told otherwise, lets nothing in and
    # everything out.
    assert (described["GroupName"], described["Description"], described["VpcId"], described["OwnerId"],
            described["IpPermissions"]) == ("web", "web servers", default_vpc, ACCOUNT, [])
    assert described["IpPermissionsEgress"] == [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
                                                 "Ipv6Ranges": [], "PrefixListIds": [], "UserIdGroupPairs": []}]
    assert described["Tags"] == [{"Key": "team", "Value": "edge"}]

    vpc = client.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    # The same name in another VPC is another group; twice in one VPC is not.
    other = client.create_security_group(GroupName="web", Description="web servers", VpcId=vpc)["GroupId"]
    assert group(client, other)["VpcId"] == vpc
    assert error(client.create_security_group, GroupName="web", Description="again", VpcId=vpc) == (
        "InvalidGroup.Duplicate", f"The security group 'web' already exists for VPC '{vpc}'")
    assert error(client.create_security_group, GroupName="default", Description="mine") == (
        "InvalidParameterValue", "Cannot use reserved security group name: default")
    assert error(client.create_security_group, GroupName="sg-lookalike", Description="x") == (
        "InvalidParameterValue", "Group names may not be in the format sg-*.")
    assert error(client.create_security_group, GroupName="x", Description="x", VpcId="vpc-0123456789abcdef0") == (
        "InvalidVpcID.NotFound", "The vpc ID 'vpc-0123456789abcdef0' does not exist")


def test_authorize_ingress_and_describe_grouped_permissions(cloud):
    client = ec2(cloud)
    web = client.create_security_group(GroupName="web", Description="web")["GroupId"]
    lb = client.create_security_group(GroupName="lb", Description="load balancers")["GroupId"]
    added = client.authorize_security_group_ingress(GroupId=web, IpPermissions=[
        {**SSH_ANYWHERE, "IpRanges": [{"CidrIp": "10.0.0.0/8", "Description": "office"}, {"CidrIp": "192.168.0.0/16"}]},
        {"IpProtocol": "6", "FromPort": 80, "ToPort": 443, "UserIdGroupPairs": [{"GroupId": lb, "Description": "from lb"}]},
        {"IpProtocol": "icmp", "FromPort": 8, "ToPort": -1, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
        {"IpProtocol": "udp", "FromPort": 53, "ToPort": 53, "Ipv6Ranges": [{"CidrIpv6": "::/0"}]},
    ])
    assert added["Return"] is True
    rules = added["SecurityGroupRules"]
    assert [(r["IpProtocol"], r["FromPort"], r["ToPort"], r.get("CidrIpv4") or r.get("CidrIpv6")
             or r["ReferencedGroupInfo"]["GroupId"], r.get("Description"), r["IsEgress"]) for r in rules] == [
        ("tcp", 22, 22, "10.0.0.0/8", "office", False), ("tcp", 22, 22, "192.168.0.0/16", None, False),
        ("tcp", 80, 443, lb, "from lb", False), ("icmp", 8, -1, "0.0.0.0/0", None, False),
        ("udp", 53, 53, "::/0", None, False)]
    assert all(r["SecurityGroupRuleId"].startswith("sgr-") and r["GroupId"] == web and r["GroupOwnerId"] == ACCOUNT
               for r in rules)
    assert rules[0]["SecurityGroupRuleArn"] == f"arn:aws:ec2:{TOKYO}:{ACCOUNT}:security-group-rule/{rules[0]['SecurityGroupRuleId']}"

    # Described as IpPermissions: one per protocol and port range, holding its peers.
    assert group(client, web)["IpPermissions"] == [
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "UserIdGroupPairs": [], "Ipv6Ranges": [], "PrefixListIds": [],
         "IpRanges": [{"CidrIp": "10.0.0.0/8", "Description": "office"}, {"CidrIp": "192.168.0.0/16"}]},
        {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 443, "IpRanges": [], "Ipv6Ranges": [], "PrefixListIds": [],
         "UserIdGroupPairs": [{"UserId": ACCOUNT, "GroupId": lb, "Description": "from lb"}]},
        {"IpProtocol": "icmp", "FromPort": 8, "ToPort": -1, "IpRanges": [{"CidrIp": "0.0.0.0/0"}], "Ipv6Ranges": [],
         "PrefixListIds": [], "UserIdGroupPairs": []},
        {"IpProtocol": "udp", "FromPort": 53, "ToPort": 53, "IpRanges": [], "Ipv6Ranges": [{"CidrIpv6": "::/0"}],
         "PrefixListIds": [], "UserIdGroupPairs": []}]

    # The older flat parameters, and a group named in the default VPC.
    client.authorize_security_group_ingress(GroupName="web", IpProtocol="tcp", FromPort=8080, ToPort=8080,
                                            CidrIp="172.16.0.0/12")
    assert {"CidrIp": "172.16.0.0/12"} in group(client, web)["IpPermissions"][-1]["IpRanges"]


@pytest.mark.parametrize("permission, code, message", [
    ({**SSH_ANYWHERE, "IpRanges": [{"CidrIp": "10.0.0.0/33"}]}, "InvalidParameterValue", "CIDR block 10.0.0.0/33 is malformed"),
    ({**SSH_ANYWHERE, "IpRanges": [{"CidrIp": "10.0.0.1/8"}]}, "InvalidParameterValue", "CIDR block 10.0.0.1/8 is malformed"),
    ({**SSH_ANYWHERE, "IpProtocol": "smtp"}, "InvalidParameterValue", "Invalid value 'smtp' for IP protocol. Unknown protocol."),
    ({"IpProtocol": "tcp", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}, "InvalidParameterValue",
     "Invalid value 'Must specify both from and to ports with TCP/UDP.' for portRange"),
    ({"IpProtocol": "tcp", "FromPort": 0, "ToPort": 0, "UserIdGroupPairs": [{"GroupId": "sg-0123456789abcdef0"}]},
     "InvalidGroup.NotFound", "The security group 'sg-0123456789abcdef0' does not exist"),
])
def test_authorize_checks(cloud, permission, code, message):
    client = ec2(cloud)
    web = client.create_security_group(GroupName="web", Description="web")["GroupId"]
    assert error(client.authorize_security_group_ingress, GroupId=web, IpPermissions=[permission]) == (code, message)
    assert group(client, web)["IpPermissions"] == []


def test_duplicate_rules(cloud):
    client = ec2(cloud)
    web = client.create_security_group(GroupName="web", Description="web")["GroupId"]
    client.authorize_security_group_ingress(GroupId=web, IpPermissions=[SSH_ANYWHERE])
    assert error(client.authorize_security_group_ingress, GroupId=web, IpPermissions=[SSH_ANYWHERE]) == (
        "InvalidPermission.Duplicate",
        'the specified rule "peer: 0.0.0.0/0, TCP, from port: 22, to port: 22, ALLOW" already exists')
    # The rule every new group has, asked for again.
    assert error(client.authorize_security_group_egress, GroupId=web, IpPermissions=[
        {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]) == (
        "InvalidPermission.Duplicate", 'the specified rule "peer: 0.0.0.0/0, ALL, ALLOW" already exists')
    # A description does not make a rule another rule; one duplicate refuses the whole call.
    assert error(client.authorize_security_group_ingress, GroupId=web, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
        {**SSH_ANYWHERE, "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": "again"}]}])[0] == "InvalidPermission.Duplicate"
    assert [p["FromPort"] for p in group(client, web)["IpPermissions"]] == [22]


def test_revoke_rules(cloud):
    client = ec2(cloud)
    web = client.create_security_group(GroupName="web", Description="web")["GroupId"]
    rules = client.authorize_security_group_ingress(GroupId=web, IpPermissions=[
        SSH_ANYWHERE, {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])[
        "SecurityGroupRules"]
    unknown = {"IpProtocol": "tcp", "FromPort": 25, "ToPort": 25, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
    assert error(client.revoke_security_group_ingress, GroupId=web, IpPermissions=[unknown]) == (
        "InvalidPermission.NotFound", "The specified rule does not exist in this security group.")
    # Some known, some not: the known go, the rest are reported back.
    revoked = client.revoke_security_group_ingress(GroupId=web, IpPermissions=[SSH_ANYWHERE, unknown])
    assert revoked["Return"] is True
    assert [r["SecurityGroupRuleId"] for r in revoked["RevokedSecurityGroupRules"]] == [rules[0]["SecurityGroupRuleId"]]
    assert [(p["IpProtocol"], p["FromPort"], p["IpRanges"]) for p in revoked["UnknownIpPermissions"]] == [
        ("tcp", 25, [{"CidrIp": "0.0.0.0/0"}])]
    # By rule id.
    assert error(client.revoke_security_group_ingress, GroupId=web, SecurityGroupRuleIds=["sgr-0123456789abcdef0"]) == (
        "InvalidSecurityGroupRuleId.NotFound", "The security group rule ID 'sgr-0123456789abcdef0' does not exist")
    client.revoke_security_group_ingress(GroupId=web, SecurityGroupRuleIds=[rules[1]["SecurityGroupRuleId"]])
    assert group(client, web)["IpPermissions"] == []
    # Egress too: a group may end up letting nothing out.
    client.revoke_security_group_egress(GroupId=web, IpPermissions=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    assert group(client, web)["IpPermissionsEgress"] == []


def test_describe_security_group_rules(cloud):
    client = ec2(cloud)
    web = client.create_security_group(GroupName="web", Description="web")["GroupId"]
    [rule] = client.authorize_security_group_ingress(GroupId=web, IpPermissions=[SSH_ANYWHERE], TagSpecifications=[
        {"ResourceType": "security-group-rule", "Tags": [{"Key": "why", "Value": "ops"}]}])["SecurityGroupRules"]
    assert rule["Tags"] == [{"Key": "why", "Value": "ops"}]
    found = client.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [web]}])["SecurityGroupRules"]
    assert sorted((r["IsEgress"], r["IpProtocol"]) for r in found) == [(False, "tcp"), (True, "-1")]
    assert client.describe_security_group_rules(SecurityGroupRuleIds=[rule["SecurityGroupRuleId"]])["SecurityGroupRules"] == [rule]
    tagged = client.describe_security_group_rules(Filters=[{"Name": "tag:why", "Values": ["ops"]}])["SecurityGroupRules"]
    assert [r["SecurityGroupRuleId"] for r in tagged] == [rule["SecurityGroupRuleId"]]


def test_describe_security_groups_by_name_and_filters(cloud):
    client = ec2(cloud)
    default_vpc = client.describe_vpcs()["Vpcs"][0]["VpcId"]
    web = client.create_security_group(GroupName="web-public", Description="public web")["GroupId"]
    db = client.create_security_group(GroupName="db", Description="database")["GroupId"]
    client.authorize_security_group_ingress(GroupId=db, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "UserIdGroupPairs": [{"GroupId": web}]}])
    client.authorize_security_group_ingress(GroupId=web, IpPermissions=[SSH_ANYWHERE])

    def names(**kwargs) -> list[str]:
        return [g["GroupName"] for g in client.describe_security_groups(**kwargs)["SecurityGroups"]]

    assert names(GroupNames=["db", "web-public"]) == ["web-public", "db"]
    assert names(Filters=[{"Name": "group-name", "Values": ["web-*"]}]) == ["web-public"]
    assert names(Filters=[{"Name": "ip-permission.from-port", "Values": ["5432"]}]) == ["db"]
    assert names(Filters=[{"Name": "ip-permission.group-id", "Values": [web]}]) == ["db"]
    assert names(Filters=[{"Name": "ip-permission.cidr", "Values": ["0.0.0.0/0"]}]) == ["web-public"]
    assert names(Filters=[{"Name": "egress.ip-permission.cidr", "Values": ["0.0.0.0/0"]},
                          {"Name": "description", "Values": ["data*"]}]) == ["db"]
    assert sorted(names(Filters=[{"Name": "vpc-id", "Values": [default_vpc]}])) == ["db", "default", "web-public"]
    assert error(client.describe_security_groups, GroupNames=["nope"]) == (
        "InvalidGroup.NotFound", f"The security group 'nope' does not exist in default VPC '{default_vpc}'")
    assert error(client.describe_security_groups, GroupIds=["sg-0123456789abcdef0"]) == (
        "InvalidGroup.NotFound", "The security group 'sg-0123456789abcdef0' does not exist")


def test_delete_security_group(cloud):
    client = ec2(cloud)
    default = client.describe_security_groups(GroupNames=["default"])["SecurityGroups"][0]["GroupId"]
    assert error(client.delete_security_group, GroupId=default) == (
        "CannotDelete", f'the specified group: "{default}" name: "default" cannot be deleted by a user')
    web = client.create_security_group(GroupName="web", Description="web")["GroupId"]
    db = client.create_security_group(GroupName="db", Description="database")["GroupId"]
    client.authorize_security_group_ingress(GroupId=db, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "UserIdGroupPairs": [{"GroupId": web}]}])
    assert error(client.delete_security_group, GroupId=web) == ("DependencyViolation", f"resource {web} has a dependent object")
    assert client.delete_security_group(GroupName="db")["GroupId"] == db
    assert client.delete_security_group(GroupId=web)["Return"] is True
    assert error(client.delete_security_group, GroupId=web) == (
        "InvalidGroup.NotFound", f"The security group '{web}' does not exist")
    assert client.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [web, db]}])["SecurityGroupRules"] == []
