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
