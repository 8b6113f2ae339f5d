"""The dynamodbstreams service (TEMPORARY: through the provider bridge in services/base.py)."""

from regionbox.core.service import Service


def load(cloud) -> Service:
    from regionbox.services.base import legacy_service
    from regionbox.services.dynamodbstreams.provider import DynamoDBStreamsProvider

    return legacy_service(DynamoDBStreamsProvider(cloud))
