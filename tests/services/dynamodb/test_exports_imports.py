"""Exports to S3 and imports from S3 through boto3: the files AWS documents, read back and
compared item by item, and tables made from them."""

import base64
import datetime
import gzip
import io
import json
import re
import time

from botocore.config import Config
from engine_helpers import aws_error, create_table

from regionbox.services.dynamodb.formats import item_from_ion_line

RAW = Config(parameter_validation=False, retries={"max_attempts": 1})


def now():
    return datetime.datetime.now(datetime.timezone.utc)


def settle(fetch, status_key):
    for _ in range(400):
        value = fetch()
        if value[status_key] != "IN_PROGRESS":
            return value
        time.sleep(0.05)
    raise AssertionError("still IN_PROGRESS")


def items_of(ddb, name):
    found, start = {}, None
    while True:
        page = ddb.scan(TableName=name, **({"ExclusiveStartKey": start} if start else {}))
        found.update({i["pk"]["S"]: i for i in page["Items"]})
        start = page.get("LastEvaluatedKey")
        if not start:
            return found


def decoded(value):
    """An AttributeValue of DynamoDB JSON (base64 binaries) as boto3 gives it (bytes)."""
    ((kind, data),) = value.items()
    if kind == "B":
        return {"B": base64.b64decode(data)}
    if kind == "BS":
        return {"BS": [base64.b64decode(b) for b in data]}
    if kind == "M":
        return {"M": {k: decoded(v) for k, v in data.items()}}
    if kind == "L":
        return {"L": [decoded(v) for v in data]}
    return value


def pitr_table(ddb, name="orders", count=30):
    create_table(ddb, name, more_attributes=[("status", "S")], GlobalSecondaryIndexes=[
        {"IndexName": "by-status", "KeySchema": [{"AttributeName": "status", "KeyType": "HASH"}], "Projection": {"ProjectionType": "ALL"}}])
    ddb.update_continuous_backups(TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    for i in range(count):
        ddb.put_item(TableName=name, Item={"pk": {"S": f"k{i:03d}"}, "status": {"S": "open" if i % 2 else "closed"},
                                           "n": {"N": str(i * 1.5)}, "b": {"B": bytes([i, 0, 255])}, "ss": {"SS": ["", f"s{i}"]},
                                           "doc": {"M": {"l": {"L": [{"NULL": True}, {"BOOL": True}, {"NS": ["-1", str(i)]}]}}}})
    return ddb.describe_table(TableName=name)["Table"]["TableArn"]


def exported_records(s3, bucket, description):
    summary = json.loads(s3.get_object(Bucket=bucket, Key=description["ExportManifest"])["Body"].read())
    files = [json.loads(line) for line in s3.get_object(Bucket=bucket, Key=summary["manifestFilesS3Key"])["Body"].read().splitlines()]
    lines = []
    for entry in files:
        body = s3.get_object(Bucket=bucket, Key=entry["dataFileS3Key"])["Body"].read()
        assert base64.b64encode(__import__("hashlib").md5(body).digest()).decode() == entry["md5Checksum"]
        data = gzip.decompress(body).decode().splitlines()
        assert len(data) == entry["itemCount"]
        lines += data
    return summary, files, lines


def test_full_export_writes_the_table_at_export_time(cloud):
    ddb, s3 = cloud.client("dynamodb"), cloud.client("s3")
    s3.create_bucket(Bucket="exports")
    arn = pitr_table(ddb)
    time.sleep(0.05)
    moment = now()
    expected = items_of(ddb, "orders")
    time.sleep(0.05)
    ddb.put_item(TableName="orders", Item={"pk": {"S": "late"}})  # after ExportTime: not exported
    ddb.delete_item(TableName="orders", Key={"pk": {"S": "k000"}})
    started = ddb.export_table_to_point_in_time(TableArn=arn, S3Bucket="exports", S3Prefix="nightly/", ExportTime=moment)
    description = started["ExportDescription"]
    assert description["ExportStatus"] == "IN_PROGRESS" and description["ExportFormat"] == "DYNAMODB_JSON"
    assert description["ExportArn"].startswith(arn + "/export/")
    done = settle(lambda: ddb.describe_export(ExportArn=description["ExportArn"])["ExportDescription"], "ExportStatus")
    assert done["ExportStatus"] == "COMPLETED" and done["ItemCount"] == 30
    export_id = description["ExportArn"].rsplit("/", 1)[1]
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket="exports")["Contents"])
    base = f"nightly/AWSDynamoDB/{export_id}"
    assert done["ExportManifest"] == f"{base}/manifest-summary.json"
    assert {f"{base}/_started", f"{base}/manifest-files.json", f"{base}/manifest-files.md5", f"{base}/manifest-summary.json",
            f"{base}/manifest-summary.md5"} <= set(keys)
    assert all(k.startswith(f"{base}/data/") and k.endswith(".json.gz") for k in keys if "/data/" in k)
    summary, files, lines = exported_records(s3, "exports", done)
    assert summary["itemCount"] == 30 and summary["exportArn"] == description["ExportArn"] and summary["outputFormat"] == "DYNAMODB_JSON"
    exported = {}
    for line in lines:
        item = {k: decoded(v) for k, v in json.loads(line)["Item"].items()}
        exported[item["pk"]["S"]] = item
    assert exported == expected


