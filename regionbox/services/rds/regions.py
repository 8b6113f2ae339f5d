"""DescribeSourceRegions: the regions a snapshot can be copied from (and read replicas and
automated backups replicated from) into the caller's region: every other region regionbox serves
in the caller's partition. CopyDBSnapshot copies a snapshot of any of them by its ARN."""

from __future__ import annotations

from regionbox.core.arns import partition_of
from regionbox.core.pagination import Paginator
from regionbox.core.topology import REGION_NAMES
from regionbox.services.rds import validation as check


class SourceRegions:
    def __init__(self, paginator: Paginator) -> None:
        self.paginator = paginator

    def describe_source_regions(self, ctx, params: dict) -> dict:
        wanted = params.get("RegionName")
        rows = [{"RegionName": region, "Endpoint": f"https://rds.{region}.amazonaws.com", "Status": "available",
                 "SupportsDBInstanceAutomatedBackupsReplication": False}
                for region in sorted(REGION_NAMES)
                if region != ctx.region and partition_of(region) == partition_of(ctx.region) and wanted in (None, region)]
        return check.paged(self.paginator, "SourceRegions", rows, params)
