"""The EC2 provider: one class assembled from a mixin per resource family.

Each family (zones.py now; VPCs, subnets, security groups ... later) lives in its own module as
a mixin of operation methods; add the mixin to the bases below to serve its operations.
"""

from __future__ import annotations

from typing import ClassVar

from regionbox.services.base import Provider
from regionbox.services.ec2.zones import ZonesMixin


class Ec2Provider(ZonesMixin, Provider):
    service: ClassVar[str] = "ec2"
