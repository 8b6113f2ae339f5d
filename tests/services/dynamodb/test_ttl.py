"""TTL: the background sweeper deletes expired items and writes service-identity REMOVE records."""

import time

from engine_helpers import create_table
from test_streams import read_all


def test_expired_items_disappear_with_stream_records(cloud):
    ddb = cloud.client("dynamodb")
    create_table(ddb, StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
    ddb.update_time_to_live(TableName="tbl", TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"})
    now = int(time.time())
    ddb.put_item(TableName="tbl", Item={"pk": {"S": "old"}, "expires": {"N": str(now - 10)}})
    ddb.put_item(TableName="tbl", Item={"pk": {"S": "future"}, "expires": {"N": str(now + 3600)}})
    ddb.put_item(TableName="tbl", Item={"pk": {"S": "text"}, "expires": {"S": str(now - 10)}})  # not a number: ignored
    ddb.put_item(TableName="tbl", Item={"pk": {"S": "forever"}})
    ddb.put_item(TableName="tbl", Item={"pk": {"S": "later"}})
    # An update that sets the TTL attribute counts too.
    ddb.update_item(TableName="tbl", Key={"pk": {"S": "later"}}, UpdateExpression="SET expires = :e",
                    ExpressionAttributeValues={":e": {"N": str(now - 1)}})
    deadline = time.time() + 20
    while time.time() < deadline:
        keys = {i["pk"]["S"] for i in ddb.scan(TableName="tbl")["Items"]}
        if keys == {"future", "text", "forever"}:
            break
        time.sleep(0.1)
    assert keys == {"future", "text", "forever"}
    arn = ddb.describe_table(TableName="tbl")["Table"]["LatestStreamArn"]
    removes = [r for r in read_all(cloud.client("dynamodbstreams"), arn) if r["eventName"] == "REMOVE"]
    assert sorted(r["dynamodb"]["Keys"]["pk"]["S"] for r in removes) == ["later", "old"]
    for record in removes:
        assert record["userIdentity"] == {"Type": "Service", "PrincipalId": "dynamodb.amazonaws.com"}
        assert "OldImage" in record["dynamodb"]


def test_user_deletes_have_no_service_identity(cloud):
    ddb = cloud.client("dynamodb")
    create_table(ddb, StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
    ddb.put_item(TableName="tbl", Item={"pk": {"S": "a"}})
    ddb.delete_item(TableName="tbl", Key={"pk": {"S": "a"}})
    arn = ddb.describe_table(TableName="tbl")["Table"]["LatestStreamArn"]
    remove = read_all(cloud.client("dynamodbstreams"), arn)[-1]
    assert remove["eventName"] == "REMOVE" and "userIdentity" not in remove


def test_sweep_interval_is_configurable(monkeypatch):
    from regionbox.config import Config

    monkeypatch.setenv("REGIONBOX_DYNAMODB_TTL_INTERVAL", "0.25")
    assert Config().dynamodb_ttl_interval == 0.25
    monkeypatch.delenv("REGIONBOX_DYNAMODB_TTL_INTERVAL")
    assert Config().dynamodb_ttl_interval == 2.0
