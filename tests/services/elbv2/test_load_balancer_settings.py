"""SetSubnets really moves a load balancer's nodes; SetIpAddressType, LCU capacity reservations
and GetResourcePolicy answer as AWS does."""

from __future__ import annotations

import pytest
import requests
from botocore.exceptions import ClientError

from regionbox.testing.waiting import eventually
from tests.services.elbv2.helpers import default_subnets, load_balancer, register


def _error(call, **params) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call(**params)
    return caught.value.response["Error"]["Code"], caught.value.response["Error"]["Message"]


def test_set_subnets_moves_the_nodes(cloud, targets):
    ec2, elb = cloud.client("ec2"), cloud.client("elbv2")
    made = load_balancer(cloud, "moving")
    register(elb, made["tg"]["TargetGroupArn"], targets[0])
    arn = made["lb"]["LoadBalancerArn"]
    subnets = sorted(default_subnets(ec2))
    assert len(subnets) >= 3
    before = {z["ZoneName"] for z in made["lb"]["AvailabilityZones"]}
    assert requests.get(f"{made['url']}/x", timeout=10).json()["target"] == "a"
    moved = elb.set_subnets(LoadBalancerArn=arn, Subnets=[subnets[1], subnets[2]])
    zones = {z["ZoneName"] for z in moved["AvailabilityZones"]}
    assert moved["IpAddressType"] == "ipv4" and zones != before and len(zones) == 2
    described = elb.describe_load_balancers(LoadBalancerArns=[arn])["LoadBalancers"][0]
    assert sorted(z["SubnetId"] for z in described["AvailabilityZones"]) == [subnets[1], subnets[2]]
    assert described["DNSName"] == made["lb"]["DNSName"]  # the name stays, the nodes behind it change
    assert eventually(lambda: requests.get(f"{made['url']}/y", timeout=10).json()["target"] == "a", what="serving")
    # The nodes serving are those of the new AZs: with both of them out, nothing answers.
    for zone in zones:
        cloud.run(cloud.cloud.topology.outage(zone))
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{made['url']}/z", timeout=10)
    assert _error(elb.set_subnets, LoadBalancerArn=arn, Subnets=[subnets[0]])[0] == "ValidationError"
    assert _error(elb.set_subnets, LoadBalancerArn=arn, Subnets=[subnets[0], "subnet-nope"])[0] == "SubnetNotFound"
    assert before  # the zones it started in


def test_ip_address_type_capacity_reservation_and_resource_policy(cloud):
    elb = cloud.client("elbv2")
    made = load_balancer(cloud, "settings")
    arn = made["lb"]["LoadBalancerArn"]
    assert elb.set_ip_address_type(LoadBalancerArn=arn, IpAddressType="ipv4")["IpAddressType"] == "ipv4"
    assert _error(elb.set_ip_address_type, LoadBalancerArn=arn, IpAddressType="dualstack") == (
        "ValidationError", "You must specify subnets with an associated IPv6 CIDR block.")

    empty = elb.describe_capacity_reservation(LoadBalancerArn=arn)
    assert empty["CapacityReservationState"] == [] and empty["DecreaseRequestsRemaining"] == 2
    asked = elb.modify_capacity_reservation(LoadBalancerArn=arn, MinimumLoadBalancerCapacity={"CapacityUnits": 200})
    assert asked["MinimumLoadBalancerCapacity"] == {"CapacityUnits": 200}
    assert {s["State"]["Code"] for s in asked["CapacityReservationState"]} <= {"pending", "provisioned"}
    provisioned = eventually(lambda: (lambda r: r if all(s["State"]["Code"] == "provisioned"
                                                         for s in r["CapacityReservationState"]) else None)(
        elb.describe_capacity_reservation(LoadBalancerArn=arn)), what="a provisioned reservation")
    assert sorted(s["EffectiveCapacityUnits"] for s in provisioned["CapacityReservationState"]) == [100.0, 100.0]
    for units in (150, 120):
        elb.modify_capacity_reservation(LoadBalancerArn=arn, MinimumLoadBalancerCapacity={"CapacityUnits": units})
        eventually(lambda: elb.describe_capacity_reservation(LoadBalancerArn=arn)["CapacityReservationState"][0][
            "State"]["Code"] == "provisioned", what="provisioned")
    assert elb.describe_capacity_reservation(LoadBalancerArn=arn)["DecreaseRequestsRemaining"] == 0
    assert _error(elb.modify_capacity_reservation, LoadBalancerArn=arn,
                  MinimumLoadBalancerCapacity={"CapacityUnits": 110})[0] == "CapacityDecreaseRequestLimitExceeded"
    assert _error(elb.modify_capacity_reservation, LoadBalancerArn=arn)[0] == "ValidationError"
    elb.modify_capacity_reservation(LoadBalancerArn=arn, ResetCapacityReservation=True)
    reset = elb.describe_capacity_reservation(LoadBalancerArn=arn)
    assert reset["CapacityReservationState"] == [] and "MinimumLoadBalancerCapacity" not in reset

    s3 = cloud.client("s3")
    s3.create_bucket(Bucket="bundles")
    s3.put_object(Bucket="bundles", Key="ca.pem", Body=_ca_pem())
    store = elb.create_trust_store(Name="ts", CaCertificatesBundleS3Bucket="bundles",
                                   CaCertificatesBundleS3Key="ca.pem")["TrustStores"][0]
    assert "Policy" not in elb.get_resource_policy(ResourceArn=store["TrustStoreArn"])
    assert _error(elb.get_resource_policy, ResourceArn=store["TrustStoreArn"] + "0")[0] == "ResourceNotFound"


def _ca_pem() -> bytes:
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ca")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key()).serial_number(1)
            .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True).sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM)