def test_ion_export_and_filtered_export(cloud):
    ddb, s3 = cloud.client("dynamodb"), cloud.client("s3")
    s3.create_bucket(Bucket="exports")
    arn = pitr_table(ddb, count=12)
    expected = items_of(ddb, "orders")
    started = ddb.export_table_to_point_in_time(TableArn=arn, S3Bucket="exports", ExportFormat="ION")["ExportDescription"]
    done = settle(lambda: ddb.describe_export(ExportArn=started["ExportArn"])["ExportDescription"], "ExportStatus")
    _, files, lines = exported_records(s3, "exports", done)
    assert files[0]["dataFileS3Key"].endswith(".ion.gz") and all(line.startswith("$ion_1_0 {Item:{") for line in lines)
    assert {i["pk"]["S"]: i for i in map(item_from_ion_line, lines)} == expected
    filtered = ddb.export_table_to_point_in_time(TableArn=arn, S3Bucket="exports", S3Prefix="open", FilterSpecification={
        "FilterExpression": "#s = :o", "ProjectionExpression": "pk, #s", "ExpressionAttributeNames": {"#s": "status"},
        "ExpressionAttributeValues": {":o": {"S": "open"}}})["ExportDescription"]
    done = settle(lambda: ddb.describe_export(ExportArn=filtered["ExportArn"])["ExportDescription"], "ExportStatus")
    _, _, lines = exported_records(s3, "exports", done)
    assert sorted(json.loads(line)["Item"]["pk"]["S"] for line in lines) == sorted(k for k, v in expected.items() if v["status"]["S"] == "open")
    assert all(set(json.loads(line)["Item"]) == {"pk", "status"} for line in lines)


def test_incremental_export_lists_the_changes_of_its_window(cloud):
    ddb, s3 = cloud.client("dynamodb"), cloud.client("s3")
    s3.create_bucket(Bucket="exports")
    arn = pitr_table(ddb, count=5)
    time.sleep(0.05)
    start = now()
    time.sleep(0.05)
    ddb.put_item(TableName="orders", Item={"pk": {"S": "new"}, "v": {"N": "1"}})
    ddb.update_item(TableName="orders", Key={"pk": {"S": "k001"}}, UpdateExpression="SET v = :v", ExpressionAttributeValues={":v": {"N": "2"}})
    ddb.delete_item(TableName="orders", Key={"pk": {"S": "k002"}})
    ddb.update_item(TableName="orders", Key={"pk": {"S": "new"}}, UpdateExpression="SET v = :v", ExpressionAttributeValues={":v": {"N": "3"}})
    time.sleep(0.05)
    end = now()
    time.sleep(0.05)
    ddb.put_item(TableName="orders", Item={"pk": {"S": "after"}})
    started = ddb.export_table_to_point_in_time(TableArn=arn, S3Bucket="exports", ExportType="INCREMENTAL_EXPORT",
                                                IncrementalExportSpecification={"ExportFromTime": start, "ExportToTime": end})
    done = settle(lambda: ddb.describe_export(ExportArn=started["ExportDescription"]["ExportArn"])["ExportDescription"], "ExportStatus")
    assert done["ExportType"] == "INCREMENTAL_EXPORT" and done["ItemCount"] == 3
    records = {json.loads(line)["Keys"]["pk"]["S"]: json.loads(line) for line in exported_records(s3, "exports", done)[2]}
    assert set(records) == {"new", "k001", "k002"}
    assert records["new"]["NewImage"] == {"pk": {"S": "new"}, "v": {"N": "3"}} and "OldImage" not in records["new"]
    assert records["k001"]["NewImage"]["v"] == {"N": "2"} and "v" not in records["k001"]["OldImage"]
    assert "NewImage" not in records["k002"] and records["k002"]["OldImage"]["pk"] == {"S": "k002"}
    assert all(int(r["Metadata"]["WriteTimestampMicros"]["N"]) > start.timestamp() * 1e6 for r in records.values())


