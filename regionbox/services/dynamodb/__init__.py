"""The dynamodb service (TEMPORARY: through the provider bridge in services/base.py)."""

from regionbox.core.service import Service


def load(cloud) -> Service:
    from regionbox.services.base import legacy_service
    from regionbox.services.dynamodb.provider import DynamoDBProvider

    return legacy_service(DynamoDBProvider(cloud))
