"""The elasticache service (TEMPORARY: through the provider bridge in services/base.py)."""

from regionbox.core.service import Service
from regionbox.protocol.dialect import Dialect

# ElastiCache predates Coral: it checks only that required parameters are there, and says
# InvalidParameterValue for bad input.
DIALECT = Dialect(validation_code="InvalidParameterValue",
                  required_members_only=("InvalidParameterValue", "The parameter {name} must be provided and must not be null."))


def load(cloud) -> Service:
    from regionbox.services.base import legacy_service
    from regionbox.services.elasticache.provider import ElastiCacheProvider

    return legacy_service(ElastiCacheProvider(cloud), DIALECT)
