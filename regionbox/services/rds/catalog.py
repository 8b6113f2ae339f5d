"""What RDS offers here: the engine version (the installed PostgreSQL, reported as RDS reports its
versions) and the instance classes it can be ordered in. DescribeDBEngineVersions and
DescribeOrderableDBInstanceOptions, which tools (Terraform, CDK) ask before creating."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Callable

from regionbox.core.errors import invalid

from regionbox.core.pagination import Paginator
from regionbox.core.store import Scope
from regionbox.engines import kinds
from regionbox.services.rds import validation as check
from regionbox.services.rds.parameter_groups import family

# When RDS made each PostgreSQL major generally available; standard support ends on 28 February
# five years after the community release (13: 2026 ... 17: 2030), then three years of extended support.
RDS_RELEASES = {"13": (2021, 2, 24), "14": (2022, 2, 3), "15": (2023, 2, 27), "16": (2023, 11, 17), "17": (2024, 11, 14)}


def lifecycles(major: str) -> list[dict]:
    year = int(major) + 2013
    start = datetime(*RDS_RELEASES.get(major, (year - 4, 1, 1)), tzinfo=timezone.utc)
    standard_end = datetime(year, 2, 28, tzinfo=timezone.utc)
    return [{"LifecycleSupportName": "open-source-rds-standard-support", "LifecycleSupportStartDate": start,
             "LifecycleSupportEndDate": standard_end},
            {"LifecycleSupportName": "open-source-rds-extended-support", "LifecycleSupportStartDate": standard_end,
             "LifecycleSupportEndDate": datetime(year + 3, 2, 28, tzinfo=timezone.utc)}]


CLASSES = ("db.t3.micro", "db.t3.small", "db.t3.medium", "db.t4g.micro", "db.t4g.small", "db.t4g.medium", "db.m5.large",
           "db.m6g.large", "db.m6i.large", "db.m7g.large", "db.r5.large", "db.r6g.large", "db.r6i.large", "db.r7g.large")


class Catalog:
    def __init__(self, paginator: Paginator, zones_of: Callable[[Scope, str | None], list[str] | None]) -> None:
        self.paginator = paginator
        self.zones_of = zones_of

    def _versions(self, params: dict) -> list[dict]:
        version = kinds.postgres_version()
        if version is None or params.get("Engine") not in (None, "postgres"):
            return []
        wanted = params.get("EngineVersion")
        if wanted and wanted not in (version, version.split(".")[0]):
            return []
        if params.get("DBParameterGroupFamily") not in (None, family(version)):
            return []
        return [{"Engine": "postgres", "EngineVersion": version, "DBParameterGroupFamily": family(version),
                 "DBEngineDescription": "PostgreSQL", "DBEngineVersionDescription": f"PostgreSQL {version}-R1",
                 "MajorEngineVersion": version.split(".")[0], "Status": "available", "SupportsReadReplica": False,
                 "SupportsLogExportsToCloudwatchLogs": False, "SupportsParallelQuery": False, "SupportsGlobalDatabases": False,
                 "SupportsBabelfish": False, "SupportsCertificateRotationWithoutRestart": True,
                 "SupportedEngineModes": ["provisioned"], "ValidUpgradeTarget": [], "ExportableLogTypes": ["postgresql"],
                 "SupportedFeatureNames": ["Lambda", "s3Export", "s3Import"], "SupportsLimitlessDatabase": False, "SupportsLocalWriteForwarding": False,
                 "SupportsIntegrations": False}]

    def describe_db_engine_versions(self, ctx, params: dict) -> dict:
        return check.paged(self.paginator, "DBEngineVersions", self._versions(params), params)

    def describe_orderable_db_instance_options(self, ctx, params: dict) -> dict:
        versions = self._versions(params)
        wanted_class = params.get("DBInstanceClass")
        zones = [{"Name": z} for z in self.zones_of(ctx.scope, None) or []]
        rows = [{"Engine": "postgres", "EngineVersion": v["EngineVersion"], "DBInstanceClass": c,
                 "LicenseModel": "postgresql-license", "AvailabilityZones": zones, "MultiAZCapable": True,
                 "ReadReplicaCapable": False, "Vpc": True, "SupportsStorageEncryption": True, "StorageType": storage,
                 "SupportsIops": storage.startswith("io") or storage == "gp3", "SupportsEnhancedMonitoring": True,
                 "SupportsIAMDatabaseAuthentication": False, "SupportsPerformanceInsights": True,
                 "MinStorageSize": check.STORAGE[storage][0], "MaxStorageSize": check.STORAGE[storage][1],
                 "SupportedEngineModes": ["provisioned"], "SupportsStorageAutoscaling": True, "SupportedNetworkTypes": ["IPV4"],
                 "SupportsClusters": False, "SupportsDedicatedLogVolume": False}
                for v in versions for c in CLASSES if wanted_class in (None, c) for storage in ("gp2", "gp3", "io1")]
        return check.paged(self.paginator, "OrderableDBInstanceOptions", rows, params)

    def describe_db_major_engine_versions(self, ctx, params: dict) -> dict:
        """The installed PostgreSQL's major version with RDS's support dates for it."""
        version = kinds.postgres_version()
        engine, major = params.get("Engine"), params.get("MajorEngineVersion")
        if major is not None and engine is None:
            raise invalid("The parameter Engine must be provided when MajorEngineVersion is specified.")
        rows = []
        if version is not None and engine in (None, "postgres") and major in (None, version.split(".")[0]):
            rows.append({"Engine": "postgres", "MajorEngineVersion": version.split(".")[0],
                         "SupportedEngineLifecycles": lifecycles(version.split(".")[0])})
        return check.paged(self.paginator, "DBMajorEngineVersions", rows, params)
