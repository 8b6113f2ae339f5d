"""The logs service (TEMPORARY: through the provider bridge in services/base.py)."""

from regionbox.core.service import Service
from regionbox.protocol.dialect import Dialect

# CloudWatch Logs reports constraint violations as InvalidParameterException, not ValidationException.
DIALECT = Dialect(validation_code="InvalidParameterException")


def load(cloud) -> Service:
    from regionbox.services.base import legacy_service
    from regionbox.services.logs.provider import LogsProvider

    return legacy_service(LogsProvider(cloud), DIALECT)
