"""Performance Insights: database load and counters of RDS instances, aggregated from what RDS's
sampler measured on the real PostgreSQL (``rds/insights.py``) each second (metrics.py), and
performance analysis reports computed from those samples (reports.py), with their tags (tags.py).
The identifier is the instance's DbiResourceId; ServiceType RDS."""

from regionbox.core.service import Service


def load(cloud) -> Service:
    from regionbox.services.pi.metrics import Insights
    from regionbox.services.pi.models import Report
    from regionbox.services.pi.reports import Reports
    from regionbox.services.pi.tags import Tags

    insights = Insights(lambda: cloud.services.api("rds"))
    stored = cloud.store.collection("pi.reports", Report)
    reports = Reports(stored, insights, cloud.paginator, cloud.tasks)
    tags = Tags(stored)
    return Service(
        name="pi",
        operations={
            "GetResourceMetrics": insights.get_resource_metrics,
            "DescribeDimensionKeys": insights.describe_dimension_keys,
            "GetDimensionKeyDetails": insights.get_dimension_key_details,
            "GetResourceMetadata": insights.get_resource_metadata,
            "ListAvailableResourceDimensions": insights.list_available_resource_dimensions,
            "ListAvailableResourceMetrics": insights.list_available_resource_metrics,
            # performance analysis reports
            "CreatePerformanceAnalysisReport": reports.create_performance_analysis_report,
            "GetPerformanceAnalysisReport": reports.get_performance_analysis_report,
            "ListPerformanceAnalysisReports": reports.list_performance_analysis_reports,
            "DeletePerformanceAnalysisReport": reports.delete_performance_analysis_report,
            # tags
            "TagResource": tags.tag_resource,
            "UntagResource": tags.untag_resource,
            "ListTagsForResource": tags.list_tags_for_resource,
        },
        start=reports.restart,
    )
