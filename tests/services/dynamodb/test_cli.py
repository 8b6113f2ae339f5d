"""A few DynamoDB calls through the AWS CLI (awscli v1), as a user would type them."""

import json
import os
import subprocess
import sys


def aws(cloud, *args):
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": "us-east-1"}
    result = subprocess.run([sys.executable, "-m", "awscli", "--endpoint-url", cloud.endpoint, "--output", "json", *args],
                            capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout) if result.stdout.strip() else None


def test_cli_table_and_items(cloud):
    created = aws(cloud, "dynamodb", "create-table", "--table-name", "cli", "--billing-mode", "PAY_PER_REQUEST",
                  "--attribute-definitions", "AttributeName=id,AttributeType=S", "--key-schema", "AttributeName=id,KeyType=HASH")
    assert created["TableDescription"]["TableName"] == "cli"
    aws(cloud, "dynamodb", "put-item", "--table-name", "cli", "--item", '{"id": {"S": "1"}, "n": {"N": "5"}}')
    got = aws(cloud, "dynamodb", "get-item", "--table-name", "cli", "--key", '{"id": {"S": "1"}}')
    assert got["Item"] == {"id": {"S": "1"}, "n": {"N": "5"}}
    scanned = aws(cloud, "dynamodb", "scan", "--table-name", "cli")
    assert scanned["Count"] == 1


def test_cli_query_update_and_stream(cloud):
    aws(cloud, "dynamodb", "create-table", "--table-name", "orders", "--billing-mode", "PAY_PER_REQUEST",
        "--attribute-definitions", "AttributeName=customer,AttributeType=S", "AttributeName=n,AttributeType=N",
        "--key-schema", "AttributeName=customer,KeyType=HASH", "AttributeName=n,KeyType=RANGE",
        "--stream-specification", "StreamEnabled=true,StreamViewType=NEW_AND_OLD_IMAGES")
    for n in range(3):
        aws(cloud, "dynamodb", "put-item", "--table-name", "orders",
            "--item", json.dumps({"customer": {"S": "c1"}, "n": {"N": str(n)}, "total": {"N": "10"}}))
    updated = aws(cloud, "dynamodb", "update-item", "--table-name", "orders", "--key", '{"customer": {"S": "c1"}, "n": {"N": "1"}}',
                  "--update-expression", "SET #t = #t + :d", "--condition-expression", "attribute_exists(customer)",
                  "--expression-attribute-names", '{"#t": "total"}', "--expression-attribute-values", '{":d": {"N": "5"}}',
                  "--return-values", "UPDATED_NEW")
    assert updated["Attributes"] == {"total": {"N": "15"}}
    queried = aws(cloud, "dynamodb", "query", "--table-name", "orders", "--key-condition-expression", "customer = :c AND n >= :n",
                  "--expression-attribute-values", '{":c": {"S": "c1"}, ":n": {"N": "1"}}', "--no-scan-index-forward")
    assert [i["n"]["N"] for i in queried["Items"]] == ["2", "1"]
    arn = aws(cloud, "dynamodb", "describe-table", "--table-name", "orders")["Table"]["LatestStreamArn"]
    assert aws(cloud, "dynamodbstreams", "list-streams", "--table-name", "orders")["Streams"][0]["StreamArn"] == arn
    shard = aws(cloud, "dynamodbstreams", "describe-stream", "--stream-arn", arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = aws(cloud, "dynamodbstreams", "get-shard-iterator", "--stream-arn", arn, "--shard-id", shard,
                   "--shard-iterator-type", "TRIM_HORIZON")["ShardIterator"]
    records = aws(cloud, "dynamodbstreams", "get-records", "--shard-iterator", iterator)["Records"]
    assert [r["eventName"] for r in records] == ["INSERT", "INSERT", "INSERT", "MODIFY"]
