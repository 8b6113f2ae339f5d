"""ELBv2's control plane through boto3: what AWS accepts, what it refuses and with which error."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.services.elbv2.helpers import Target, default_subnets, load_balancer, register


def error_of(call, **params) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call(**params)
    return caught.value.response["Error"]["Code"], caught.value.response["Error"]["Message"]


def test_create_describe_delete_load_balancer(cloud):
    ec2, elb = cloud.client("ec2"), cloud.client("elbv2")
    subnets = default_subnets(ec2)
    lb = elb.create_load_balancer(Name="shop", Subnets=subnets[:2], Tags=[{"Key": "team", "Value": "web"}])["LoadBalancers"][0]
    assert lb["Type"] == "application" and lb["Scheme"] == "internet-facing"
    assert lb["LoadBalancerArn"].startswith("arn:aws:elasticloadbalancing:us-east-1:") and ":loadbalancer/app/shop/" in lb["LoadBalancerArn"]
    assert {zone["SubnetId"] for zone in lb["AvailabilityZones"]} == set(subnets[:2])
    assert lb["CanonicalHostedZoneId"] == "Z35SXDOTRQ7X7K"
    elb.get_waiter("load_balancer_available").wait(Names=["shop"], WaiterConfig={"Delay": 1})
    assert elb.describe_load_balancers(Names=["shop"])["LoadBalancers"][0]["State"]["Code"] == "active"
    # The same name with the same settings answers the same load balancer, as AWS does.
    again = elb.create_load_balancer(Name="shop", Subnets=subnets[:2])["LoadBalancers"][0]
    assert again["LoadBalancerArn"] == lb["LoadBalancerArn"]
    assert elb.describe_tags(ResourceArns=[lb["LoadBalancerArn"]])["TagDescriptions"][0]["Tags"] == [{"Key": "team", "Value": "web"}]
    elb.delete_load_balancer(LoadBalancerArn=lb["LoadBalancerArn"])
    assert error_of(elb.describe_load_balancers, Names=["shop"]) == ("LoadBalancerNotFound", "Load balancers '[shop]' not found")
    elb.delete_load_balancer(LoadBalancerArn=lb["LoadBalancerArn"])  # gone already: still a success


def test_subnets_must_span_two_zones(cloud):
    ec2, elb = cloud.client("ec2"), cloud.client("elbv2")
    subnets = default_subnets(ec2)
    assert error_of(elb.create_load_balancer, Name="one", Subnets=subnets[:1]) == (
        "ValidationError", "At least two subnets in two different Availability Zones must be specified")
    vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    zone = ec2.describe_subnets(SubnetIds=[subnets[0]])["Subnets"][0]["AvailabilityZone"]
    second = ec2.create_subnet(VpcId=vpc, CidrBlock="172.31.200.0/24", AvailabilityZone=zone)["Subnet"]["SubnetId"]
    assert error_of(elb.create_load_balancer, Name="same-zone", Subnets=[subnets[0], second]) == (
        "InvalidConfigurationRequest", "A load balancer cannot be attached to multiple subnets in the same Availability Zone")
    assert error_of(elb.create_load_balancer, Name="nosuch", Subnets=[subnets[0], "subnet-0123456789abcdef0"]) == (
        "SubnetNotFound", "The subnet ID 'subnet-0123456789abcdef0' is not valid")
    assert error_of(elb.create_load_balancer, Name="internal-x", Subnets=subnets[:2])[0] == "ValidationError"
    assert error_of(elb.create_load_balancer, Name="x" * 33, Subnets=subnets[:2]) == (
        "ValidationError", f"Load balancer name '{'x' * 33}' cannot be longer than '32' characters")
    assert error_of(elb.create_load_balancer, Name="ok", Subnets=subnets[:2], SecurityGroups=["sg-0123456789abcdef0"])[0] \
        == "InvalidSecurityGroup"


def test_duplicate_name_with_other_settings(cloud):
    elb = cloud.client("elbv2")
    subnets = default_subnets(cloud.client("ec2"))
    elb.create_load_balancer(Name="dup", Subnets=subnets[:2])
    assert error_of(elb.create_load_balancer, Name="dup", Subnets=subnets[1:3]) == (
        "DuplicateLoadBalancerName", "A load balancer with the same name 'dup' exists, but with different settings")


def test_describe_load_balancers_pages(cloud):
    elb = cloud.client("elbv2")
    subnets = default_subnets(cloud.client("ec2"))
    for index in range(5):
        elb.create_load_balancer(Name=f"lb-{index}", Subnets=subnets[:2])
    first = elb.describe_load_balancers(PageSize=2)
    assert [lb["LoadBalancerName"] for lb in first["LoadBalancers"]] == ["lb-0", "lb-1"]
    names = [lb["LoadBalancerName"] for page in elb.get_paginator("describe_load_balancers").paginate(PaginationConfig={"PageSize": 2})
             for lb in page["LoadBalancers"]]
    assert names == [f"lb-{index}" for index in range(5)]
    assert error_of(elb.describe_load_balancers, Marker="made-up")[0] == "ValidationError"


def test_load_balancer_attributes_and_deletion_protection(cloud):
    elb = cloud.client("elbv2")
    lb = elb.create_load_balancer(Name="guarded", Subnets=default_subnets(cloud.client("ec2"))[:2])["LoadBalancers"][0]
    arn = lb["LoadBalancerArn"]
    attributes = {a["Key"]: a["Value"] for a in elb.describe_load_balancer_attributes(LoadBalancerArn=arn)["Attributes"]}
    assert attributes["idle_timeout.timeout_seconds"] == "60" and attributes["deletion_protection.enabled"] == "false"
    elb.modify_load_balancer_attributes(LoadBalancerArn=arn, Attributes=[{"Key": "deletion_protection.enabled", "Value": "true"},
                                                                          {"Key": "idle_timeout.timeout_seconds", "Value": "120"}])
    assert error_of(elb.delete_load_balancer, LoadBalancerArn=arn) == (
        "OperationNotPermitted", f"Load balancer '{arn}' cannot be deleted because deletion protection is enabled")
    assert error_of(elb.modify_load_balancer_attributes, LoadBalancerArn=arn,
                    Attributes=[{"Key": "no.such.key", "Value": "1"}]) == ("ValidationError", "Attribute key 'no.such.key' is not recognized")
    assert error_of(elb.modify_load_balancer_attributes, LoadBalancerArn=arn,
                    Attributes=[{"Key": "idle_timeout.timeout_seconds", "Value": "0"}])[0] == "ValidationError"
    elb.modify_load_balancer_attributes(LoadBalancerArn=arn, Attributes=[{"Key": "deletion_protection.enabled", "Value": "false"}])
    elb.delete_load_balancer(LoadBalancerArn=arn)


def test_target_groups_and_their_errors(cloud):
    ec2, elb = cloud.client("ec2"), cloud.client("elbv2")
    vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    tg = elb.create_target_group(Name="api", Protocol="HTTP", Port=8080, VpcId=vpc, TargetType="ip")["TargetGroups"][0]
    assert (tg["HealthCheckPath"], tg["HealthCheckIntervalSeconds"], tg["HealthyThresholdCount"], tg["Matcher"]) == (
        "/", 30, 5, {"HttpCode": "200"})
    assert tg["LoadBalancerArns"] == []
    assert error_of(elb.create_target_group, Name="api", Protocol="HTTP", Port=9090, VpcId=vpc) == (
        "DuplicateTargetGroupName", "A target group with the same name 'api' exists, but with different settings")
    assert error_of(elb.create_target_group, Name="slow", Protocol="HTTP", Port=80, VpcId=vpc, HealthCheckIntervalSeconds=10,
                    HealthCheckTimeoutSeconds=10) == ("ValidationError", "Health check interval must be greater than the timeout.")
    assert error_of(elb.create_target_group, Name="m", Protocol="HTTP", Port=80, VpcId=vpc, Matcher={"HttpCode": "600"})[0] \
        == "ValidationError"
    assert error_of(elb.create_target_group, Name="novpc", Protocol="HTTP", Port=80, VpcId="vpc-0123456789abcdef0") == (
        "ValidationError", "The VPC ID 'vpc-0123456789abcdef0' is not found")
    arn = tg["TargetGroupArn"]
    elb.modify_target_group_attributes(TargetGroupArn=arn, Attributes=[
        {"Key": "stickiness.enabled", "Value": "true"}, {"Key": "stickiness.type", "Value": "lb_cookie"},
        {"Key": "stickiness.lb_cookie.duration_seconds", "Value": "600"}])
    attributes = {a["Key"]: a["Value"] for a in elb.describe_target_group_attributes(TargetGroupArn=arn)["Attributes"]}
    assert attributes["stickiness.enabled"] == "true" and attributes["stickiness.lb_cookie.duration_seconds"] == "600"
    assert attributes["deregistration_delay.timeout_seconds"] == "300"
    assert error_of(elb.modify_target_group_attributes, TargetGroupArn=arn, Attributes=[
        {"Key": "stickiness.type", "Value": "app_cookie"}])[0] == "ValidationError"
    assert error_of(elb.modify_target_group_attributes, TargetGroupArn=arn, Attributes=[
        {"Key": "stickiness.type", "Value": "app_cookie"}, {"Key": "stickiness.app_cookie.cookie_name", "Value": "AWSALBAPP-1"}])[0] \
        == "ValidationError"
    assert error_of(elb.modify_target_group_attributes, TargetGroupArn=arn, Attributes=[
        {"Key": "stickiness.type", "Value": "source_ip"}])[0] == "ValidationError"
    modified = elb.modify_target_group(TargetGroupArn=arn, HealthCheckPath="/ping", HealthyThresholdCount=3)["TargetGroups"][0]
    assert (modified["HealthCheckPath"], modified["HealthyThresholdCount"]) == ("/ping", 3)
    assert error_of(elb.register_targets, TargetGroupArn=arn, Targets=[{"Id": "i-0123456789abcdef0"}])[0] == "InvalidTarget"
    assert error_of(elb.describe_target_groups, Names=["nope"]) == ("TargetGroupNotFound", "Target groups '[nope]' not found")
    assert error_of(elb.describe_target_health, TargetGroupArn=arn.replace("/api/", "/other/"))[0] == "TargetGroupNotFound"


def test_targets_of_a_group_no_listener_uses_are_unused(cloud):
    ec2, elb = cloud.client("ec2"), cloud.client("elbv2")
    vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    tg = elb.create_target_group(Name="idle", Protocol="HTTP", Port=80, VpcId=vpc, TargetType="ip")["TargetGroups"][0]
    target = Target("idle")
    try:
        register(elb, tg["TargetGroupArn"], target)
        described = elb.describe_target_health(TargetGroupArn=tg["TargetGroupArn"])["TargetHealthDescriptions"]
        assert described == [{"Target": {"Id": "127.0.0.1", "Port": target.port}, "HealthCheckPort": str(target.port),
                              "TargetHealth": {"State": "unused", "Reason": "Target.NotInUse",
                                               "Description": "Target group is not configured to receive traffic from the load balancer"}}]
        other = elb.describe_target_health(TargetGroupArn=tg["TargetGroupArn"], Targets=[{"Id": "127.0.0.1", "Port": 1}])
        assert other["TargetHealthDescriptions"][0]["TargetHealth"]["Reason"] == "Target.NotRegistered"
        assert error_of(elb.deregister_targets, TargetGroupArn=tg["TargetGroupArn"], Targets=[{"Id": "127.0.0.1", "Port": 1}])[0] \
            == "InvalidTarget"
    finally:
        target.close()


def test_listeners_rules_and_tags(cloud):
    elb = cloud.client("elbv2")
    made = load_balancer(cloud, "rules")
    lb_arn, tg_arn, listener_arn = made["lb"]["LoadBalancerArn"], made["tg"]["TargetGroupArn"], made["listener"]["ListenerArn"]
    assert elb.describe_target_groups(LoadBalancerArn=lb_arn)["TargetGroups"][0]["LoadBalancerArns"] == [lb_arn]
    assert error_of(elb.create_listener, LoadBalancerArn=lb_arn, Protocol="HTTP", Port=80,
                    DefaultActions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}}]) == (
        "DuplicateListener", f"A listener already exists on this port for this load balancer '{lb_arn}'")
    assert error_of(elb.create_listener, LoadBalancerArn=lb_arn, Protocol="HTTP", Port=81,
                    DefaultActions=[{"Type": "forward", "TargetGroupArn": tg_arn.replace("rules-tg", "gone")}])[0] \
        == "TargetGroupNotFound"
    rules = elb.describe_rules(ListenerArn=listener_arn)["Rules"]
    assert [(r["Priority"], r["IsDefault"], r["Conditions"]) for r in rules] == [("default", True, [])]
    assert error_of(elb.delete_rule, RuleArn=rules[0]["RuleArn"]) == (
        "OperationNotPermitted", f"Default rule '{rules[0]['RuleArn']}' cannot be deleted")
    rule = elb.create_rule(ListenerArn=listener_arn, Priority=10,
                           Conditions=[{"Field": "path-pattern", "Values": ["/api/*"]}],
                           Actions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "418"}}])["Rules"][0]
    assert rule["Conditions"] == [{"Field": "path-pattern", "Values": ["/api/*"], "PathPatternConfig": {"Values": ["/api/*"]}}]
    assert error_of(elb.create_rule, ListenerArn=listener_arn, Priority=10,
                    Conditions=[{"Field": "host-header", "Values": ["a.example"]}],
                    Actions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "200"}}]) == (
        "PriorityInUse", "Priority '10' is currently in use")
    moved = elb.set_rule_priorities(RulePriorities=[{"RuleArn": rule["RuleArn"], "Priority": 5}])["Rules"][0]
    assert moved["Priority"] == "5"
    assert error_of(elb.delete_target_group, TargetGroupArn=tg_arn) == (
        "ResourceInUse", f"Target group '{tg_arn}' is currently in use by a listener or a rule")
    elb.add_tags(ResourceArns=[listener_arn, tg_arn, rule["RuleArn"]], Tags=[{"Key": "env", "Value": "test"}])
    described = elb.describe_tags(ResourceArns=[listener_arn, tg_arn, rule["RuleArn"]])["TagDescriptions"]
    assert [d["Tags"] for d in described] == [[{"Key": "env", "Value": "test"}]] * 3
    elb.remove_tags(ResourceArns=[tg_arn], TagKeys=["env"])
    assert elb.describe_tags(ResourceArns=[tg_arn])["TagDescriptions"][0]["Tags"] == []
    assert error_of(elb.add_tags, ResourceArns=[tg_arn], Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(51)])[0] == "TooManyTags"
    elb.delete_listener(ListenerArn=listener_arn)
    assert error_of(elb.describe_rules, RuleArns=[rule["RuleArn"]])[0] == "RuleNotFound"
    elb.delete_target_group(TargetGroupArn=tg_arn)


def test_operations_left_out_say_so(cloud):
    elb = cloud.client("elbv2")
    with pytest.raises(ClientError) as caught:
        elb.modify_ip_pools(LoadBalancerArn="arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/app/x/1",
                            RemoveIpamPools=["ipv4"])
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 501
    assert "ModifyIpPools" in caught.value.response["Error"]["Message"]
