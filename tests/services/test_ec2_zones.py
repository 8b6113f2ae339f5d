"""EC2 DescribeRegions and DescribeAvailabilityZones through boto3, including AZ outages."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError


def zones(cloud, region="ap-northeast-1", **kwargs) -> list[dict]:
    return cloud.client("ec2", region=region).describe_availability_zones(**kwargs)["AvailabilityZones"]


def test_describe_regions(cloud):
    ec2 = cloud.client("ec2")
    regions = ec2.describe_regions()["Regions"]
    names = [r["RegionName"] for r in regions]
    assert {"us-east-1", "ap-northeast-1", "eu-west-1"} <= set(names)
    tokyo = next(r for r in regions if r["RegionName"] == "ap-northeast-1")
    assert tokyo == {"RegionName": "ap-northeast-1", "Endpoint": "ec2.ap-northeast-1.amazonaws.com",
                     "OptInStatus": "opt-in-not-required"}
    filtered = ec2.describe_regions(Filters=[{"Name": "region-name", "Values": ["eu-*", "us-east-1"]}])["Regions"]
    assert sorted(r["RegionName"] for r in filtered) == sorted(n for n in names if n.startswith("eu-") or n == "us-east-1")
    assert [r["RegionName"] for r in ec2.describe_regions(RegionNames=["us-west-2"])["Regions"]] == ["us-west-2"]
    # Opt-in regions say so; every region is usable here, so they are opted in.
    assert ec2.describe_regions(RegionNames=["af-south-1"])["Regions"][0]["OptInStatus"] == "opted-in"


def test_describe_regions_lists_the_callers_partition(cloud):
    names = {r["RegionName"] for r in cloud.client("ec2").describe_regions()["Regions"]}
    assert not any(name.startswith(("cn-", "us-gov-")) for name in names)
    china = cloud.client("ec2", region="cn-north-1").describe_regions()["Regions"]
    assert {r["RegionName"]: r["Endpoint"] for r in china} == {
        "cn-north-1": "ec2.cn-north-1.amazonaws.com.cn", "cn-northwest-1": "ec2.cn-northwest-1.amazonaws.com.cn"}
    gov = {r["RegionName"] for r in cloud.client("ec2", region="us-gov-west-1").describe_regions()["Regions"]}
    assert gov == {"us-gov-west-1", "us-gov-east-1"}


def test_describe_availability_zones(cloud):
    found = zones(cloud)
    assert [(z["ZoneName"], z["ZoneId"]) for z in found] == [
        ("ap-northeast-1a", "apne1-az4"), ("ap-northeast-1c", "apne1-az1"), ("ap-northeast-1d", "apne1-az2")]
    first = found[0]
    assert (first["State"], first["RegionName"], first["ZoneType"], first["GroupName"], first["NetworkBorderGroup"],
            first["OptInStatus"]) == ("available", "ap-northeast-1", "availability-zone", "ap-northeast-1",
                                      "ap-northeast-1", "opt-in-not-required")
    # The region is the one the client signs for.
    assert {z["RegionName"] for z in zones(cloud, region="us-east-2")} == {"us-east-2"}


def test_zone_selection_and_filters(cloud):
    assert [z["ZoneName"] for z in zones(cloud, ZoneNames=["ap-northeast-1c"])] == ["ap-northeast-1c"]
    assert [z["ZoneName"] for z in zones(cloud, ZoneIds=["apne1-az2"])] == ["ap-northeast-1d"]
    assert [z["ZoneName"] for z in zones(cloud, Filters=[{"Name": "zone-name", "Values": ["*a", "*d"]}])] == [
        "ap-northeast-1a", "ap-northeast-1d"]
    assert [z["ZoneId"] for z in zones(cloud, Filters=[{"Name": "zone-id", "Values": ["apne1-az1"]}])] == ["apne1-az1"]
    assert zones(cloud, Filters=[{"Name": "region-name", "Values": ["us-east-1"]}]) == []
    assert len(zones(cloud, AllAvailabilityZones=True)) == 3


@pytest.mark.parametrize("kwargs, message", [
    ({"ZoneNames": ["ap-northeast-1z"]}, "Invalid availability zone: [ap-northeast-1z]"),
    ({"ZoneIds": ["apne1-az9"]}, "Invalid availability zone-id: [apne1-az9]"),
    ({"Filters": [{"Name": "colour", "Values": ["red"]}]}, "The filter 'colour' is invalid"),
])
def test_unknown_zones_and_filters(cloud, kwargs, message):
    with pytest.raises(ClientError) as info:
        zones(cloud, **kwargs)
    assert (info.value.response["Error"]["Code"], info.value.response["Error"]["Message"]) == ("InvalidParameterValue", message)


def test_outage_shows_as_impaired(cloud):
    cloud.run(cloud.cloud.topology.outage("ap-northeast-1c"))
    states = {z["ZoneName"]: z["State"] for z in zones(cloud)}
    assert states == {"ap-northeast-1a": "available", "ap-northeast-1c": "impaired", "ap-northeast-1d": "available"}
    impaired = zones(cloud, Filters=[{"Name": "state", "Values": ["impaired"]}])
    assert [z["ZoneName"] for z in impaired] == ["ap-northeast-1c"] and impaired[0]["Messages"]
    cloud.run(cloud.cloud.topology.restore("ap-northeast-1c"))
    assert {z["State"] for z in zones(cloud)} == {"available"}


def test_dry_run(cloud):
    with pytest.raises(ClientError) as info:
        cloud.client("ec2").describe_availability_zones(DryRun=True)
    error = info.value.response["Error"]
    assert (error["Code"], error["Message"]) == ("DryRunOperation", "Request would have succeeded, but DryRun flag is set.")
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 412
