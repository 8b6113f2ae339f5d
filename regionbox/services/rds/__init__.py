"""RDS: DB instances on real PostgreSQL servers, Multi-AZ with a streaming standby that a failover
promotes, DB clusters (Aurora PostgreSQL, Multi-AZ DB clusters) whose readers stream from their writer, Enhanced Monitoring measured from the servers' processes, and the sessions Performance
Insights (the ``pi`` service) reads.

``load`` builds the one state (``models.py``), the handlers by resource and the registration
table below. The data plane: ``postgres.py`` (how each server is made, runs, and is talked to),
``failover.py`` (the standby and failovers), ``monitoring.py`` (Enhanced Monitoring),
``insights.py`` (Performance Insights' sampler), ``cloudwatch_metrics.py`` (AWS/RDS metrics in CloudWatch).
"""

from regionbox.core.service import Service
from regionbox.protocol.dialect import Dialect

# RDS predates Coral: it checks only that required parameters are there.
DIALECT = Dialect(validation_code="InvalidParameterValue",
                  required_members_only=("InvalidParameterValue", "The parameter {name} must be provided and must not be null."))

GLOBAL = "Aurora global databases span regions; they are not built yet"
SNAPSHOTS = "tenant databases are Oracle multitenant (CDB) features"
BACKUPS = "replicating automated backups to another region is not built yet"
SECURITY_GROUPS = "DB security groups are EC2-Classic only; use VPC security groups"
BLUE_GREEN = "blue/green deployments are not built yet"
EXPORTS = "snapshot exports need S3 export tasks, which are not built yet"
OTHER = "not built yet"

NOT_IMPLEMENTED = {
    **dict.fromkeys(["AddRoleToDBCluster", "RemoveRoleFromDBCluster"], "IAM roles for DB clusters (S3 import/export, Lambda) are not built yet"),
    **dict.fromkeys(["BacktrackDBCluster", "DescribeDBClusterBacktracks"], "backtracking is Aurora MySQL's; Aurora PostgreSQL has none"),
    **dict.fromkeys(["CreateGlobalCluster", "DeleteGlobalCluster", "DescribeGlobalClusters", "FailoverGlobalCluster",
                     "ModifyGlobalCluster", "RemoveFromGlobalCluster", "SwitchoverGlobalCluster"], GLOBAL),
    **dict.fromkeys(["RestoreDBClusterToPointInTime", "DescribeDBClusterAutomatedBackups", "DeleteDBClusterAutomatedBackup"],
                    "a DB cluster's continuous backups (point-in-time restore) are not built yet; cluster snapshots are"),
    "PromoteReadReplicaDBCluster": "cross-region read replica clusters are not built yet",
    "RestoreDBClusterFromS3": "restoring from S3 needs Percona XtraBackup files (Aurora MySQL only)",
    "ModifyCurrentDBClusterCapacity": "Aurora Serverless v1 capacity is not built (provisioned clusters are)",
    **dict.fromkeys(["CreateDBShardGroup", "DeleteDBShardGroup", "DescribeDBShardGroups", "ModifyDBShardGroup",
                     "RebootDBShardGroup"], "Aurora PostgreSQL Limitless Database (shard groups) is not built yet"),
    "DescribeServerlessV2PlatformVersions": "Aurora Serverless v2 platform versions are not built yet",
    **dict.fromkeys(["EnableHttpEndpoint", "DisableHttpEndpoint"], "the RDS Data API is not built yet"),
    **dict.fromkeys(["StartActivityStream", "StopActivityStream", "ModifyActivityStream"], "database activity streams need Kinesis, which regionbox does not serve yet"),
    "SwitchoverReadReplica": "switching over to a read replica (RDS Custom for SQL Server, Blue/Green) is not built yet",
    "DescribeDBSnapshotTenantDatabases": SNAPSHOTS,
    **dict.fromkeys(["StartDBInstanceAutomatedBackupsReplication", "StopDBInstanceAutomatedBackupsReplication"], BACKUPS),
    "RestoreDBInstanceFromS3": "restoring from S3 needs Percona XtraBackup files (MySQL only)",
    **dict.fromkeys(["AuthorizeDBSecurityGroupIngress", "CreateDBSecurityGroup", "DeleteDBSecurityGroup",
                     "DescribeDBSecurityGroups", "RevokeDBSecurityGroupIngress"], SECURITY_GROUPS),
    **dict.fromkeys(["CreateBlueGreenDeployment", "DeleteBlueGreenDeployment", "DescribeBlueGreenDeployments",
                     "SwitchoverBlueGreenDeployment"], BLUE_GREEN),
    **dict.fromkeys(["CancelExportTask", "DescribeExportTasks", "StartExportTask"], EXPORTS),
    **dict.fromkeys(["CreateCustomDBEngineVersion", "DeleteCustomDBEngineVersion", "ModifyCustomDBEngineVersion"],
                    "custom engine versions are RDS Custom's (Oracle, SQL Server on a customer's AMI)"),
    **dict.fromkeys(["CreateIntegration", "DeleteIntegration", "DescribeIntegrations", "ModifyIntegration"],
                    "zero-ETL integrations need Redshift, which regionbox does not serve"),
    **dict.fromkeys(["CreateTenantDatabase", "DeleteTenantDatabase", "DescribeTenantDatabases", "ModifyTenantDatabase"],
                    "tenant databases are Oracle multitenant (CDB) features"),
    **dict.fromkeys(["DescribeDBRecommendations", "ModifyDBRecommendation"], OTHER),
}


