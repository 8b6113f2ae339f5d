"""Many clients at once: counters and optimistic-locking updates lose nothing."""

import threading

import botocore.exceptions
from engine_helpers import create_table

THREADS = 8


def run_threads(target):
    errors = []

    def guarded(n):
        try:
            target(n)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=guarded, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors, errors[:3]


def test_atomic_counters(cloud):
    create_table(cloud.client("dynamodb"))
    per_thread = 30

    def bump(n):
        ddb = cloud.client("dynamodb")
        for _ in range(per_thread):
            ddb.update_item(TableName="tbl", Key={"pk": {"S": "c"}}, UpdateExpression="ADD hits :one SET #l = :n",
                            ExpressionAttributeNames={"#l": "last"},
                            ExpressionAttributeValues={":one": {"N": "1"}, ":n": {"N": str(n)}})

    run_threads(bump)
    item = cloud.client("dynamodb").get_item(TableName="tbl", Key={"pk": {"S": "c"}}, ConsistentRead=True)["Item"]
    assert item["hits"] == {"N": str(THREADS * per_thread)}


def test_optimistic_locking_loses_no_update(cloud):
    ddb = cloud.client("dynamodb")
    create_table(ddb)
    ddb.put_item(TableName="tbl", Item={"pk": {"S": "doc"}, "version": {"N": "0"}, "log": {"L": []}})
    per_thread = 8

    def append(n):
        client = cloud.client("dynamodb")
        done = 0
        while done < per_thread:
            item = client.get_item(TableName="tbl", Key={"pk": {"S": "doc"}}, ConsistentRead=True)["Item"]
            version = int(item["version"]["N"])
            try:
                client.update_item(
                    TableName="tbl", Key={"pk": {"S": "doc"}},
                    UpdateExpression="SET version = :next, #log = list_append(#log, :entry)",
                    ConditionExpression="version = :seen",
                    ExpressionAttributeNames={"#log": "log"},
                    ExpressionAttributeValues={":next": {"N": str(version + 1)}, ":seen": {"N": str(version)},
                                               ":entry": {"L": [{"S": f"{n}-{done}"}]}})
                done += 1
            except botocore.exceptions.ClientError as error:
                assert error.response["Error"]["Code"] == "ConditionalCheckFailedException"

    run_threads(append)
    item = ddb.get_item(TableName="tbl", Key={"pk": {"S": "doc"}}, ConsistentRead=True)["Item"]
    entries = [e["S"] for e in item["log"]["L"]]
    assert int(item["version"]["N"]) == THREADS * per_thread == len(entries) == len(set(entries))


def test_concurrent_transactions_keep_the_total(cloud):
    ddb = cloud.client("dynamodb")
    create_table(ddb)
    accounts = 4
    for a in range(accounts):
        ddb.put_item(TableName="tbl", Item={"pk": {"S": f"a{a}"}, "balance": {"N": "100"}})

    def shuffle(n):
        client = cloud.client("dynamodb")
        for i in range(25):
            src, dst = f"a{(n + i) % accounts}", f"a{(n + i + 1) % accounts}"
            try:
                client.transact_write_items(TransactItems=[
                    {"Update": {"TableName": "tbl", "Key": {"pk": {"S": src}}, "UpdateExpression": "SET balance = balance - :x",
                                "ConditionExpression": "balance >= :x", "ExpressionAttributeValues": {":x": {"N": "7"}}}},
                    {"Update": {"TableName": "tbl", "Key": {"pk": {"S": dst}}, "UpdateExpression": "SET balance = balance + :x",
                                "ExpressionAttributeValues": {":x": {"N": "7"}}}},
                ])
            except botocore.exceptions.ClientError as error:
                assert error.response["Error"]["Code"] == "TransactionCanceledException"

    run_threads(shuffle)
    balances = [int(i["balance"]["N"]) for i in ddb.scan(TableName="tbl", ConsistentRead=True)["Items"]]
    assert sum(balances) == 100 * accounts and min(balances) >= 0