def test_export_errors_and_listing(cloud):
    ddb, s3 = cloud.client("dynamodb"), cloud.client("s3")
    create_table(ddb, "plain")
    plain = ddb.describe_table(TableName="plain")["Table"]["TableArn"]
    with aws_error("PointInTimeRecoveryUnavailableException", "Point in time recovery is not enabled for table 'plain'"):
        ddb.export_table_to_point_in_time(TableArn=plain, S3Bucket="exports")
    with aws_error("TableNotFoundException", "Table not found: nothing"):
        ddb.export_table_to_point_in_time(TableArn=plain.replace("plain", "nothing"), S3Bucket="exports")
    arn = pitr_table(ddb, count=2)
    with aws_error("InvalidExportTimeException"):
        ddb.export_table_to_point_in_time(TableArn=arn, S3Bucket="exports", ExportTime=now() - datetime.timedelta(days=1))
    with aws_error("ValidationException", "Invalid Request: ExportFromTime must be provided in IncrementalExportSpecification"):
        ddb.export_table_to_point_in_time(TableArn=arn, S3Bucket="exports", ExportType="INCREMENTAL_EXPORT",
                                          IncrementalExportSpecification={"ExportViewType": "NEW_IMAGE"})
    # A missing bucket fails the export, with S3's reason.
    missing = ddb.export_table_to_point_in_time(TableArn=arn, S3Bucket="no-such-bucket")["ExportDescription"]
    failed = settle(lambda: ddb.describe_export(ExportArn=missing["ExportArn"])["ExportDescription"], "ExportStatus")
    assert failed["ExportStatus"] == "FAILED" and failed["FailureCode"] == "S3NoSuchBucket"
    s3.create_bucket(Bucket="exports")
    first = ddb.export_table_to_point_in_time(TableArn=arn, S3Bucket="exports", ClientToken="once")["ExportDescription"]
    assert re.fullmatch(rf"{arn}/export/\d{{14}}-[0-9a-f]{{8}}", first["ExportArn"])  # AWS's: a 14-digit ms stamp
    again = ddb.export_table_to_point_in_time(TableArn=arn, S3Bucket="exports", ClientToken="once")["ExportDescription"]
    assert again["ExportArn"] == first["ExportArn"]
    with aws_error("ExportConflictException"):
        ddb.export_table_to_point_in_time(TableArn=arn, S3Bucket="exports", ClientToken="once", S3Prefix="other")
    for _ in range(2):
        ddb.export_table_to_point_in_time(TableArn=arn, S3Bucket="exports")
    pages, token = [], None
    while True:
        page = ddb.list_exports(TableArn=arn, MaxResults=2, **({"NextToken": token} if token else {}))
        pages.append(len(page["ExportSummaries"]))
        token = page.get("NextToken")
        if not token:
            break
    assert pages == [2, 2]
    assert {s["ExportType"] for s in ddb.list_exports()["ExportSummaries"]} == {"FULL_EXPORT"}
    with aws_error("ExportNotFoundException"):
        ddb.describe_export(ExportArn=first["ExportArn"][:-8] + "00000000")


# -- imports -------------------------------------------------------------------------------------

KEYS = {"AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "status", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}], "BillingMode": "PAY_PER_REQUEST",
        "GlobalSecondaryIndexes": [{"IndexName": "by-status", "KeySchema": [{"AttributeName": "status", "KeyType": "HASH"}],
                                    "Projection": {"ProjectionType": "ALL"}}]}


def imported(ddb, name, **params):
    job = ddb.import_table(TableCreationParameters={"TableName": name, **KEYS}, **params)["ImportTableDescription"]
    assert job["ImportStatus"] == "IN_PROGRESS"
    done = settle(lambda: ddb.describe_import(ImportArn=job["ImportArn"])["ImportTableDescription"], "ImportStatus")
    return done


