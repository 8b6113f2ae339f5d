"""The iam service (TEMPORARY: through the provider bridge in services/base.py)."""

from regionbox.core.service import Service


def load(cloud) -> Service:
    from regionbox.services.base import legacy_service
    from regionbox.services.iam.provider import IamProvider

    return legacy_service(IamProvider(cloud))
