"""DB instances: CreateDBInstance, DescribeDBInstances, ModifyDBInstance, RebootDBInstance,
StopDBInstance, StartDBInstance, DeleteDBInstance.

An instance is answered at once in its transitional status (``creating``, ``rebooting``,
``deleting`` ...) and the work runs in the background (``cloud.tasks``); a failure leaves the
instance ``failed`` with an event saying why. The servers are ``postgres.py``'s, Multi-AZ is
``failover.py``'s; the instance endpoint is its own loopback address on the instance's port.
"""

from __future__ import annotations

import asyncio
import secrets
import shutil
import string
from pathlib import Path
from typing import Callable

from regionbox.core import clock
from regionbox.core.addresses import AddressAllocator
from regionbox.core.errors import NotImplementedOperation, ServiceError, invalid
from regionbox.core.pagination import Paginator
from regionbox.core.store import Scope
from regionbox.core.tasks import Tasks
from regionbox.core.topology import Topology, UnknownZone
from regionbox.engines import kinds
from regionbox.services.rds import validation as check
from regionbox.services.rds.events import EventLog, Messages
from regionbox.services.rds.failover import Failover, next_node_id
from regionbox.services.rds.models import DBInstance, DbNode, RdsState
from regionbox.services.rds.parameter_groups import ParameterGroups, default_group_name
from regionbox.services.rds.postgres import PostgresNodes
from regionbox.services.rds.subnet_groups import SubnetGroups

ENGINES_ON_AWS = ("mysql", "mariadb", "oracle-ee", "oracle-se2", "oracle-ee-cdb", "oracle-se2-cdb", "sqlserver-ee",
                  "sqlserver-se", "sqlserver-ex", "sqlserver-web", "db2-se", "db2-ae", "aurora-mysql", "aurora-postgresql",
                  "custom-oracle-ee", "custom-sqlserver-ee")
HOSTED_ZONE = "Z2R2ITUGPM61AM"  # RDS's hosted zone id, as Endpoint.HostedZoneId shows one


def resource_id() -> str:
    return "db-" + "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(26))