def test_import_dynamodb_json_gzip_with_errors_logged(cloud):
    ddb, s3, logs = cloud.client("dynamodb"), cloud.client("s3"), cloud.client("logs")
    s3.create_bucket(Bucket="source")
    rows = [json.dumps({"Item": {"pk": {"S": f"k{i}"}, "status": {"S": "open"}, "b": {"B": base64.b64encode(b"\x00x").decode()}}})
            for i in range(40)]
    rows += ["not json", json.dumps({"Item": {"status": {"S": "no key"}}})]
    s3.put_object(Bucket="source", Key="in/part-1.json.gz", Body=gzip.compress("\n".join(rows[:20]).encode()))
    s3.put_object(Bucket="source", Key="in/part-2.json.gz", Body=gzip.compress("\n".join(rows[20:]).encode()))
    done = imported(ddb, "from-json", S3BucketSource={"S3Bucket": "source", "S3KeyPrefix": "in/"}, InputFormat="DYNAMODB_JSON",
                    InputCompressionType="GZIP")
    assert done["ImportStatus"] == "COMPLETED"
    assert (done["ProcessedItemCount"], done["ImportedItemCount"], done["ErrorCount"]) == (42, 40, 2)
    assert done["CloudWatchLogGroupArn"] == "arn:aws:logs:us-east-1:000000000000:log-group:/aws-dynamodb/imports:*"
    table = ddb.describe_table(TableName="from-json")["Table"]
    assert table["TableStatus"] == "ACTIVE" and table["ItemCount"] == 40
    assert items_of(ddb, "from-json")["k7"] == {"pk": {"S": "k7"}, "status": {"S": "open"}, "b": {"B": b"\x00x"}}
    assert ddb.query(TableName="from-json", IndexName="by-status", KeyConditionExpression="#s = :o",
                     ExpressionAttributeNames={"#s": "status"}, ExpressionAttributeValues={":o": {"S": "open"}})["Count"] == 40
    events = logs.filter_log_events(logGroupName="/aws-dynamodb/imports")["events"]
    assert len(events) == 2


def test_import_csv_and_ion(cloud):
    ddb, s3 = cloud.client("dynamodb"), cloud.client("s3")
    s3.create_bucket(Bucket="source")
    s3.put_object(Bucket="source", Key="csv/one.csv", Body=b'\xef\xbb\xbfpk;status;note\na;open;x\nb;closed;\nc;open;"two\nlines; ""quoted"""\n')
    done = imported(ddb, "from-csv", S3BucketSource={"S3Bucket": "source", "S3KeyPrefix": "csv/"}, InputFormat="CSV",
                    InputFormatOptions={"Csv": {"Delimiter": ";"}})
    assert done["ImportedItemCount"] == 3
    assert items_of(ddb, "from-csv") == {"a": {"pk": {"S": "a"}, "status": {"S": "open"}, "note": {"S": "x"}},
                                         "b": {"pk": {"S": "b"}, "status": {"S": "closed"}},
                                         "c": {"pk": {"S": "c"}, "status": {"S": "open"}, "note": {"S": 'two\nlines; "quoted"'}}}
    s3.put_object(Bucket="source", Key="csv2/two.csv", Body=b"c,open\n")
    headed = imported(ddb, "from-csv-2", S3BucketSource={"S3Bucket": "source", "S3KeyPrefix": "csv2/"}, InputFormat="CSV",
                      InputFormatOptions={"Csv": {"HeaderList": ["pk", "status"]}})
    assert headed["ImportedItemCount"] == 1 and items_of(ddb, "from-csv-2")["c"]["status"] == {"S": "open"}
    ion = '$ion_1_0 {Item:{pk:"i1",status:"open",n:12.5,tags:$dynamodb_SS::["a","b"],blob:{{AAE=}}}}\n'
    s3.put_object(Bucket="source", Key="ion/data.ion", Body=ion.encode())
    done = imported(ddb, "from-ion", S3BucketSource={"S3Bucket": "source", "S3KeyPrefix": "ion/"}, InputFormat="ION")
    assert items_of(ddb, "from-ion")["i1"] == {"pk": {"S": "i1"}, "status": {"S": "open"}, "n": {"N": "12.5"},
                                               "tags": {"SS": ["a", "b"]}, "blob": {"B": b"\x00\x01"}}


