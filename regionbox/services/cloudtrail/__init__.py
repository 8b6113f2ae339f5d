"""CloudTrail: the event history of every management call, read with LookupEvents.

The gateway records each call in the audit trail (core/audit.py); this service reads it.
Trails, event data stores and Lake queries are not built yet.
"""

from regionbox.core.service import Service
from regionbox.services.cloudtrail.events import EventHistory


def load(cloud) -> Service:
    history = EventHistory(cloud.audit, cloud.paginator)
    return Service(
        name="cloudtrail",
        operations={
            "LookupEvents": history.lookup_events,
        },
    )
