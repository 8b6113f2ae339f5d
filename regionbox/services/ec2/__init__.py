"""The ec2 service (TEMPORARY: through the provider bridge in services/base.py)."""

from regionbox.core.service import Service


def load(cloud) -> Service:
    from regionbox.services.base import legacy_service
    from regionbox.services.ec2.provider import Ec2Provider

    return legacy_service(Ec2Provider(cloud))
