"""ElastiCache: Redis/Valkey replication groups and Memcached clusters on real engine processes.

``load`` builds the one state (``state.py``), the handlers, one class per resource, each given
the state and the collaborators it uses, and the registration table below: every operation
ElastiCache serves, and the ones it does not with the reason. The data planes beside them:
``nodes.py`` / ``standalone_redis.py`` (how Redis/Valkey nodes run and are talked to),
``members.py`` (replication groups' member clusters and stable endpoints), ``memcached.py``
(Memcached nodes and the auto-discovery configuration endpoint).
"""

from regionbox.core.service import Service
from regionbox.protocol.dialect import Dialect

# ElastiCache predates Coral: it checks only that required parameters are there, and says
# InvalidParameterValue for bad input.
DIALECT = Dialect(validation_code="InvalidParameterValue",
                  required_members_only=("InvalidParameterValue", "The parameter {name} must be provided and must not be null."))



def load(cloud) -> Service:
    from regionbox.services.elasticache.cache_clusters import CacheClusters
    from regionbox.services.elasticache.events import EventLog
    from regionbox.services.elasticache.failover import Failover
    from regionbox.services.elasticache.lifecycle import ElastiCacheApi, Lifecycle
    from regionbox.services.elasticache.members import MemberClusters
    from regionbox.services.elasticache.modify import ReplicationGroupChanges
    from regionbox.services.elasticache.nodes import RedisNodes
    from regionbox.services.elasticache.parameter_groups import EngineVersions, ParameterGroups
    from regionbox.services.elasticache.placement import Placement
    from regionbox.services.elasticache.replication_groups import ReplicationGroups
    from regionbox.services.elasticache.resources import resources
    from regionbox.services.elasticache.sharding import Sharding
    from regionbox.services.elasticache.slot_migration import SlotMigration
    from regionbox.services.elasticache.standalone_redis import StandaloneRedis
    from regionbox.services.elasticache.state import ElastiCacheState
    from regionbox.services.elasticache.subnet_groups import SubnetGroups
    from regionbox.services.elasticache.tags import Tags
    from regionbox.services.elasticache.users import UserGroups, Users
    from regionbox.services.elasticache.automatic_snapshots import AutomaticSnapshots
    from regionbox.services.elasticache.exports import SnapshotExports
    from regionbox.services.elasticache.restores import Restores
    from regionbox.services.elasticache.snapshot_files import SnapshotFiles
    from regionbox.services.elasticache.snapshots import Snapshots
    from regionbox.services.elasticache.global_datastores import GlobalDatastores
    from regionbox.services.elasticache.migration import Migrations, ping
    from regionbox.services.elasticache.serverless_migration import ServerlessMigrations
    from regionbox.services.elasticache.node_types import NodeTypes
    from regionbox.services.elasticache.serverless import ServerlessCaches
    from regionbox.services.elasticache.serverless_snapshots import ServerlessSnapshots
    from regionbox.services.elasticache.reserved_nodes import ReservedNodes
    from regionbox.services.elasticache.security_groups import CacheSecurityGroups
    from regionbox.services.elasticache.service_updates import ServiceUpdates

    state = ElastiCacheState(cloud.store)
    supervisor, tasks, paginator = cloud.supervisor, cloud.tasks, cloud.paginator
    events = EventLog(state.events, paginator)
    subnet_groups = SubnetGroups(state, lambda: cloud.services.api("ec2"), paginator)
    placement = Placement(cloud.topology, subnet_groups.zones_of)
    nodes = RedisNodes(state, supervisor, cloud.ca, supervisor.root / "elasticache", cloud._secret("elasticache.admin").hex())
    members = MemberClusters(state, nodes, supervisor, cloud.proxies)
    standalone = StandaloneRedis(state, nodes, events, tasks)
    sharding = Sharding(state, nodes, members, placement, SlotMigration(state, nodes), events, tasks)
    failover = Failover(state, nodes, members, sharding, events, tasks)
    user_groups = UserGroups(state, nodes, events, paginator)
    users = Users(state, user_groups, tasks, paginator)
    files = SnapshotFiles(cloud.state_dir / "elasticache" / "snapshots", nodes, supervisor)
    exports = SnapshotExports(files, lambda: cloud.services.api("s3") if "s3" in cloud.services.names else None,
                              lambda: cloud.services.api("iam"))
    restores = Restores(state, files, exports)
    snapshots = Snapshots(state, nodes, files, exports, subnet_groups.vpc_of, events, tasks, paginator)
    day = lambda: cloud.config.elasticache_snapshot_day  # noqa: E731 - how long a day of automatic snapshots lasts
    serverless_snapshots = ServerlessSnapshots(
        state, Snapshots(state, nodes, files, exports, subnet_groups.vpc_of, events, tasks, paginator, state.serverless_snapshots),
        tasks, paginator, day)
    automatic = AutomaticSnapshots(state, snapshots, tasks, day, serverless_snapshots.tick)
    replication_groups = ReplicationGroups(state, members, sharding, placement, user_groups, restores, snapshots, events, tasks,
                                           paginator)
    changes = ReplicationGroupChanges(state, nodes, failover, user_groups, events, tasks)
    cache_clusters = CacheClusters(state, nodes, standalone, placement, supervisor, replication_groups, restores, snapshots, events,
                                   tasks, paginator)
    parameter_groups = ParameterGroups(state, nodes, paginator, tasks)
    engine_versions = EngineVersions(paginator)
    tags = Tags(state)
    global_datastores = GlobalDatastores(state, nodes, replication_groups, events, tasks, paginator)
    serverless = ServerlessCaches(state, replication_groups, cache_clusters, nodes, user_groups, restores, serverless_snapshots, events,
                                  tasks, paginator)
    serverless_migrations = ServerlessMigrations(state, nodes, serverless, events, tasks, ping)
    migrations = Migrations(state, nodes, serverless_migrations, events, tasks)
    reserved = ReservedNodes(state, paginator)
    updates = ServiceUpdates(state, paginator)
    security_groups = CacheSecurityGroups(paginator)
    node_types = NodeTypes(state)
    lifecycle = Lifecycle(state, cloud.ca, supervisor, replication_groups, failover, cache_clusters, members, snapshots, automatic,
                          users, serverless, serverless_migrations, events, tasks)
    # Engine events (a node exited or started) of group members and of cache clusters' nodes.
    supervisor.listen(failover.on_engine_event)
    supervisor.listen(cache_clusters.on_engine_event)

    return Service(
        name="elasticache",
        operations={
            # replication groups
            "CreateReplicationGroup": global_datastores.create_replication_group,
            "DescribeReplicationGroups": replication_groups.describe_replication_groups,
            "DeleteReplicationGroup": replication_groups.delete_replication_group,
            "IncreaseReplicaCount": replication_groups.increase_replica_count,
            "DecreaseReplicaCount": replication_groups.decrease_replica_count,
            "ModifyReplicationGroup": changes.modify_replication_group,
            "ModifyReplicationGroupShardConfiguration": sharding.modify_replication_group_shard_configuration,
            "TestFailover": failover.test_failover,
            # online migration from a self-managed Redis OSS
            "TestMigration": migrations.test_migration,
            "StartMigration": migrations.start_migration,
            "CompleteMigration": migrations.complete_migration,
            "PrepareMigration": serverless_migrations.prepare_migration,
            "StopMigration": serverless_migrations.stop_migration,
            # global datastores (a primary group and secondaries in other regions replicating from it)
            "CreateGlobalReplicationGroup": global_datastores.create_global_replication_group,
            "DescribeGlobalReplicationGroups": global_datastores.describe_global_replication_groups,
            "ModifyGlobalReplicationGroup": global_datastores.modify_global_replication_group,
            "DeleteGlobalReplicationGroup": global_datastores.delete_global_replication_group,
            "DisassociateGlobalReplicationGroup": global_datastores.disassociate_global_replication_group,
            "FailoverGlobalReplicationGroup": global_datastores.failover_global_replication_group,
            "IncreaseNodeGroupsInGlobalReplicationGroup": global_datastores.increase_node_groups_in_global_replication_group,
            "DecreaseNodeGroupsInGlobalReplicationGroup": global_datastores.decrease_node_groups_in_global_replication_group,
            "RebalanceSlotsInGlobalReplicationGroup": global_datastores.rebalance_slots_in_global_replication_group,
            # cache clusters
            "CreateCacheCluster": cache_clusters.create_cache_cluster,
            "DescribeCacheClusters": cache_clusters.describe_cache_clusters,
            "ModifyCacheCluster": cache_clusters.modify_cache_cluster,
            "RebootCacheCluster": cache_clusters.reboot_cache_cluster,
            "DeleteCacheCluster": cache_clusters.delete_cache_cluster,
            # users and user groups
            "CreateUser": users.create_user,
            "DescribeUsers": users.describe_users,
            "ModifyUser": users.modify_user,
            "DeleteUser": users.delete_user,
            "CreateUserGroup": user_groups.create_user_group,
            "DescribeUserGroups": user_groups.describe_user_groups,
            "ModifyUserGroup": user_groups.modify_user_group,
            "DeleteUserGroup": user_groups.delete_user_group,
            # parameter groups and engine versions
            "CreateCacheParameterGroup": parameter_groups.create_cache_parameter_group,
            "DescribeCacheParameterGroups": parameter_groups.describe_cache_parameter_groups,
            "DescribeCacheParameters": parameter_groups.describe_cache_parameters,
            "DescribeEngineDefaultParameters": parameter_groups.describe_engine_default_parameters,
            "ModifyCacheParameterGroup": parameter_groups.modify_cache_parameter_group,
            "ResetCacheParameterGroup": parameter_groups.reset_cache_parameter_group,
            "DeleteCacheParameterGroup": parameter_groups.delete_cache_parameter_group,
            "DescribeCacheEngineVersions": engine_versions.describe_cache_engine_versions,
            # subnet groups
            "CreateCacheSubnetGroup": subnet_groups.create_cache_subnet_group,
            "DescribeCacheSubnetGroups": subnet_groups.describe_cache_subnet_groups,
            "ModifyCacheSubnetGroup": subnet_groups.modify_cache_subnet_group,
            "DeleteCacheSubnetGroup": subnet_groups.delete_cache_subnet_group,
            # snapshots
            "CreateSnapshot": snapshots.create_snapshot,
            "DescribeSnapshots": snapshots.describe_snapshots,
            "CopySnapshot": snapshots.copy_snapshot,
            "DeleteSnapshot": snapshots.delete_snapshot,
            # node types a cluster or group can be scaled to
            "ListAllowedNodeTypeModifications": node_types.list_allowed_node_type_modifications,
            # reserved nodes (a catalog of offerings) and service updates
            "DescribeReservedCacheNodesOfferings": reserved.describe_reserved_cache_nodes_offerings,
            "PurchaseReservedCacheNodesOffering": reserved.purchase_reserved_cache_nodes_offering,
            "DescribeReservedCacheNodes": reserved.describe_reserved_cache_nodes,
            "DescribeServiceUpdates": updates.describe_service_updates,
            "DescribeUpdateActions": updates.describe_update_actions,
            "BatchApplyUpdateAction": updates.batch_apply_update_action,
            "BatchStopUpdateAction": updates.batch_stop_update_action,
            # cache security groups (EC2-Classic): answered as AWS answers a VPC account
            "CreateCacheSecurityGroup": security_groups.create_cache_security_group,
            "DescribeCacheSecurityGroups": security_groups.describe_cache_security_groups,
            "DeleteCacheSecurityGroup": security_groups.delete_cache_security_group,
            "AuthorizeCacheSecurityGroupIngress": security_groups.authorize_cache_security_group_ingress,
            "RevokeCacheSecurityGroupIngress": security_groups.revoke_cache_security_group_ingress,
            # serverless caches and their snapshots
            "CreateServerlessCache": serverless.create_serverless_cache,
            "DescribeServerlessCaches": serverless.describe_serverless_caches,
            "ModifyServerlessCache": serverless.modify_serverless_cache,
            "DeleteServerlessCache": serverless.delete_serverless_cache,
            "CreateServerlessCacheSnapshot": serverless_snapshots.create_serverless_cache_snapshot,
            "DescribeServerlessCacheSnapshots": serverless_snapshots.describe_serverless_cache_snapshots,
            "CopyServerlessCacheSnapshot": serverless_snapshots.copy_serverless_cache_snapshot,
            "ExportServerlessCacheSnapshot": serverless_snapshots.export_serverless_cache_snapshot,
            "DeleteServerlessCacheSnapshot": serverless_snapshots.delete_serverless_cache_snapshot,
            # events and tags
            "DescribeEvents": events.describe_events,
            "AddTagsToResource": tags.add_tags_to_resource,
            "ListTagsForResource": tags.list_tags_for_resource,
            "RemoveTagsFromResource": tags.remove_tags_from_resource,
        },
        dialect=DIALECT,
        api=ElastiCacheApi(state, nodes),
        start=lifecycle.start,
        stop=lifecycle.stop,
        reset=lifecycle.reset,
        resources=resources,
    )
