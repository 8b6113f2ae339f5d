"""Performance Insights: database load and counters of RDS instances, aggregated from what RDS's
sampler measured on the real PostgreSQL (``rds/insights.py``) each second. The identifier is the
instance's DbiResourceId; ServiceType RDS."""

from regionbox.core.service import Service

REPORTS = "performance analysis reports are not built yet"


def load(cloud) -> Service:
    from regionbox.services.pi.metrics import Insights

    insights = Insights(lambda: cloud.services.api("rds"))
    return Service(
        name="pi",
        operations={
            "GetResourceMetrics": insights.get_resource_metrics,
            "DescribeDimensionKeys": insights.describe_dimension_keys,
            "GetDimensionKeyDetails": insights.get_dimension_key_details,
            "GetResourceMetadata": insights.get_resource_metadata,
            "ListAvailableResourceDimensions": insights.list_available_resource_dimensions,
            "ListAvailableResourceMetrics": insights.list_available_resource_metrics,
        },
        not_implemented={
            "CreatePerformanceAnalysisReport": REPORTS, "DeletePerformanceAnalysisReport": REPORTS,
            "GetPerformanceAnalysisReport": REPORTS, "ListPerformanceAnalysisReports": REPORTS,
            "ListTagsForResource": "tags on analysis reports come with the reports",
            "TagResource": "tags on analysis reports come with the reports",
            "UntagResource": "tags on analysis reports come with the reports",
        },
    )
