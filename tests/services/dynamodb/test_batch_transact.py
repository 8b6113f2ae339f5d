"""BatchGetItem, BatchWriteItem, TransactGetItems, TransactWriteItems."""

import pytest
from engine_helpers import aws_error, create_table


@pytest.fixture
def ddb(cloud):
    client = cloud.client("dynamodb")
    create_table(client, "tba")
    create_table(client, "tbb")
    return client


def k(value):
    return {"pk": {"S": value}}


def test_batch_write_and_get(ddb):
    ddb.batch_write_item(RequestItems={
        "tba": [{"PutRequest": {"Item": {**k(f"x{i}"), "n": {"N": str(i)}}}} for i in range(20)],
        "tbb": [{"PutRequest": {"Item": k("y")}}],
    })
    ddb.batch_write_item(RequestItems={"tba": [{"DeleteRequest": {"Key": k("x0")}}]})
    out = ddb.batch_get_item(RequestItems={"tba": {"Keys": [k("x0"), k("x1"), k("x2")], "ProjectionExpression": "n"},
                                           "tbb": {"Keys": [k("y")]}}, ReturnConsumedCapacity="TOTAL")
    assert sorted(i["n"]["N"] for i in out["Responses"]["tba"]) == ["1", "2"]
    assert out["Responses"]["tbb"] == [k("y")]
    assert out["UnprocessedKeys"] == {}
    assert {c["TableName"] for c in out["ConsumedCapacity"]} == {"tba", "tbb"}


def test_batch_errors(ddb):
    with aws_error("ValidationException", "Provided list of item keys contains duplicates"):
        ddb.batch_write_item(RequestItems={"tba": [{"PutRequest": {"Item": k("x")}}, {"DeleteRequest": {"Key": k("x")}}]})
    with aws_error("ValidationException", contains="Member must have length less than or equal to 25"):
        ddb.batch_write_item(RequestItems={"tba": [{"PutRequest": {"Item": k(f"x{i}")}} for i in range(26)]})
    with aws_error("ValidationException", "Too many items requested for the BatchGetItem call"):
        ddb.batch_get_item(RequestItems={"tba": {"Keys": [k(f"x{i}") for i in range(60)]},
                                         "tbb": {"Keys": [k(f"x{i}") for i in range(60)]}})
    with aws_error("ResourceNotFoundException"):
        ddb.batch_get_item(RequestItems={"nope": {"Keys": [k("x")]}})


def test_transact_write_commits_all_or_nothing(ddb):
    ddb.put_item(TableName="tba", Item={**k("acct1"), "balance": {"N": "100"}})
    ddb.put_item(TableName="tba", Item={**k("acct2"), "balance": {"N": "0"}})

    def transfer(amount):
        ddb.transact_write_items(TransactItems=[
            {"Update": {"TableName": "tba", "Key": k("acct1"), "UpdateExpression": "SET balance = balance - :a",
                        "ConditionExpression": "balance >= :a", "ExpressionAttributeValues": {":a": {"N": str(amount)}}}},
            {"Update": {"TableName": "tba", "Key": k("acct2"), "UpdateExpression": "SET balance = balance + :a",
                        "ExpressionAttributeValues": {":a": {"N": str(amount)}}}},
            {"Put": {"TableName": "tbb", "Item": {**k(f"log{amount}"), "amount": {"N": str(amount)}}}},
        ])

    transfer(60)
    with aws_error("TransactionCanceledException",
                   "Transaction cancelled, please refer cancellation reasons for specific reasons "
                   "[ConditionalCheckFailed, None, None]") as info:
        transfer(60)
    reasons = info.value.response["CancellationReasons"]
    assert [r["Code"] for r in reasons] == ["ConditionalCheckFailed", "None", "None"]
    balances = {i["pk"]["S"]: i["balance"]["N"] for i in ddb.scan(TableName="tba")["Items"]}
    assert balances == {"acct1": "40", "acct2": "60"}
    assert ddb.scan(TableName="tbb")["Count"] == 1  # only the first transfer's log entry


def test_condition_check_and_return_old_on_failure(ddb):
    ddb.put_item(TableName="tba", Item={**k("lock"), "owner": {"S": "me"}})
    with aws_error("TransactionCanceledException") as info:
        ddb.transact_write_items(TransactItems=[
            {"ConditionCheck": {"TableName": "tba", "Key": k("lock"), "ConditionExpression": "#o = :you",
                                "ExpressionAttributeNames": {"#o": "owner"}, "ExpressionAttributeValues": {":you": {"S": "you"}},
                                "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}},
            {"Put": {"TableName": "tbb", "Item": k("x")}},
        ])
    reason = info.value.response["CancellationReasons"][0]
    assert reason["Code"] == "ConditionalCheckFailed" and reason["Item"]["owner"] == {"S": "me"}
    assert ddb.scan(TableName="tbb")["Count"] == 0


def test_transaction_validation(ddb):
    with aws_error("ValidationException", "Transaction request cannot include multiple operations on one item"):
        ddb.transact_write_items(TransactItems=[{"Put": {"TableName": "tba", "Item": k("x")}},
                                                {"Delete": {"TableName": "tba", "Key": k("x")}}])


def test_client_request_token_idempotency(ddb):
    items = [{"Update": {"TableName": "tba", "Key": k("counter"), "UpdateExpression": "ADD n :one",
                         "ExpressionAttributeValues": {":one": {"N": "1"}}}}]
    ddb.transact_write_items(TransactItems=items, ClientRequestToken="token-1")
    ddb.transact_write_items(TransactItems=items, ClientRequestToken="token-1")  # replay: not applied twice
    assert ddb.get_item(TableName="tba", Key=k("counter"))["Item"]["n"] == {"N": "1"}
    other = [{"Put": {"TableName": "tba", "Item": k("y")}}]
    with aws_error("IdempotentParameterMismatchException"):
        ddb.transact_write_items(TransactItems=other, ClientRequestToken="token-1")


def test_transact_get(ddb):
    ddb.put_item(TableName="tba", Item={**k("x"), "v": {"S": "1"}, "w": {"S": "2"}})
    out = ddb.transact_get_items(TransactItems=[
        {"Get": {"TableName": "tba", "Key": k("x"), "ProjectionExpression": "v"}},
        {"Get": {"TableName": "tbb", "Key": k("missing")}},
    ])
    assert out["Responses"] == [{"Item": {"v": {"S": "1"}}}, {}]


def test_an_update_that_cannot_apply_cancels_with_a_validation_error_reason(ddb):
    ddb.put_item(TableName="tba", Item={**k("x"), "n": {"S": "text"}})
    with aws_error("TransactionCanceledException",
                   "Transaction cancelled, please refer cancellation reasons for specific reasons [None, ValidationError]") as info:
        ddb.transact_write_items(TransactItems=[
            {"Put": {"TableName": "tbb", "Item": k("y")}},
            {"Update": {"TableName": "tba", "Key": k("x"), "UpdateExpression": "SET n = n + :one",
                        "ExpressionAttributeValues": {":one": {"N": "1"}}}},
        ])
    reasons = info.value.response["CancellationReasons"]
    assert reasons[1] == {"Code": "ValidationError",
                          "Message": "An operand in the update expression has an incorrect data type"}
    assert ddb.scan(TableName="tbb")["Count"] == 0
