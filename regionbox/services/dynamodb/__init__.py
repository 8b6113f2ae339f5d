"""DynamoDB: tables, items, Query/Scan, transactions and PartiQL on a SQLite engine, with streams
and TTL expiry.

Every operation runs on the event loop thread and does its read-check-write without awaiting in
between, so a conditional write or a transaction is atomic with respect to every other request;
each commit is one SQLite transaction, durable before the response is sent.

Modules: state.py (the one state object); tables.py, items.py, query.py, transactions.py and
statements.py (the handlers, one class each); reads.py and writes.py (the read and write paths
they share); table_work.py and ttl.py (background work); storage.py and streams.py (items and
stream records in SQLite); expressions/, legacy.py, partiql.py, types.py and capacity.py (the
languages and the arithmetic); api.py (what DynamoDB Streams reads); access.py (what IAM
authorizes, and the account a table ARN addresses); resource_policies.py (tables' policies);
backups.py, recovery.py, restores.py and history.py (backups and point-in-time recovery);
exports.py, imports.py, bulk.py, jobs.py and formats.py (S3 in and out); global_tables.py,
legacy_global_tables.py and replicas.py (replicas in other regions); vectors.py (vector indexes); insights.py and kinesis.py.
"""

from regionbox.core.service import Service
from regionbox.services.dynamodb.access import DynamoDBAccess
from regionbox.services.dynamodb.api import DynamoDBApi
from regionbox.services.dynamodb.backups import Backups
from regionbox.services.dynamodb.bulk import BulkOperations
from regionbox.services.dynamodb.exports import Exports
from regionbox.services.dynamodb.global_tables import GlobalTables
from regionbox.services.dynamodb.imports import Imports
from regionbox.services.dynamodb.insights import ContributorInsights
from regionbox.services.dynamodb.items import Items
from regionbox.services.dynamodb.kinesis import KinesisDestinations
from regionbox.services.dynamodb.legacy_global_tables import LegacyGlobalTables
from regionbox.services.dynamodb.query import Queries
from regionbox.services.dynamodb.recovery import PointInTimeRecovery
from regionbox.services.dynamodb.resource_policies import ResourcePolicies
from regionbox.services.dynamodb.restores import Restores
from regionbox.services.dynamodb.state import DynamoDBState
from regionbox.services.dynamodb.statements import Statements
from regionbox.services.dynamodb.table_work import TableWork
from regionbox.services.dynamodb.tables import Tables
from regionbox.services.dynamodb.transactions import Transactions
from regionbox.services.dynamodb.ttl import TtlSweeper
from regionbox.services.dynamodb.vectors import VectorIndexes
from regionbox.services.dynamodb.writes import Writer