class Instances:
    def __init__(self, state: RdsState, nodes: PostgresNodes, failover: Failover, subnet_groups: SubnetGroups,
                 parameter_groups: ParameterGroups, events: EventLog, tasks: Tasks, topology: Topology,
                 addresses: AddressAllocator, paginator: Paginator, snapshot_root) -> None:
        self.state = state
        self.nodes = nodes
        self.failover = failover
        self.subnet_groups = subnet_groups
        self.parameter_groups = parameter_groups
        self.events = events
        self.tasks = tasks
        self.topology = topology
        self.addresses = addresses
        self.paginator = paginator
        self.snapshot_root = snapshot_root
        # Told when an instance becomes available or its monitoring settings change (Enhanced
        # Monitoring, Performance Insights), and when it goes away.
        self.watchers: list[Callable[[Scope, DBInstance | None, str], None]] = []
        # Awaited before an instance's servers go away for good (its read replicas are promoted).
        self.before_delete: list = []
        # DB clusters (cluster_members.py): CreateDBInstance with a DBClusterIdentifier adds a
        # member, and a member's servers run with its cluster's parameter group under its own.
        self.clusters = None
        self.cluster_settings: Callable[[Scope, DBInstance], dict[str, str]] | None = None
        # option_group_of(ctx, name, engine, version): the option group's name, or AWS's error (OptionGroups).
        self.option_group_of: Callable = lambda ctx, name, engine, version: name

    # -- helpers ---------------------------------------------------------------------------------
    def get(self, scope: Scope, identifier: str) -> DBInstance:
        instance = self.state.instances.get(scope, identifier.lower())
        if instance is None:
            raise check.instance_not_found(identifier)
        return instance

    def save(self, scope: Scope, instance: DBInstance) -> None:
        self.state.instances.put(scope, instance.identifier, instance)

    def notify(self, scope: Scope, instance: DBInstance | None, identifier: str) -> None:
        for watcher in self.watchers:
            watcher(scope, instance, identifier)

    def settings_of(self, scope: Scope, instance: DBInstance) -> dict[str, str]:
        cluster = self.cluster_settings(scope, instance) if instance.cluster and self.cluster_settings else {}
        return {**cluster, **self.parameter_groups.values(scope, instance.parameter_group)}

    def spawn(self, scope: Scope, identifier: str, coroutine, what: str) -> None:
        self.tasks.spawn(coroutine, owner="rds", what=f"{what} {identifier}",
                         on_failure=lambda error: self.mark_failed(scope, identifier, error))

    def mark_failed(self, scope: Scope, identifier: str, error: BaseException) -> None:
        instance = self.state.instances.get(scope, identifier)
        if instance is not None and instance.status != "deleting":  # a deletion wins over what it interrupted
            instance.status = "failed"
            self.save(scope, instance)
            self.events.record(scope, identifier, "db-instance", Messages.FAILED, instance.arn, reason=error)

    def describe(self, scope: Scope, instance: DBInstance) -> dict:
        try:
            group = self.subnet_groups.group(scope, instance.subnet_group)
            subnet_group = self.subnet_groups.describe(group)
        except ServiceError:
            subnet_group = {"DBSubnetGroupName": instance.subnet_group}
        primary, standby = instance.primary, instance.standby
        described = {
            "DBInstanceIdentifier": instance.identifier, "DBInstanceClass": instance.instance_class, "Engine": instance.engine,
            "DBInstanceStatus": instance.status, "MasterUsername": instance.master_username,
            "AllocatedStorage": instance.allocated_storage, "InstanceCreateTime": clock.from_epoch(instance.created_at),
            "PreferredBackupWindow": instance.backup_window, "BackupRetentionPeriod": instance.backup_retention,
            "DBSecurityGroups": [], "VpcSecurityGroups": [{"VpcSecurityGroupId": g, "Status": "active"} for g in instance.vpc_security_groups],
            "DBParameterGroups": [{"DBParameterGroupName": instance.parameter_group,
                                   "ParameterApplyStatus": instance.parameter_apply_status}],
            "DBSubnetGroup": subnet_group, "PreferredMaintenanceWindow": check.MAINTENANCE_WINDOW,
            "PendingModifiedValues": dict(instance.pending), "MultiAZ": instance.multi_az,
            "EngineVersion": instance.engine_version, "AutoMinorVersionUpgrade": instance.auto_minor_version_upgrade,
            "ReadReplicaDBInstanceIdentifiers": [r.identifier for r in self.state.instances.values(scope)
                                                 if r.replica_source == instance.identifier],
            "LicenseModel": "postgresql-license",
            "OptionGroupMemberships": [{"OptionGroupName": instance.option_group or
                                        f"default:postgres-{instance.engine_version.split('.')[0]}", "Status": "in-sync"}],
            "PubliclyAccessible": instance.publicly_accessible, "StorageType": instance.storage_type, "DbInstancePort": 0,
            "StorageEncrypted": instance.storage_encrypted, "DbiResourceId": instance.resource_id,
            "CACertificateIdentifier": "rds-ca-rsa2048-g1", "CopyTagsToSnapshot": instance.copy_tags_to_snapshot,
            "MonitoringInterval": instance.monitoring_interval, "DBInstanceArn": instance.arn,
            "IAMDatabaseAuthenticationEnabled": False, "PerformanceInsightsEnabled": instance.performance_insights,
            "DeletionProtection": instance.deletion_protection, "TagList": instance.tags, "CustomerOwnedIpEnabled": False,
            "BackupTarget": "region", "NetworkType": "IPV4", "StorageThroughput": 0, "DedicatedLogVolume": False,
            "EngineLifecycleSupport": "open-source-rds-extended-support", "AssociatedRoles": instance.associated_roles,
        }
        if instance.db_name:
            described["DBName"] = instance.db_name
        if instance.cluster:
            described.update(DBClusterIdentifier=instance.cluster, PromotionTier=instance.promotion_tier)
        window = self.nodes.restorable_window(instance.resource_id) if instance.backup_retention else None
        if window is not None:
            described["LatestRestorableTime"] = clock.from_epoch(window[1])
        if instance.replica_source:
            described["ReadReplicaSourceDBInstanceIdentifier"] = instance.replica_source
            described["StatusInfos"] = [{"StatusType": "read replication", "Normal": True, "Status": "replicating"}]
        if instance.status not in ("creating",) and instance.endpoint_address:
            described["Endpoint"] = {"Address": instance.endpoint_address, "Port": instance.port, "HostedZoneId": HOSTED_ZONE}
        if primary is not None:
            described["AvailabilityZone"] = primary.zone
        if standby is not None:
            described["SecondaryAvailabilityZone"] = standby.zone
        if instance.monitoring_interval:
            described["MonitoringRoleArn"] = instance.monitoring_role_arn
            described["EnhancedMonitoringResourceArn"] = (f"arn:aws:logs:{scope[1]}:{scope[0]}:log-group:RDSOSMetrics:"
                                                          f"log-stream:{instance.resource_id}")
        if instance.performance_insights:
            described["PerformanceInsightsRetentionPeriod"] = instance.pi_retention
            described["PerformanceInsightsKMSKeyId"] = f"arn:aws:kms:{scope[1]}:{scope[0]}:key/aws/rds"
        return described

    # -- CreateDBInstance ------------------------------------------------------------------------
    def _engine_version(self, engine: str, wanted: str | None) -> str:
        if engine in ENGINES_ON_AWS:
            raise invalid(f"Engine {engine} is not served by regionbox: it runs postgres instances on the installed PostgreSQL.")
        if engine != "postgres":
            raise invalid(f"Invalid DB engine: {engine}")
        installed = kinds.postgres_version()
        if installed is None:
            raise ServiceError("InvalidParameterCombination", f"No PostgreSQL server is installed on this machine: "
                               f"{kinds.INSTALL_HINTS['postgres']}.")
        if wanted and wanted != installed and wanted.split(".")[0] != installed.split(".")[0]:
            raise ServiceError("InvalidParameterCombination", f"Cannot find version {wanted} for {engine}")
        return installed

    def create_db_instance(self, ctx, params: dict) -> dict:
        if params.get("DBClusterIdentifier"):
            return self.clusters.add_member(ctx, params)
        identifier = check.identifier(params["DBInstanceIdentifier"])
        instance_class = check.instance_class(params["DBInstanceClass"])
        engine = params["Engine"].lower()
        version = self._engine_version(engine, params.get("EngineVersion"))
        if params.get("MasterUsername") is None:
            raise invalid("The parameter MasterUsername must be provided and must not be blank.")
        username = check.master_username(params["MasterUsername"])
        if params.get("ManageMasterUserPassword"):
            raise NotImplementedOperation("rds", "CreateDBInstance", "ManageMasterUserPassword needs Secrets Manager, which "
                                          "regionbox does not serve yet")
        if params.get("MasterUserPassword") is None:
            raise invalid("The parameter MasterUserPassword must be provided and must not be blank.")
        password = check.master_password(params["MasterUserPassword"])
        check.required(params, "AllocatedStorage")
        storage_type = params.get("StorageType") or "gp2"
        check.storage(engine, storage_type, params["AllocatedStorage"])
        return self.new_instance(ctx, params, identifier=identifier, instance_class=instance_class, engine=engine,
                                 version=version, username=username, password=password, storage=params["AllocatedStorage"],
                                 storage_type=storage_type, db_name=params.get("DBName"))

    def new_instance(self, ctx, params: dict, *, identifier: str, instance_class: str, engine: str, version: str, username: str,
                     password: str, storage: int, storage_type: str, db_name: str | None, source: str | None = None,
                     replica_of: DBInstance | None = None, recovery: tuple[str, float | None] | None = None,
                     before_start=None, cluster: str | None = None, make_data=None) -> dict:
        """The checks and the placement every new instance goes through (created, or restored from
        the data directory ``source``), then its making in the background."""
        scope = ctx.scope
        interval, role = params.get("MonitoringInterval"), params.get("MonitoringRoleArn")
        check.monitoring(interval, role)
        check.pi_retention(params.get("PerformanceInsightsRetentionPeriod"))
        port = params.get("Port") or 5432
        if not 1150 <= port <= 65535:
            raise invalid(f"Invalid port {port}: the port must be between 1150 and 65535")
        multi_az = bool(params.get("MultiAZ"))
        zone = params.get("AvailabilityZone")
        if multi_az and zone:
            raise check.combination("Requesting a specific availability zone is not valid for Multi-AZ instances.")
        if (scope, identifier) in self.state.instances:
            raise ServiceError("DBInstanceAlreadyExists", "DB instance already exists")
        subnet_group = (params.get("DBSubnetGroupName") or "default").lower()
        zones = self.subnet_groups.zones_of(scope, subnet_group)
        if zone is not None:
            try:
                if self.topology.zone(zone).region != scope[1]:
                    raise UnknownZone(zone)
            except UnknownZone:
                raise ServiceError("InvalidParameterValue", f"Invalid availability zone: {zone}")
        parameter_group = params.get("DBParameterGroupName") or default_group_name(version)
        self.parameter_groups.group(scope, parameter_group)  # it must exist
        option_group = self.option_group_of(ctx, params["OptionGroupName"], engine, version) if params.get("OptionGroupName") else ""
        primary_zone = self.topology.place(scope[1], 1, candidates=zones, pinned=[zone] if zone else None)[0]
        endpoint, _ = self.addresses.allocate(port)
        node_address, _ = self.addresses.allocate(port)
        instance = DBInstance(
            identifier=identifier, arn=ctx.arn("rds", f"db:{identifier}"), resource_id=resource_id(),
            instance_class=instance_class, engine=engine, engine_version=version, master_username=username,
            master_password=password, allocated_storage=storage, storage_type=storage_type, port=port,
            db_name=db_name, endpoint_address=endpoint, multi_az=multi_az, subnet_group=subnet_group,
            parameter_group=parameter_group.lower(), backup_retention=params.get("BackupRetentionPeriod", 1),
            backup_window=check.backup_window(params["PreferredBackupWindow"]) if params.get("PreferredBackupWindow")
            else "03:00-03:30",
            monitoring_interval=interval or 0, monitoring_role_arn=role if interval else None,
            performance_insights=bool(params.get("EnablePerformanceInsights")),
            pi_retention=params.get("PerformanceInsightsRetentionPeriod") or 7,
            deletion_protection=bool(params.get("DeletionProtection")), publicly_accessible=bool(params.get("PubliclyAccessible")),
            auto_minor_version_upgrade=params.get("AutoMinorVersionUpgrade", True),
            copy_tags_to_snapshot=bool(params.get("CopyTagsToSnapshot")), storage_encrypted=bool(params.get("StorageEncrypted")),
            created_at=clock.epoch(), tags=params.get("Tags") or [], vpc_security_groups=params.get("VpcSecurityGroupIds") or [],
            replica_source=replica_of.identifier if replica_of else None, option_group=option_group,
            cluster=cluster, promotion_tier=params.get("PromotionTier", 1),
        )
        instance.nodes = [DbNode(node_id=next_node_id(instance, []), zone=primary_zone, address=node_address, role="primary")]
        self.save(scope, instance)
        self.spawn(scope, identifier, self._create(scope, identifier, password, source, recovery, before_start, make_data),
                   "creating")
        return {"DBInstance": self.describe(scope, instance)}

    async def _create(self, scope: Scope, identifier: str, password: str, source: str | None = None,
                      recovery: tuple[str, float | None] | None = None, before_start=None, make_data=None) -> None:
        """Make the primary's data (a new cluster, a copy of a snapshot or base backup, or a base
        backup of the source of a read replica), start it, then the standby and the first backup."""
        if before_start is not None:
            await before_start()  # a point-in-time restore: the source's WAL up to now archived first
        instance = self.get(scope, identifier)
        primary = instance.primary
        if make_data is not None:  # a DB cluster's reader: a base backup of its writer
            await make_data(instance, primary)
        elif instance.replica_source:
            await self.nodes.make_standby_data(self.get(scope, instance.replica_source), primary.node_id,
                                               application_name=instance.resource_id.lower())
        elif source is None:
            await self.nodes.make_primary_data(primary.node_id, instance.engine_version)
        else:
            await self.nodes.restore_data(primary.node_id, source)
        self.nodes.write_settings(primary.node_id, self.settings_of(scope, instance), False)
        if recovery is not None:
            self.nodes.prepare_recovery(primary.node_id, *recovery)
        await self.nodes.start(instance, primary)
        if recovery is not None:
            await self.nodes.wait_promoted(instance)
        if source is None and not instance.replica_source and make_data is None:
            await self.nodes.set_up_roles(instance, password)
        if instance.multi_az:
            await self.failover.add_standby(scope, instance)
        instance = self.get(scope, identifier)
        if instance.backup_retention and not instance.replica_source:
            # RDS backs a new instance up at once: the start of its point-in-time restore window.
            instance.status = "backing-up"
            self.save(scope, instance)
            self.events.record(scope, identifier, "db-instance", Messages.BACKING_UP, instance.arn)
            await self.nodes.automated_backup(instance)
            self.events.record(scope, identifier, "db-instance", Messages.BACKUP_DONE, instance.arn)
            instance = self.get(scope, identifier)
        instance.status, instance.master_password = "available", ""
        self.save(scope, instance)
        self.events.record(scope, identifier, "db-instance", Messages.CREATED, instance.arn)
        if instance.monitoring_interval:
            self.events.record(scope, identifier, "db-instance", Messages.MONITORING_ENABLED, instance.arn)
        self.notify(scope, instance, identifier)

    def apply_parameter_group(self, scope: Scope, group_name: str, static: bool) -> None:
        """A parameter group changed: its instances' servers get the new values (dynamic ones at
        once, by a reload; static ones at the next reboot, shown as pending-reboot from now on)."""
        for instance in [i for i in self.state.instances.values(scope) if i.parameter_group == group_name]:
            if static:
                instance.parameter_apply_status = "pending-reboot"
                self.save(scope, instance)
            self.tasks.spawn(self._reload_settings(scope, instance.identifier), owner="rds",
                             what=f"applying parameter group {group_name} to {instance.identifier}")

    async def _reload_settings(self, scope: Scope, identifier: str) -> None:
        instance = self.state.instances.get(scope, identifier)
        for db_node in instance.nodes if instance is not None else []:
            synchronous = db_node.role == "primary" and self.nodes.running(instance.standby)
            self.nodes.write_settings(db_node.node_id, self.settings_of(scope, instance), synchronous)
            if self.nodes.running(db_node):
                await self.nodes.reload(instance, db_node)

    # -- DescribeDBInstances ---------------------------------------------------------------------
    def describe_db_instances(self, ctx, params: dict) -> dict:
        identifier = params.get("DBInstanceIdentifier")
        instances = [self.get(ctx.scope, identifier)] if identifier else self.state.instances.values(ctx.scope)
        for spec in params.get("Filters") or []:
            name, values = spec["Name"], set(spec.get("Values") or [])
            key = {"db-instance-id": lambda i: {i.identifier, i.arn}, "dbi-resource-id": lambda i: {i.resource_id},
                   "engine": lambda i: {i.engine},
                   "db-cluster-id": lambda i: {i.cluster} if i.cluster else set()}.get(name)
            if key is None:
                raise invalid(f"Unrecognized filter name: {name}")
            instances = [i for i in instances if key(i) & values]
        return check.paged(self.paginator, "DBInstances", [self.describe(ctx.scope, i) for i in instances], params)

    # -- ModifyDBInstance ------------------------------------------------------------------------
    def modify_db_instance(self, ctx, params: dict) -> dict:
        scope = ctx.scope
        instance = self.get(scope, params["DBInstanceIdentifier"])
        if instance.status != "available":
            raise check.invalid_state(instance.identifier)
        if params.get("NewDBInstanceIdentifier"):
            raise NotImplementedOperation("rds", "ModifyDBInstance", "renaming an instance (NewDBInstanceIdentifier) is not built yet")
        if instance.cluster and (params.get("MultiAZ") or params.get("MasterUserPassword") is not None):
            raise check.combination(f"The specified DB instance is a member of DB cluster {instance.cluster}: "
                                    "modify the DB cluster instead.")
        immediately = bool(params.get("ApplyImmediately"))
        interval = params.get("MonitoringInterval", instance.monitoring_interval)
        role = params.get("MonitoringRoleArn", instance.monitoring_role_arn if interval else None)
        if "MonitoringInterval" in params or "MonitoringRoleArn" in params:
            check.monitoring(interval, role)
        check.pi_retention(params.get("PerformanceInsightsRetentionPeriod"))
        password = params.get("MasterUserPassword")
        if password is not None:
            check.master_password(password)
        if params.get("DBInstanceClass"):
            check.instance_class(params["DBInstanceClass"])
        if params.get("AllocatedStorage") is not None:
            if params["AllocatedStorage"] < instance.allocated_storage:
                raise invalid("Invalid storage size: you can't decrease the allocated storage of a DB instance")
            check.storage(instance.engine, params.get("StorageType") or instance.storage_type, params["AllocatedStorage"])
        if params.get("DBParameterGroupName"):
            self.parameter_groups.group(scope, params["DBParameterGroupName"])
        if params.get("PreferredBackupWindow"):
            check.backup_window(params["PreferredBackupWindow"])
        if params.get("OptionGroupName"):
            instance.option_group = self.option_group_of(ctx, params["OptionGroupName"], instance.engine, instance.engine_version)
        # Applied now whatever ApplyImmediately says, as RDS does for these.
        was_monitoring = instance.monitoring_interval
        instance.monitoring_interval, instance.monitoring_role_arn = interval or 0, role if interval else None
        if params.get("EnablePerformanceInsights") is not None:
            instance.performance_insights = params["EnablePerformanceInsights"]
        if params.get("PerformanceInsightsRetentionPeriod"):
            instance.pi_retention = params["PerformanceInsightsRetentionPeriod"]
        for member, attribute in (("BackupRetentionPeriod", "backup_retention"), ("DeletionProtection", "deletion_protection"),
                                  ("CopyTagsToSnapshot", "copy_tags_to_snapshot"), ("AutoMinorVersionUpgrade", "auto_minor_version_upgrade"),
                                  ("PubliclyAccessible", "publicly_accessible")):
            if params.get(member) is not None:
                setattr(instance, attribute, params[member])
        if params.get("PreferredBackupWindow"):
            instance.backup_window = params["PreferredBackupWindow"]
        if params.get("VpcSecurityGroupIds") is not None:
            instance.vpc_security_groups = params["VpcSecurityGroupIds"]
        if params.get("DBParameterGroupName") and params["DBParameterGroupName"].lower() != instance.parameter_group:
            instance.parameter_group = params["DBParameterGroupName"].lower()
            instance.parameter_apply_status = "pending-reboot"
        changes: dict = {}
        for member in ("DBInstanceClass", "AllocatedStorage", "StorageType", "MultiAZ"):
            if params.get(member) is not None:
                changes[member] = params[member]
        if password is not None:
            instance.pending["MasterUserPassword"] = "****"
        if immediately:
            for member, value in changes.items():
                self._apply_change(instance, member, value)
            multi_az_change = "MultiAZ" in changes and bool(changes["MultiAZ"]) != (instance.standby is not None)
        else:
            instance.pending.update(changes)
            multi_az_change = False
        if password is not None or multi_az_change:
            instance.status = "modifying"
        self.save(scope, instance)
        if password is not None or multi_az_change:
            self.spawn(scope, instance.identifier, self._modify(scope, instance.identifier, password, multi_az_change), "modifying")
        elif was_monitoring != instance.monitoring_interval or "EnablePerformanceInsights" in params:
            self.notify(scope, instance, instance.identifier)
        return {"DBInstance": self.describe(scope, instance)}

    @staticmethod
    def _apply_change(instance: DBInstance, member: str, value) -> None:
        attribute = {"DBInstanceClass": "instance_class", "AllocatedStorage": "allocated_storage", "StorageType": "storage_type",
                     "MultiAZ": "multi_az"}[member]
        setattr(instance, attribute, value)
        instance.pending.pop(member, None)

    async def _modify(self, scope: Scope, identifier: str, password: str | None, multi_az_change: bool) -> None:
        instance = self.get(scope, identifier)
        if password is not None:
            await self.nodes.set_password(instance, password)
            instance.pending.pop("MasterUserPassword", None)
            self.events.record(scope, identifier, "db-instance", Messages.RESET_CREDENTIALS, instance.arn)
        if multi_az_change:
            if instance.multi_az:
                await self.failover.add_standby(scope, instance)
                self.events.record(scope, identifier, "db-instance", Messages.CONVERTED_MULTI_AZ, instance.arn)
            else:
                await self.failover.drop_standby(scope, instance)
                self.events.record(scope, identifier, "db-instance", Messages.CONVERTED_SINGLE_AZ, instance.arn)
        instance = self.get(scope, identifier)
        instance.pending.pop("MasterUserPassword", None)
        instance.status = "available"
        self.save(scope, instance)
        self.notify(scope, instance, identifier)

    # -- RebootDBInstance ------------------------------------------------------------------------
    def reboot_db_instance(self, ctx, params: dict) -> dict:
        instance = self.get(ctx.scope, params["DBInstanceIdentifier"])
        if instance.status != "available":
            raise check.invalid_state(instance.identifier)
        forced = bool(params.get("ForceFailover"))
        if forced and not instance.multi_az:
            raise check.combination("ForceFailover cannot be specified since the instance is not configured for either "
                                    "MultiAZ or High Availability")
        instance.status = "rebooting"
        self.save(ctx.scope, instance)
        self.spawn(ctx.scope, instance.identifier, self._reboot(ctx.scope, instance.identifier, forced), "rebooting")
        return {"DBInstance": self.describe(ctx.scope, instance)}

    async def _reboot(self, scope: Scope, identifier: str, forced: bool) -> None:
        instance = self.get(scope, identifier)
        # A reboot applies the parameter group's static values and the changes waiting for one.
        for member in [m for m in ("DBInstanceClass", "AllocatedStorage", "StorageType") if m in instance.pending]:
            self._apply_change(instance, member, instance.pending[member])
        instance.parameter_apply_status = "in-sync"
        self.save(scope, instance)
        for db_node in instance.nodes:
            self.nodes.write_settings(db_node.node_id, self.settings_of(scope, instance), db_node.role == "primary" and
                                      instance.standby is not None)
        if forced:
            await self.failover.fail_over(scope, identifier, forced=True)
        else:
            for db_node in sorted(instance.nodes, key=lambda n: n.role != "standby"):
                await self.nodes.restart_as(instance, db_node)
            self.events.record(scope, identifier, "db-instance", Messages.RESTARTED, instance.arn)
        instance = self.get(scope, identifier)
        instance.status = "available"
        self.save(scope, instance)

    # -- StopDBInstance / StartDBInstance --------------------------------------------------------
    def stop_db_instance(self, ctx, params: dict) -> dict:
        instance = self.get(ctx.scope, params["DBInstanceIdentifier"])
        self._not_a_member(instance)
        if instance.status != "available":
            raise check.invalid_state(instance.identifier)
        instance.status = "stopping"
        self.save(ctx.scope, instance)
        self.spawn(ctx.scope, instance.identifier, self._stop(ctx.scope, instance.identifier), "stopping")
        return {"DBInstance": self.describe(ctx.scope, instance)}

    @staticmethod
    def _not_a_member(instance: DBInstance) -> None:
        if instance.cluster:  # a DB cluster's instances stop and start with it (StopDBCluster)
            raise check.combination(f"{instance.engine} DB instances are not eligible for stopping and starting.")

    async def _stop(self, scope: Scope, identifier: str) -> None:
        instance = self.get(scope, identifier)
        self.notify(scope, None, identifier)
        for db_node in instance.nodes:
            await self.nodes.supervisor.stop(db_node.node_id)
            self.addresses.reserve(db_node.address, instance.port)  # the node keeps its address while stopped
        instance = self.get(scope, identifier)
        instance.status = "stopped"
        self.save(scope, instance)
        self.events.record(scope, identifier, "db-instance", ("RDS-EVENT-0087", ["notification"], "DB instance stopped"), instance.arn)

    def start_db_instance(self, ctx, params: dict) -> dict:
        instance = self.get(ctx.scope, params["DBInstanceIdentifier"])
        self._not_a_member(instance)
        if instance.status != "stopped":
            raise check.invalid_state(instance.identifier, "stopped")
        instance.status = "starting"
        self.save(ctx.scope, instance)
        self.spawn(ctx.scope, instance.identifier, self._start(ctx.scope, instance.identifier), "starting")
        return {"DBInstance": self.describe(ctx.scope, instance)}

    async def _start(self, scope: Scope, identifier: str) -> None:
        instance = self.get(scope, identifier)
        for db_node in instance.nodes:
            await self.nodes.start(instance, db_node)
        instance = self.get(scope, identifier)
        instance.status = "available"
        self.save(scope, instance)
        self.events.record(scope, identifier, "db-instance", ("RDS-EVENT-0088", ["notification"], "DB instance started"), instance.arn)
        self.notify(scope, instance, identifier)

    # -- DeleteDBInstance ------------------------------------------------------------------------
    def delete_db_instance(self, ctx, params: dict) -> dict:
        scope = ctx.scope
        instance = self.get(scope, params["DBInstanceIdentifier"])
        skip, final = bool(params.get("SkipFinalSnapshot")), params.get("FinalDBSnapshotIdentifier")
        if instance.deletion_protection:
            raise check.combination("Cannot delete protected DB Instance, please disable deletion protection and try again.")
        if instance.status == "deleting":
            raise check.invalid_state(instance.identifier)
        cluster = self.state.clusters.get(scope, instance.cluster) if instance.cluster else None
        if cluster is not None and cluster.engine == "postgres" and cluster.status != "deleting":
            raise check.combination("Cannot delete a DB instance of a Multi-AZ DB cluster: delete the DB cluster instead.")
        if instance.cluster and final:
            raise check.combination("FinalDBSnapshotIdentifier can not be specified when deleting a cluster instance")
        if not skip and not final and not instance.cluster:  # a member's data stays with its cluster
            raise check.combination("FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is specified.")
        if skip and final:
            raise check.combination("Cannot specify both SkipFinalSnapshot and FinalDBSnapshotIdentifier")
        if final:
            final = check.identifier(final, "FinalDBSnapshotIdentifier")
            if (scope, final) in self.state.snapshots:
                raise ServiceError("DBSnapshotAlreadyExists", f"Cannot create the snapshot because a snapshot with the "
                                   f"identifier {final} already exists.")
            if instance.status not in ("available", "stopped"):
                raise check.invalid_state(instance.identifier)
        instance.status = "deleting"
        instance.delete_automated_backups = params.get("DeleteAutomatedBackups", True)
        self.save(scope, instance)
        self.spawn(scope, instance.identifier, self._delete(scope, instance.identifier, final), "deleting")
        return {"DBInstance": self.describe(scope, instance)}

    async def _delete(self, scope: Scope, identifier: str, final: str | None) -> None:
        instance = self.get(scope, identifier)
        self.notify(scope, None, identifier)
        for hook in self.before_delete:
            await hook(scope, identifier)
        primary = instance.primary
        if final and primary is not None:
            await self.nodes.supervisor.stop(primary.node_id)  # a clean stop: the copy is a consistent cluster
            from regionbox.services.rds.snapshots import make_snapshot
            snapshot = make_snapshot(instance, scope, final, self.snapshot_root, "manual",
                                     instance.tags if instance.copy_tags_to_snapshot else [])
            shutil.rmtree(snapshot.path, ignore_errors=True)
            Path(snapshot.path).parent.mkdir(parents=True, exist_ok=True)
            await asyncio.to_thread(shutil.copytree, self.nodes.pgdata(primary.node_id), snapshot.path, symlinks=True)
            snapshot.status = "available"
            self.state.snapshots.put(scope, final, snapshot)
            self.events.record(scope, final, "db-snapshot", Messages.FINAL_SNAPSHOT, snapshot.arn)
        for db_node in instance.nodes:
            await self.nodes.supervisor.stop(db_node.node_id, delete_data=True)
            shutil.rmtree(self.nodes.data_dir(db_node.node_id), ignore_errors=True)
            self.addresses.release(db_node.address, instance.port)
        self.addresses.release(instance.endpoint_address, instance.port)
        self.state.instances.delete(scope, identifier)
        self.events.record(scope, identifier, "db-instance", Messages.DELETED, instance.arn)

