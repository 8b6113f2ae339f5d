"""On-demand backups and point-in-time recovery through boto3: restored tables are compared with
what the table held, item by item."""

import datetime
import re
import time

import pytest
from botocore.config import Config
from engine_helpers import aws_error, create_table, dynamodb_state

from regionbox.services.dynamodb.table_work import TableWork
from regionbox.testing import CloudProcess

RAW = Config(parameter_validation=False, retries={"max_attempts": 1})


def items_of(ddb, name, **extra):
    """Every item of a table, by key, read with a paged Scan."""
    found, start = {}, None
    while True:
        page = ddb.scan(TableName=name, **extra, **({"ExclusiveStartKey": start} if start else {}))
        for item in page["Items"]:
            found[(item["pk"]["S"], item.get("sk", {}).get("N"))] = item
        start = page.get("LastEvaluatedKey")
        if not start:
            return found


def wait_restored(ddb, name):
    for _ in range(400):
        table = ddb.describe_table(TableName=name)["Table"]
        if table["TableStatus"] == "ACTIVE":
            return table
        time.sleep(0.05)
    raise AssertionError(f"{name} never became ACTIVE")


def orders_table(ddb, name="orders", **extra):
    create_table(ddb, name, ("pk", "S"), ("sk", "N"), more_attributes=[("status", "S"), ("at", "N")],
                 LocalSecondaryIndexes=[{"IndexName": "by-at", "Projection": {"ProjectionType": "KEYS_ONLY"},
                                         "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                                       {"AttributeName": "at", "KeyType": "RANGE"}]}],
                 GlobalSecondaryIndexes=[{"IndexName": "by-status", "Projection": {"ProjectionType": "ALL"},
                                          "KeySchema": [{"AttributeName": "status", "KeyType": "HASH"}]}], **extra)


def fill(ddb, name, count, tag="v1"):
    for start in range(0, count, 25):
        ddb.batch_write_item(RequestItems={name: [{"PutRequest": {"Item": {
            "pk": {"S": f"c{i % 7}"}, "sk": {"N": str(i)}, "status": {"S": "open" if i % 3 else "closed"},
            "at": {"N": str(1000 - i)}, "tag": {"S": tag}, "blob": {"B": bytes([i % 256]) * 3},
            "tags": {"SS": ["", tag]}, "doc": {"M": {"n": {"N": str(i)}, "l": {"L": [{"BOOL": True}, {"NULL": True}]}}}}}}
            for i in range(start, min(start + 25, count))]})


# -- on-demand backups ---------------------------------------------------------------------------

def test_backup_is_a_copy_of_that_moment_and_restores_item_by_item(cloud, monkeypatch):
    monkeypatch.setattr(TableWork, "restore_chunk", 7)  # many chunks, requests served between them
    monkeypatch.setattr(TableWork, "backfill_chunk", 5)
    ddb = cloud.client("dynamodb")
    orders_table(ddb)
    fill(ddb, "orders", 120)
    before = items_of(ddb, "orders")
    created = ddb.create_backup(TableName="orders", BackupName="nightly")["BackupDetails"]
    assert created["BackupStatus"] == "CREATING" and created["BackupType"] == "USER"
    arn = created["BackupArn"]
    assert re.fullmatch(r"arn:aws:dynamodb:us-east-1:000000000000:table/orders/backup/\d{14}-[0-9a-f]{8}", arn)
    # The table moves on; the backup does not.
    fill(ddb, "orders", 60, tag="v2")
    ddb.delete_item(TableName="orders", Key={"pk": {"S": "c1"}, "sk": {"N": "99"}})
    described = ddb.describe_backup(BackupArn=arn)["BackupDescription"]
    assert described["BackupDetails"]["BackupStatus"] == "AVAILABLE"
    assert described["SourceTableDetails"]["ItemCount"] == 120
    assert described["SourceTableDetails"]["TableName"] == "orders"
    assert [i["IndexName"] for i in described["SourceTableFeatureDetails"]["GlobalSecondaryIndexes"]] == ["by-status"]
    assert [i["IndexName"] for i in described["SourceTableFeatureDetails"]["LocalSecondaryIndexes"]] == ["by-at"]
    restoring = ddb.restore_table_from_backup(TargetTableName="orders-restored", BackupArn=arn)["TableDescription"]
    assert restoring["TableStatus"] == "CREATING" and restoring["RestoreSummary"]["RestoreInProgress"] is True
    assert restoring["RestoreSummary"]["SourceBackupArn"] == arn
    restored = wait_restored(ddb, "orders-restored")
    assert restored["RestoreSummary"]["RestoreInProgress"] is False
    assert restored["ItemCount"] == 120 and "StreamSpecification" not in restored
    assert items_of(ddb, "orders-restored") == before
    # Its indexes are real: built again from the items.
    closed = ddb.query(TableName="orders-restored", IndexName="by-status", KeyConditionExpression="#s = :c",
                       ExpressionAttributeNames={"#s": "status"}, ExpressionAttributeValues={":c": {"S": "closed"}})
    assert sorted(int(i["sk"]["N"]) for i in closed["Items"]) == [i for i in range(120) if i % 3 == 0]
    by_at = ddb.query(TableName="orders-restored", IndexName="by-at", KeyConditionExpression="pk = :p",
                      ExpressionAttributeValues={":p": {"S": "c0"}})
    assert [int(i["at"]["N"]) for i in by_at["Items"]] == sorted(1000 - i for i in range(120) if i % 7 == 0)


def test_restore_overrides_indexes_and_billing(cloud):
    ddb = cloud.client("dynamodb")
    orders_table(ddb)
    fill(ddb, "orders", 30)
    arn = ddb.create_backup(TableName="orders", BackupName="bk1")["BackupDetails"]["BackupArn"]
    ddb.restore_table_from_backup(TargetTableName="lean", BackupArn=arn, GlobalSecondaryIndexOverride=[],
                                  LocalSecondaryIndexOverride=[], BillingModeOverride="PROVISIONED",
                                  ProvisionedThroughputOverride={"ReadCapacityUnits": 3, "WriteCapacityUnits": 4})
    lean = wait_restored(ddb, "lean")
    assert "GlobalSecondaryIndexes" not in lean and "LocalSecondaryIndexes" not in lean
    assert lean["ProvisionedThroughput"]["ReadCapacityUnits"] == 3 and lean["ProvisionedThroughput"]["WriteCapacityUnits"] == 4
    assert sorted(a["AttributeName"] for a in lean["AttributeDefinitions"]) == ["pk", "sk"]
    assert items_of(ddb, "lean") == items_of(ddb, "orders")
    with aws_error("ValidationException", "Invalid Request: Must override ProvisionedThroughput if BillingMode is "
                   "overridden to PROVISIONED"):
        ddb.restore_table_from_backup(TargetTableName="other", BackupArn=arn, BillingModeOverride="PROVISIONED")
    with aws_error("ValidationException", "Invalid Request: Cannot override ProvisionedThroughput unless BillingMode is PROVISIONED"):
        ddb.restore_table_from_backup(TargetTableName="other", BackupArn=arn,
                                      ProvisionedThroughputOverride={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1})
    with aws_error("ValidationException", "Invalid Request: Index by-nothing does not match a secondary index that existed "
                   "in the source table and cannot be created during the restore operation"):
        ddb.restore_table_from_backup(TargetTableName="other", BackupArn=arn, GlobalSecondaryIndexOverride=[
            {"IndexName": "by-nothing", "KeySchema": [{"AttributeName": "status", "KeyType": "HASH"}],
             "Projection": {"ProjectionType": "ALL"}}])


def test_backup_errors(cloud):
    ddb = cloud.client("dynamodb", config=RAW)
    with aws_error("TableNotFoundException", "Table not found: nothing"):
        ddb.create_backup(TableName="nothing", BackupName="bk1")
    orders_table(ddb)
    arn = ddb.create_backup(TableName="orders", BackupName="bk1")["BackupDetails"]["BackupArn"]
    with aws_error("TableAlreadyExistsException", "Table already exists: orders"):
        ddb.restore_table_from_backup(TargetTableName="orders", BackupArn=arn)
    missing = arn[:-8] + "00000000"
    with aws_error("BackupNotFoundException"):
        ddb.describe_backup(BackupArn=missing)
    with aws_error("BackupNotFoundException"):
        ddb.restore_table_from_backup(TargetTableName="again", BackupArn=missing)
    with aws_error("ValidationException", contains="at 'backupName' failed to satisfy constraint: Member must satisfy regular expression pattern"):
        ddb.create_backup(TableName="orders", BackupName="no spaces")
    deleted = ddb.delete_backup(BackupArn=arn)["BackupDescription"]
    assert deleted["BackupDetails"]["BackupStatus"] == "DELETED"
    with aws_error("BackupNotFoundException"):
        ddb.delete_backup(BackupArn=arn)


def test_backups_are_listed_filtered_and_paged(cloud):
    ddb = cloud.client("dynamodb")
    orders_table(ddb)
    create_table(ddb, "other")
    arns = []
    for n in range(5):
        arns.append(ddb.create_backup(TableName="orders", BackupName=f"bk{n}")["BackupDetails"]["BackupArn"])
        time.sleep(0.01)
    other = ddb.create_backup(TableName="other", BackupName="ob1")["BackupDetails"]["BackupArn"]
    everything = ddb.list_backups()["BackupSummaries"]
    assert [b["BackupArn"] for b in everything] == arns + [other]
    assert [b["BackupArn"] for b in ddb.list_backups(TableName="orders")["BackupSummaries"]] == arns
    pages, start = [], None
    while True:
        page = ddb.list_backups(TableName="orders", Limit=2, **({"ExclusiveStartBackupArn": start} if start else {}))
        pages.append([b["BackupName"] for b in page["BackupSummaries"]])
        start = page.get("LastEvaluatedBackupArn")
        if not start:
            break
    assert pages == [["bk0", "bk1"], ["bk2", "bk3"], ["bk4"]]
    created = [b["BackupCreationDateTime"] for b in everything]
    window = ddb.list_backups(TimeRangeLowerBound=created[1], TimeRangeUpperBound=created[3])["BackupSummaries"]
    assert [b["BackupName"] for b in window] == ["bk1", "bk2"]
    assert ddb.list_backups(BackupType="SYSTEM")["BackupSummaries"] == []
    with aws_error("ValidationException", "One or more parameter values were invalid: Time range lower bound must be less "
                   "than or equal to upper bound"):
        ddb.list_backups(TimeRangeLowerBound=created[3], TimeRangeUpperBound=created[1])
    with aws_error("ValidationException", contains="Member must have value less than or equal to 100"):
        cloud.client("dynamodb", config=RAW).list_backups(Limit=101)


def test_a_backup_outlives_its_table(cloud):
    ddb = cloud.client("dynamodb")
    orders_table(ddb)
    fill(ddb, "orders", 10)
    before = items_of(ddb, "orders")
    arn = ddb.create_backup(TableName="orders", BackupName="keep")["BackupDetails"]["BackupArn"]
    ddb.delete_table(TableName="orders")
    ddb.restore_table_from_backup(TargetTableName="orders", BackupArn=arn)
    wait_restored(ddb, "orders")
    assert items_of(ddb, "orders") == before


def test_backups_and_restores_survive_a_restart(tmp_path):
    process = CloudProcess(tmp_path / "state").start()
    try:
        ddb = process.client("dynamodb")
        orders_table(ddb)
        fill(ddb, "orders", 40)
        before = items_of(ddb, "orders")
        arn = ddb.create_backup(TableName="orders", BackupName="durable")["BackupDetails"]["BackupArn"]
        ddb.delete_table(TableName="orders")
        process.kill9()
        process.start()
        ddb = process.client("dynamodb")
        assert ddb.describe_backup(BackupArn=arn)["BackupDescription"]["BackupDetails"]["BackupStatus"] == "AVAILABLE"
        ddb.restore_table_from_backup(TargetTableName="back", BackupArn=arn)
        wait_restored(ddb, "back")
        assert items_of(ddb, "back") == before
    finally:
        process.stop()


# -- point-in-time recovery ----------------------------------------------------------------------

def test_point_in_time_recovery_settings(cloud):
    ddb = cloud.client("dynamodb")
    orders_table(ddb)
    off = ddb.describe_continuous_backups(TableName="orders")["ContinuousBackupsDescription"]
    assert off == {"ContinuousBackupsStatus": "ENABLED", "PointInTimeRecoveryDescription": {"PointInTimeRecoveryStatus": "DISABLED"}}
    on = ddb.update_continuous_backups(TableName="orders", PointInTimeRecoverySpecification={
        "PointInTimeRecoveryEnabled": True, "RecoveryPeriodInDays": 7})["ContinuousBackupsDescription"]
    recovery = on["PointInTimeRecoveryDescription"]
    assert recovery["PointInTimeRecoveryStatus"] == "ENABLED" and recovery["RecoveryPeriodInDays"] == 7
    assert recovery["EarliestRestorableDateTime"] <= recovery["LatestRestorableDateTime"]
    default = ddb.update_continuous_backups(TableName="orders", PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True,
                                                                                                   "RecoveryPeriodInDays": 35})
    assert default["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]["RecoveryPeriodInDays"] == 35
    with aws_error("ValidationException", "Invalid Request: Cannot specify RecoveryPeriodInDays when disabling point-in-time recovery."):
        ddb.update_continuous_backups(TableName="orders", PointInTimeRecoverySpecification={
            "PointInTimeRecoveryEnabled": False, "RecoveryPeriodInDays": 3})
    with aws_error("ValidationException", contains="Member must have value less than or equal to 35"):
        cloud.client("dynamodb", config=RAW).update_continuous_backups(TableName="orders", PointInTimeRecoverySpecification={
            "PointInTimeRecoveryEnabled": True, "RecoveryPeriodInDays": 36})
    with aws_error("TableNotFoundException", "Table not found: nothing"):
        ddb.describe_continuous_backups(TableName="nothing")


def test_restore_to_several_points_in_time(cloud, monkeypatch):
    monkeypatch.setattr(TableWork, "restore_chunk", 9)
    ddb = cloud.client("dynamodb")
    orders_table(ddb)
    fill(ddb, "orders", 20)  # before PITR: part of every restore
    ddb.update_continuous_backups(TableName="orders", PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    moments, states = [], []

    def mark():
        time.sleep(0.05)
        moments.append(datetime.datetime.now(datetime.timezone.utc))
        states.append(items_of(ddb, "orders"))
        time.sleep(0.05)

    mark()
    fill(ddb, "orders", 50, tag="second")  # overwrites 0..19, adds 20..49
    mark()
    for i in range(0, 50, 4):
        ddb.delete_item(TableName="orders", Key={"pk": {"S": f"c{i % 7}"}, "sk": {"N": str(i)}})
    ddb.update_item(TableName="orders", Key={"pk": {"S": "c1"}, "sk": {"N": "1"}}, UpdateExpression="SET tag = :t",
                    ExpressionAttributeValues={":t": {"S": "third"}})
    ddb.transact_write_items(TransactItems=[{"Put": {"TableName": "orders", "Item": {"pk": {"S": "new"}, "sk": {"N": "0"}}}}])
    mark()
    fill(ddb, "orders", 5, tag="fourth")
    for n, (moment, state) in enumerate(zip(moments, states)):
        ddb.restore_table_to_point_in_time(SourceTableName="orders", TargetTableName=f"orders-at-{n}", RestoreDateTime=moment)
    # Writes while the restores copy the table chunk by chunk are no part of them.
    fill(ddb, "orders", 50, tag="during")
    for i in range(1, 50, 5):
        ddb.delete_item(TableName="orders", Key={"pk": {"S": f"c{i % 7}"}, "sk": {"N": str(i)}})
    for n, state in enumerate(states):
        restored = wait_restored(ddb, f"orders-at-{n}")
        assert restored["RestoreSummary"]["SourceTableArn"].endswith(":table/orders")
        assert items_of(ddb, f"orders-at-{n}") == state, n
    assert states[0] != states[1] != states[2]
    # The latest restorable time is now: a restore with it sees every acknowledged write.
    ddb.restore_table_to_point_in_time(SourceTableName="orders", TargetTableName="orders-latest", UseLatestRestorableTime=True)
    wait_restored(ddb, "orders-latest")
    assert items_of(ddb, "orders-latest") == items_of(ddb, "orders")
    # Indexes of the restored table answer for that moment.
    closed = ddb.query(TableName="orders-at-1", IndexName="by-status", KeyConditionExpression="#s = :c",
                       ExpressionAttributeNames={"#s": "status"}, ExpressionAttributeValues={":c": {"S": "closed"}})
    assert len(closed["Items"]) == len([i for i in states[1].values() if i["status"]["S"] == "closed"])


def test_point_in_time_restore_errors(cloud):
    ddb = cloud.client("dynamodb")
    orders_table(ddb)
    with aws_error("PointInTimeRecoveryUnavailableException", "Point in time recovery is not enabled for table 'orders'"):
        ddb.restore_table_to_point_in_time(SourceTableName="orders", TargetTableName="copy", UseLatestRestorableTime=True)
    ddb.update_continuous_backups(TableName="orders", PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    long_ago = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=1)
    with aws_error("InvalidRestoreTimeException", "Invalid restore time specified. RestoreDateTime must be between "
                   "EarliestRestorableDateTime and LatestRestorableDateTime."):
        ddb.restore_table_to_point_in_time(SourceTableName="orders", TargetTableName="copy", RestoreDateTime=long_ago)
    with aws_error("InvalidRestoreTimeException"):
        ddb.restore_table_to_point_in_time(SourceTableName="orders", TargetTableName="copy",
                                           RestoreDateTime=datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1))
    with aws_error("TableNotFoundException", "Table not found: nothing"):
        ddb.restore_table_to_point_in_time(SourceTableName="nothing", TargetTableName="copy", UseLatestRestorableTime=True)
    with aws_error("TableAlreadyExistsException", "Table already exists: orders"):
        ddb.restore_table_to_point_in_time(SourceTableName="orders", TargetTableName="orders", UseLatestRestorableTime=True)
    with aws_error("ValidationException", "Invalid Request: Either one of RestoreDateTime or UseLatestRestorableTime must be "
                   "specified, but not both"):
        ddb.restore_table_to_point_in_time(SourceTableName="orders", TargetTableName="copy", UseLatestRestorableTime=True,
                                           RestoreDateTime=datetime.datetime.now(datetime.timezone.utc))


def test_a_deleted_table_with_pitr_restores_from_its_system_backup(cloud):
    ddb = cloud.client("dynamodb")
    orders_table(ddb)
    arn = ddb.describe_table(TableName="orders")["Table"]["TableArn"]
    ddb.update_continuous_backups(TableName="orders", PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    fill(ddb, "orders", 30)
    time.sleep(0.05)
    moment = datetime.datetime.now(datetime.timezone.utc)
    before = items_of(ddb, "orders")
    time.sleep(0.05)
    fill(ddb, "orders", 40, tag="later")
    at_deletion = items_of(ddb, "orders")
    ddb.delete_table(TableName="orders")
    system = ddb.list_backups(BackupType="SYSTEM")["BackupSummaries"]
    assert len(system) == 1 and system[0]["TableArn"] == arn and "BackupExpiryDateTime" in system[0]
    assert ddb.list_backups()["BackupSummaries"] == []  # USER is the default
    with aws_error("ValidationException", contains="Invalid Request: User is not allowed to delete the system backup with arn "):
        ddb.delete_backup(BackupArn=system[0]["BackupArn"])
    ddb.restore_table_to_point_in_time(SourceTableArn=arn, TargetTableName="orders-then", RestoreDateTime=moment)
    ddb.restore_table_from_backup(TargetTableName="orders-last", BackupArn=system[0]["BackupArn"])
    wait_restored(ddb, "orders-then")
    assert items_of(ddb, "orders-then") == before
    wait_restored(ddb, "orders-last")
    assert items_of(ddb, "orders-last") == at_deletion


def test_history_outside_the_window_is_trimmed(cloud):
    ddb = cloud.client("dynamodb")
    orders_table(ddb)
    ddb.update_continuous_backups(TableName="orders", PointInTimeRecoverySpecification={
        "PointInTimeRecoveryEnabled": True, "RecoveryPeriodInDays": 1})
    fill(ddb, "orders", 10)
    state = dynamodb_state(cloud)
    tid = state.tables.get(("000000000000", "us-east-1"), "orders").tid
    count = lambda: state.store.execute("SELECT count(*) FROM ddb_changes WHERE tid=?", (tid,)).fetchone()[0]  # noqa: E731
    assert count() == 10
    handler = cloud.run(cloud.cloud.services.ready("dynamodb")).operations["UpdateContinuousBackups"]
    recovery = getattr(handler, "__wrapped__", handler).__self__
    recovery.trim(time.time() + 2 * 24 * 3600)  # two days later: outside a one-day window
    assert count() == 0
    ddb.update_continuous_backups(TableName="orders", PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": False})
    fill(ddb, "orders", 5)
    assert count() == 0  # nothing is recorded while PITR is off


@pytest.mark.parametrize("kind", ["backup", "pitr"])
def test_cli_restores(cloud, kind):
    from test_cli import aws

    ddb = cloud.client("dynamodb")
    orders_table(ddb)
    fill(ddb, "orders", 12)
    before = items_of(ddb, "orders")
    if kind == "backup":
        arn = aws(cloud, "dynamodb", "create-backup", "--table-name", "orders", "--backup-name", "cli")["BackupDetails"]["BackupArn"]
        listed = aws(cloud, "dynamodb", "list-backups", "--table-name", "orders")["BackupSummaries"]
        assert [b["BackupArn"] for b in listed] == [arn]
        aws(cloud, "dynamodb", "restore-table-from-backup", "--target-table-name", "from-cli", "--backup-arn", arn)
    else:
        aws(cloud, "dynamodb", "update-continuous-backups", "--table-name", "orders",
            "--point-in-time-recovery-specification", "PointInTimeRecoveryEnabled=true")
        aws(cloud, "dynamodb", "restore-table-to-point-in-time", "--source-table-name", "orders",
            "--target-table-name", "from-cli", "--use-latest-restorable-time")
    wait_restored(ddb, "from-cli")
    assert items_of(ddb, "from-cli") == before