def load(cloud) -> Service:
    state = DynamoDBState(cloud.store, cloud.paginator, cloud.config)
    writer = Writer(state, cloud.bus)
    work = TableWork(state, cloud.tasks, cloud.config)
    policies = ResourcePolicies(state, iam=lambda: cloud.services.api("iam"))
    vectors = VectorIndexes(state, cloud.tasks)
    tables = Tables(state, work, cloud.config, policies, vectors)
    restores = Restores(state, tables, work)
    backups = Backups(state, restores, cloud.tasks)
    recovery = PointInTimeRecovery(state, restores, backups)
    insights = ContributorInsights(state, cloud.tasks, cloud.paginator)
    kinesis = KinesisDestinations(state, cloud.tasks)
    global_tables = GlobalTables(state, tables, work)
    legacy_global_tables = LegacyGlobalTables(state)
    bulk = BulkOperations(state, writer, cloud.tasks, cloud.paginator, s3=lambda: cloud.services.api("s3"))
    exports = Exports(state, cloud.tasks, cloud.paginator, s3=lambda: cloud.services.api("s3"))
    imports = Imports(state, tables, work, cloud.tasks, cloud.paginator, s3=lambda: cloud.services.api("s3"),
                      logs=lambda: cloud.services.api("logs"))
    sweeper = TtlSweeper(state, writer, cloud.tasks, cloud.config.dynamodb_ttl_interval,
                         housekeeping=(recovery.trim, backups.expire))
    items = Items(state, writer)
    queries = Queries(state)
    transactions = Transactions(state, writer)
    statements = Statements(state, writer, cloud.paginator)
    access = DynamoDBAccess(state)

    def start() -> None:
        work.resume()
        exports.resume()
        imports.resume()
        bulk.resume()
        sweeper.start()

    def reset() -> None:
        # The registry has cancelled this service's tasks (the sweeper among them) and the store
        # empties itself next: forget what lives in memory only and sweep again.
        state.forget()
        sweeper.start()

    return Service(
        name="dynamodb",
        # A table ARN of another account serves the request in that account (access.py).
        operations=access.served_by_owner({
            "CreateTable": global_tables.create_table,
            "DescribeTable": tables.describe_table,
            "UpdateTable": global_tables.update_table,
            "DeleteTable": tables.delete_table,
            "ListTables": tables.list_tables,
            "UpdateTimeToLive": global_tables.update_time_to_live,
            "DescribeTimeToLive": tables.describe_time_to_live,
            "TagResource": tables.tag_resource,
            "UntagResource": tables.untag_resource,
            "ListTagsOfResource": tables.list_tags_of_resource,
            "DescribeLimits": tables.describe_limits,
            "DescribeEndpoints": tables.describe_endpoints,
            "PutItem": items.put_item,
            "GetItem": items.get_item,
            "UpdateItem": items.update_item,
            "DeleteItem": items.delete_item,
            "BatchGetItem": items.batch_get_item,
            "BatchWriteItem": items.batch_write_item,
            "Query": queries.query,
            "Scan": queries.scan,
            "TransactWriteItems": transactions.transact_write_items,
            "TransactGetItems": transactions.transact_get_items,
            "ExecuteStatement": statements.execute_statement,
            "BatchExecuteStatement": statements.batch_execute_statement,
            "ExecuteTransaction": statements.execute_transaction,
            "PutResourcePolicy": policies.put_resource_policy,
            "GetResourcePolicy": policies.get_resource_policy,
            "DeleteResourcePolicy": policies.delete_resource_policy,
            "CreateBackup": backups.create_backup,
            "DescribeBackup": backups.describe_backup,
            "ListBackups": backups.list_backups,
            "DeleteBackup": backups.delete_backup,
            "RestoreTableFromBackup": backups.restore_table_from_backup,
            "UpdateContinuousBackups": recovery.update_continuous_backups,
            "DescribeContinuousBackups": recovery.describe_continuous_backups,
            "RestoreTableToPointInTime": recovery.restore_table_to_point_in_time,
            "UpdateContributorInsights": insights.update_contributor_insights,
            "DescribeContributorInsights": insights.describe_contributor_insights,
            "ListContributorInsights": insights.list_contributor_insights,
            # Kinesis is not served: every destination ends ENABLE_FAILED as one whose stream does not exist.
            "EnableKinesisStreamingDestination": kinesis.enable_kinesis_streaming_destination,
            "DisableKinesisStreamingDestination": kinesis.disable_kinesis_streaming_destination,
            "UpdateKinesisStreamingDestination": kinesis.update_kinesis_streaming_destination,
            "DescribeKinesisStreamingDestination": kinesis.describe_kinesis_streaming_destination,
            "ExportTableToPointInTime": exports.export_table_to_point_in_time,
            "DescribeExport": exports.describe_export,
            "ListExports": exports.list_exports,
            "CreateGlobalTable": legacy_global_tables.create_global_table,
            "DescribeGlobalTable": legacy_global_tables.describe_global_table,
            "ListGlobalTables": legacy_global_tables.list_global_tables,
            "UpdateGlobalTable": legacy_global_tables.update_global_table,
            "DescribeGlobalTableSettings": legacy_global_tables.describe_global_table_settings,
            "UpdateGlobalTableSettings": legacy_global_tables.update_global_table_settings,
            "DescribeTableReplicaAutoScaling": global_tables.describe_table_replica_auto_scaling,
            "UpdateTableReplicaAutoScaling": global_tables.update_table_replica_auto_scaling,
            "StartBulkPutItems": bulk.start_bulk_put_items,
            "DescribeBulkOperation": bulk.describe_bulk_operation,
            "ListBulkOperations": bulk.list_bulk_operations,
            "CancelBulkOperation": bulk.cancel_bulk_operation,
            "SearchVectors": vectors.search_vectors,
            "ImportTable": imports.import_table,
            "DescribeImport": imports.describe_import,
            "ListImports": imports.list_imports,
        }),
        # Item reads and writes are data events: CloudTrail does not record them as management events.
        data_events=frozenset({
            "PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems",
            "GetItem", "BatchGetItem", "TransactGetItems", "Query", "Scan",
            "ExecuteStatement", "BatchExecuteStatement", "ExecuteTransaction",
        }),
        api=DynamoDBApi(state, {"GetItem": items.get_item, "PutItem": items.put_item, "UpdateItem": items.update_item,
                                "DeleteItem": items.delete_item, "Query": queries.query, "Scan": queries.scan,
                                "BatchGetItem": items.batch_get_item, "BatchWriteItem": items.batch_write_item,
                                "TransactGetItems": transactions.transact_get_items,
                                "TransactWriteItems": transactions.transact_write_items},
                        access.resources, policies.policy_of, iam=lambda: cloud.services.api("iam")),
        resources=access.resources,
        resource_policy=policies.policy_of,
        start=start,
        reset=reset,
    )