def test_export_then_import_round_trip(cloud):
    ddb, s3 = cloud.client("dynamodb"), cloud.client("s3")
    s3.create_bucket(Bucket="exports")
    arn = pitr_table(ddb, count=25)
    expected = items_of(ddb, "orders")
    started = ddb.export_table_to_point_in_time(TableArn=arn, S3Bucket="exports", S3Prefix="snap")["ExportDescription"]
    settle(lambda: ddb.describe_export(ExportArn=started["ExportArn"])["ExportDescription"], "ExportStatus")
    export_id = started["ExportArn"].rsplit("/", 1)[1]
    done = imported(ddb, "copy", S3BucketSource={"S3Bucket": "exports", "S3KeyPrefix": f"snap/AWSDynamoDB/{export_id}/data/"},
                    InputFormat="DYNAMODB_JSON", InputCompressionType="GZIP")
    assert done["ImportedItemCount"] == 25 and done["ErrorCount"] == 0
    assert items_of(ddb, "copy") == expected


def test_import_errors_and_listing(cloud):
    ddb, s3 = cloud.client("dynamodb"), cloud.client("s3")
    create_table(ddb, "taken")
    with aws_error("ResourceInUseException", "Table already exists: taken"):
        ddb.import_table(S3BucketSource={"S3Bucket": "source"}, InputFormat="CSV",
                         TableCreationParameters={"TableName": "taken", **KEYS})
    with aws_error("ValidationException", "Invalid Request: Unsupported InputFormatOptions for the given input format: DYNAMODB_JSON."):
        ddb.import_table(S3BucketSource={"S3Bucket": "source"}, InputFormat="DYNAMODB_JSON",
                         InputFormatOptions={"Csv": {"Delimiter": ","}}, TableCreationParameters={"TableName": "new", **KEYS})
    with aws_error("ValidationException", "One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits "
                   "must both be specified when BillingMode is PROVISIONED"):
        ddb.import_table(S3BucketSource={"S3Bucket": "source"}, InputFormat="CSV", TableCreationParameters={
            "TableName": "new", "KeySchema": KEYS["KeySchema"], "AttributeDefinitions": KEYS["AttributeDefinitions"][:1]})
    failed = imported(ddb, "nowhere", S3BucketSource={"S3Bucket": "no-such-bucket"}, InputFormat="CSV")
    assert failed["ImportStatus"] == "FAILED" and failed["FailureCode"] == "S3NoSuchBucket"
    with aws_error("ResourceNotFoundException"):
        ddb.describe_table(TableName="nowhere")  # a failed import leaves no table
    s3.create_bucket(Bucket="source")
    s3.put_object(Bucket="source", Key="a.csv", Body=b"pk,status\nx,open\n")
    for n in range(3):
        imported(ddb, f"list{n}", S3BucketSource={"S3Bucket": "source"}, InputFormat="CSV")
    seen, token = [], None
    while True:
        page = ddb.list_imports(PageSize=2, **({"NextToken": token} if token else {}))
        seen += [s["TableArn"].rsplit("/", 1)[1] for s in page["ImportSummaryList"]]
        token = page.get("NextToken")
        if not token:
            break
        assert len(token) >= 112 and len(token) % 16 == 0
    assert seen == ["nowhere", "list0", "list1", "list2"]
    with aws_error("ImportNotFoundException"):
        ddb.describe_import(ImportArn="arn:aws:dynamodb:us-east-1:000000000000:table/x/import/01234567890123456-00000000")


def test_cli_export_and_import(cloud):
    from test_cli import aws

    ddb, s3 = cloud.client("dynamodb"), cloud.client("s3")
    s3.create_bucket(Bucket="exports")
    arn = pitr_table(ddb, count=3)
    started = aws(cloud, "dynamodb", "export-table-to-point-in-time", "--table-arn", arn, "--s3-bucket", "exports")
    settle(lambda: aws(cloud, "dynamodb", "describe-export", "--export-arn", started["ExportDescription"]["ExportArn"])
           ["ExportDescription"], "ExportStatus")
    s3.put_object(Bucket="exports", Key="csv/in.csv", Body=io.BytesIO(b"pk,status\nz,open\n"))
    job = aws(cloud, "dynamodb", "import-table", "--s3-bucket-source", "S3Bucket=exports,S3KeyPrefix=csv/", "--input-format", "CSV",
              "--table-creation-parameters", json.dumps({"TableName": "cli-import", **KEYS}))
    assert job["ImportTableDescription"]["ImportStatus"] == "IN_PROGRESS"
