"""EC2: regions and Availability Zones."""

from regionbox.core.service import Service
from regionbox.protocol.dialect import Dialect
from regionbox.services.ec2.zones import Zones

# EC2 answers bad parameter values with InvalidParameterValue.
DIALECT = Dialect(validation_code="InvalidParameterValue")


def load(cloud) -> Service:
    zones = Zones(cloud.topology)
    return Service(
        name="ec2",
        operations={
            "DescribeRegions": zones.describe_regions,
            "DescribeAvailabilityZones": zones.describe_availability_zones,
        },
        not_implemented={
            "RunInstances": "instances are not emulated",
        },
        dialect=DIALECT,
    )