def load(cloud) -> Service:
    from regionbox.engines import kinds
    from regionbox.services.rds.events import EventLog
    from regionbox.services.rds.failover import Failover
    from regionbox.services.rds.insights import Sampler
    from regionbox.services.rds.instances import Instances
    from regionbox.services.rds.lifecycle import Lifecycle, RdsApi
    from regionbox.services.rds.models import RdsState
    from regionbox.services.rds.monitoring import EnhancedMonitoring
    from regionbox.services.rds.parameter_groups import ParameterGroups
    from regionbox.services.rds.postgres import PostgresNodes
    from regionbox.services.rds.replicas import Replicas
    from regionbox.services.rds.snapshots import Snapshots
    from regionbox.services.rds.subnet_groups import SubnetGroups
    from regionbox.services.rds.automated_backups import AutomatedBackups
    from regionbox.services.rds.backups import Backups
    from regionbox.services.rds.catalog import Catalog
    from regionbox.services.rds.cluster_endpoints import ClusterEndpoints
    from regionbox.services.rds.cluster_members import ClusterMembers
    from regionbox.services.rds.cluster_parameter_groups import ClusterParameterGroups
    from regionbox.services.rds.cluster_snapshots import ClusterSnapshots
    from regionbox.services.rds.clusters import Clusters
    from regionbox.services.rds.cloudwatch_metrics import CloudWatchMetrics
    from regionbox.services.rds.log_files import LogFiles
    from regionbox.services.rds.tags import Tags
    from regionbox.services.rds.account import Account
    from regionbox.services.rds.proxies import Proxies
    from regionbox.services.rds.event_subscriptions import EventSubscriptions
    from regionbox.services.rds.reserved import ReservedInstances
    from regionbox.services.rds.option_groups import OptionGroups
    from regionbox.services.rds.certificates import Certificates
    from regionbox.services.rds.event_categories import EventCategories
    from regionbox.services.rds.instance_roles import InstanceRoles
    from regionbox.services.rds.maintenance import Maintenance
    from regionbox.services.rds.modifications import Modifications
    from regionbox.services.rds.regions import SourceRegions
    from regionbox.services.rds.retained_backups import RetainedBackups
    from regionbox.services.rds.snapshot_copies import SnapshotCopies
    from regionbox.services.rds.snapshot_sharing import SnapshotSharing

    state = RdsState(cloud.store)
    supervisor, tasks, paginator = cloud.supervisor, cloud.tasks, cloud.paginator
    nodes = PostgresNodes(supervisor, supervisor.root / "rds", cloud._secret("rds.admin").hex(), cloud.ca)
    events = EventLog(state.events, paginator)
    subnet_groups = SubnetGroups(state, lambda: cloud.services.api("ec2"), paginator)
    instances: Instances | None = None

    def apply_parameters(scope, group_name: str, static: bool) -> None:
        instances.apply_parameter_group(scope, group_name, static)

    parameter_groups = ParameterGroups(state, paginator, apply_parameters)
    failover = Failover(state, nodes, events, tasks, cloud.topology, cloud.addresses, subnet_groups.zones_of,
                        lambda scope, instance: instances.settings_of(scope, instance))
    instances = Instances(state, nodes, failover, subnet_groups, parameter_groups, events, tasks, cloud.topology,
                          cloud.addresses, paginator, supervisor.root / "rds-snapshots")
    replicas = Replicas(instances)
    failover.after_failover.append(replicas.follow)
    instances.before_delete.append(replicas.orphaned)
    snapshots = Snapshots(state, instances, events, tasks, supervisor.root / "rds-snapshots", paginator)
    retained = RetainedBackups(state, nodes)
    backups = Backups(instances, paginator, retained)
    automated = AutomatedBackups(state, instances, events, tasks, lambda: cloud.config.rds_backup_day, retained)
    instances.before_delete.append(automated.instance_deleted)
    log_files = LogFiles(instances)
    catalog = Catalog(paginator, subnet_groups.zones_of)
    tags = Tags(state)
    option_groups = OptionGroups(state, paginator)
    instances.option_group_of = option_groups.option_group_of
    copies = SnapshotCopies(state, events, tasks, supervisor.root / "rds-snapshots", option_groups.option_group_of)
    sharing = SnapshotSharing(state)
    account = Account(state)
    certificates = Certificates(state, cloud.ca, paginator)
    maintenance = Maintenance(state, paginator)
    roles = InstanceRoles(state, lambda: cloud.services.api("iam"))
    subscriptions = EventSubscriptions(state, paginator)
    reserved = ReservedInstances(state, paginator)
    proxies = Proxies(state, cloud.listeners, tasks, lambda: cloud.services.api("ec2"), lambda: cloud.services.api("iam"),
                      paginator)
    monitoring = EnhancedMonitoring(nodes, tasks, lambda: cloud.services.api("logs"), state.instances.get)
    instances.watchers.append(monitoring.on_instance)
    sampler = Sampler(cloud.store, nodes, tasks, state.instances.get)
    instances.watchers.append(sampler.on_instance)
    metrics = CloudWatchMetrics(nodes, tasks, lambda: cloud.services.api("cloudwatch"), state.instances.get, sampler.load,
                                lambda: cloud.config.rds_metrics_interval)
    instances.watchers.append(metrics.on_instance)
    sampler.on_sample.append(metrics.per_second)
    lifecycle = Lifecycle(state, nodes, instances, failover, events, tasks, cloud.addresses, [monitoring.stop_all, sampler.stop_all, metrics.stop_all])
    supervisor.listen(failover.on_engine_event)
    # DB clusters: members are instances; the endpoints are the cloud's proxies.
    members = ClusterMembers(instances, cloud.proxies)
    cluster_parameter_groups = ClusterParameterGroups(state, paginator, instances)
    instances.clusters, instances.cluster_settings = members, cluster_parameter_groups.settings
    instances.watchers.append(members.on_instance)
    instances.before_delete.append(members.member_leaving)
    supervisor.listen(members.on_engine_event)
    clusters = Clusters(members, cluster_parameter_groups, subnet_groups, cloud.addresses, paginator)
    cluster_snapshots = ClusterSnapshots(clusters, supervisor.root / "rds-cluster-snapshots")
    clusters.final_snapshot = cluster_snapshots.take_final
    cluster_endpoints = ClusterEndpoints(members, cloud.addresses)
    clusters.deleted.append(cluster_endpoints.cluster_deleted)

    async def start() -> None:
        await lifecycle.start()
        cluster_endpoints.start()
        clusters.start()
        automated.start()
        await proxies.start()

    async def stop() -> None:
        await proxies.stop()
        await lifecycle.stop()
        members.close_all()
        cluster_endpoints.close_all()

    async def reset() -> None:
        await proxies.stop()
        await lifecycle.reset()
        members.close_all()
        cluster_endpoints.close_all()
        automated.start()

    return Service(
        name="rds",
        operations={
            # instances
            "CreateDBInstance": instances.create_db_instance,
            "DescribeDBInstances": instances.describe_db_instances,
            "ModifyDBInstance": instances.modify_db_instance,
            "RebootDBInstance": instances.reboot_db_instance,
            "StopDBInstance": instances.stop_db_instance,
            "StartDBInstance": instances.start_db_instance,
            "DeleteDBInstance": instances.delete_db_instance,
            # read replicas
            "CreateDBInstanceReadReplica": replicas.create_db_instance_read_replica,
            "PromoteReadReplica": replicas.promote_read_replica,
            # subnet groups
            "CreateDBSubnetGroup": subnet_groups.create_db_subnet_group,
            "DescribeDBSubnetGroups": subnet_groups.describe_db_subnet_groups,
            "ModifyDBSubnetGroup": subnet_groups.modify_db_subnet_group,
            "DeleteDBSubnetGroup": subnet_groups.delete_db_subnet_group,
            # parameter groups
            "CreateDBParameterGroup": parameter_groups.create_db_parameter_group,
            "DescribeDBParameterGroups": parameter_groups.describe_db_parameter_groups,
            "DescribeDBParameters": parameter_groups.describe_db_parameters,
            "DescribeEngineDefaultParameters": parameter_groups.describe_engine_default_parameters,
            "ModifyDBParameterGroup": parameter_groups.modify_db_parameter_group,
            "ResetDBParameterGroup": parameter_groups.reset_db_parameter_group,
            "DeleteDBParameterGroup": parameter_groups.delete_db_parameter_group,
            "CopyDBParameterGroup": parameter_groups.copy_db_parameter_group,
            # snapshots
            "CreateDBSnapshot": snapshots.create_db_snapshot,
            "DescribeDBSnapshots": snapshots.describe_db_snapshots,
            "RestoreDBInstanceFromDBSnapshot": snapshots.restore_db_instance_from_db_snapshot,
            "DeleteDBSnapshot": snapshots.delete_db_snapshot,
            "CopyDBSnapshot": copies.copy_db_snapshot,
            "ModifyDBSnapshot": copies.modify_db_snapshot,
            "DescribeDBSnapshotAttributes": sharing.describe_db_snapshot_attributes,
            "ModifyDBSnapshotAttribute": sharing.modify_db_snapshot_attribute,
            # automated backups
            "RestoreDBInstanceToPointInTime": backups.restore_db_instance_to_point_in_time,
            "DescribeDBInstanceAutomatedBackups": backups.describe_db_instance_automated_backups,
            # DB clusters
            "CreateDBCluster": clusters.create_db_cluster,
            "DescribeDBClusters": clusters.describe_db_clusters,
            "ModifyDBCluster": clusters.modify_db_cluster,
            "DeleteDBCluster": clusters.delete_db_cluster,
            "StopDBCluster": clusters.stop_db_cluster,
            "StartDBCluster": clusters.start_db_cluster,
            "RebootDBCluster": clusters.reboot_db_cluster,
            "FailoverDBCluster": members.failover_db_cluster,
            "CreateDBClusterEndpoint": cluster_endpoints.create_db_cluster_endpoint,
            "DescribeDBClusterEndpoints": cluster_endpoints.describe_db_cluster_endpoints,
            "ModifyDBClusterEndpoint": cluster_endpoints.modify_db_cluster_endpoint,
            "DeleteDBClusterEndpoint": cluster_endpoints.delete_db_cluster_endpoint,
            # DB cluster parameter groups
            "CreateDBClusterParameterGroup": cluster_parameter_groups.create_db_cluster_parameter_group,
            "CopyDBClusterParameterGroup": cluster_parameter_groups.copy_db_cluster_parameter_group,
            "DescribeDBClusterParameterGroups": cluster_parameter_groups.describe_db_cluster_parameter_groups,
            "DescribeDBClusterParameters": cluster_parameter_groups.describe_db_cluster_parameters,
            "DescribeEngineDefaultClusterParameters": cluster_parameter_groups.describe_engine_default_cluster_parameters,
            "ModifyDBClusterParameterGroup": cluster_parameter_groups.modify_db_cluster_parameter_group,
            "ResetDBClusterParameterGroup": cluster_parameter_groups.reset_db_cluster_parameter_group,
            "DeleteDBClusterParameterGroup": cluster_parameter_groups.delete_db_cluster_parameter_group,
            # DB cluster snapshots
            "CreateDBClusterSnapshot": cluster_snapshots.create_db_cluster_snapshot,
            "DescribeDBClusterSnapshots": cluster_snapshots.describe_db_cluster_snapshots,
            "CopyDBClusterSnapshot": cluster_snapshots.copy_db_cluster_snapshot,
            "DeleteDBClusterSnapshot": cluster_snapshots.delete_db_cluster_snapshot,
            "RestoreDBClusterFromSnapshot": cluster_snapshots.restore_db_cluster_from_snapshot,
            "DescribeDBClusterSnapshotAttributes": cluster_snapshots.describe_db_cluster_snapshot_attributes,
            "ModifyDBClusterSnapshotAttribute": cluster_snapshots.modify_db_cluster_snapshot_attribute,
            "DeleteDBInstanceAutomatedBackup": retained.delete_db_instance_automated_backup,
            # log files
            "DescribeDBLogFiles": log_files.describe_db_log_files,
            "DownloadDBLogFilePortion": log_files.download_db_log_file_portion,
            # events, tags, what can be ordered
            "DescribeEvents": events.describe_events,
            "AddTagsToResource": tags.add_tags_to_resource,
            "ListTagsForResource": tags.list_tags_for_resource,
            "RemoveTagsFromResource": tags.remove_tags_from_resource,
            "DescribeDBEngineVersions": catalog.describe_db_engine_versions,
            "DescribeOrderableDBInstanceOptions": catalog.describe_orderable_db_instance_options,
            "DescribeDBMajorEngineVersions": catalog.describe_db_major_engine_versions,
            "DescribeSourceRegions": SourceRegions(paginator).describe_source_regions,
            "DescribeValidDBInstanceModifications": Modifications(state).describe_valid_db_instance_modifications,
            "DescribeAccountAttributes": account.describe_account_attributes,
            "DescribeEventCategories": EventCategories().describe_event_categories,
            # option groups
            "CreateOptionGroup": option_groups.create_option_group,
            "CopyOptionGroup": option_groups.copy_option_group,
            "ModifyOptionGroup": option_groups.modify_option_group,
            "DeleteOptionGroup": option_groups.delete_option_group,
            "DescribeOptionGroups": option_groups.describe_option_groups,
            "DescribeOptionGroupOptions": option_groups.describe_option_group_options,
            # event subscriptions (stored and checked; SNS is not served, so nothing is delivered)
            "CreateEventSubscription": subscriptions.create_event_subscription,
            "ModifyEventSubscription": subscriptions.modify_event_subscription,
            "DeleteEventSubscription": subscriptions.delete_event_subscription,
            "DescribeEventSubscriptions": subscriptions.describe_event_subscriptions,
            "AddSourceIdentifierToSubscription": subscriptions.add_source_identifier_to_subscription,
            "RemoveSourceIdentifierFromSubscription": subscriptions.remove_source_identifier_from_subscription,
            # reserved DB instances
            "DescribeReservedDBInstancesOfferings": reserved.describe_reserved_db_instances_offerings,
            "PurchaseReservedDBInstancesOffering": reserved.purchase_reserved_db_instances_offering,
            "DescribeReservedDBInstances": reserved.describe_reserved_db_instances,
            # RDS Proxy
            "CreateDBProxy": proxies.create_db_proxy,
            "DescribeDBProxies": proxies.describe_db_proxies,
            "ModifyDBProxy": proxies.modify_db_proxy,
            "DeleteDBProxy": proxies.delete_db_proxy,
            "DescribeDBProxyTargetGroups": proxies.describe_db_proxy_target_groups,
            "ModifyDBProxyTargetGroup": proxies.modify_db_proxy_target_group,
            "RegisterDBProxyTargets": proxies.register_db_proxy_targets,
            "DeregisterDBProxyTargets": proxies.deregister_db_proxy_targets,
            "DescribeDBProxyTargets": proxies.describe_db_proxy_targets,
            "CreateDBProxyEndpoint": proxies.create_db_proxy_endpoint,
            "DescribeDBProxyEndpoints": proxies.describe_db_proxy_endpoints,
            "ModifyDBProxyEndpoint": proxies.modify_db_proxy_endpoint,
            "DeleteDBProxyEndpoint": proxies.delete_db_proxy_endpoint,
            # the CA, maintenance, IAM roles of instances
            "DescribeCertificates": certificates.describe_certificates,
            "ModifyCertificates": certificates.modify_certificates,
            "DescribePendingMaintenanceActions": maintenance.describe_pending_maintenance_actions,
            "ApplyPendingMaintenanceAction": maintenance.apply_pending_maintenance_action,
            "AddRoleToDBInstance": roles.add_role_to_db_instance,
            "RemoveRoleFromDBInstance": roles.remove_role_from_db_instance,
        },
        not_implemented=NOT_IMPLEMENTED,
        dialect=DIALECT,
        api=RdsApi(state, sampler),
        start=start,
        stop=stop,
        reset=reset,
        engines=lambda: {"postgres": kinds.describe("postgres")},
    )
