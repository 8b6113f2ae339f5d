"""DescribeEventCategories: RDS's event categories per source type (the RDS User Guide's table of
event categories and messages). Event subscriptions are checked against the same table."""

from __future__ import annotations

from regionbox.core.errors import invalid

CATEGORIES: dict[str, list[str]] = {
    "db-instance": ["availability", "backup", "configuration change", "creation", "deletion", "failover", "failure",
                    "low storage", "maintenance", "notification", "read replica", "recovery", "restoration", "security",
                    "security patching"],
    "db-security-group": ["configuration change", "failure"],
    "db-parameter-group": ["configuration change"],
    "db-snapshot": ["creation", "deletion", "notification", "restoration"],
    "db-cluster": ["configuration change", "creation", "deletion", "failover", "failure", "global-failover", "maintenance",
                   "migration", "notification", "serverless"],
    "db-cluster-snapshot": ["backup", "creation", "deletion", "notification"],
    "db-proxy": ["configuration change", "creation", "deletion"],
    "blue-green-deployment": ["creation", "deletion", "notification"],
    "custom-engine-version": ["creation", "deletion", "failure", "restoration"],
}


def source_type(value: str | None) -> str | None:
    if value is not None and value not in CATEGORIES:
        raise invalid(f"Invalid source type: {value}. Valid values are: {', '.join(CATEGORIES)}")
    return value


class EventCategories:
    def describe_event_categories(self, ctx, params: dict) -> dict:
        wanted = source_type(params.get("SourceType"))
        return {"EventCategoriesMapList": [{"SourceType": kind, "EventCategories": categories}
                                           for kind, categories in CATEGORIES.items() if wanted in (None, kind)]}
