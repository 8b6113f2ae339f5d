"""PartiQL through boto3: ExecuteStatement, BatchExecuteStatement, ExecuteTransaction."""

import pytest
from engine_helpers import aws_error, create_table


@pytest.fixture
def ddb(cloud):
    client = cloud.client("dynamodb")
    create_table(client, "music", ("artist", "S"), ("song", "S"))
    return client


def test_insert_select_update_delete(ddb):
    ddb.execute_statement(Statement="INSERT INTO \"music\" VALUE {'artist': 'A', 'song': 's1', 'plays': 1}")
    ddb.execute_statement(Statement="INSERT INTO music VALUE {'artist': ?, 'song': ?, 'plays': ?}",
                          Parameters=[{"S": "A"}, {"S": "s2"}, {"N": "5"}])
    with aws_error("DuplicateItemException", "Duplicate primary key exists in table"):
        ddb.execute_statement(Statement="INSERT INTO music VALUE {'artist': 'A', 'song': 's1'}")
    out = ddb.execute_statement(Statement="SELECT song, plays FROM music WHERE artist = 'A' AND plays > 2")
    assert out["Items"] == [{"song": {"S": "s2"}, "plays": {"N": "5"}}]
    ddb.execute_statement(Statement="UPDATE music SET plays = plays + 1 WHERE artist = 'A' AND song = 's1'")
    got = ddb.get_item(TableName="music", Key={"artist": {"S": "A"}, "song": {"S": "s1"}})["Item"]
    assert got["plays"] == {"N": "2"}
    with aws_error("ConditionalCheckFailedException"):
        ddb.execute_statement(Statement="UPDATE music SET plays = 0 WHERE artist = 'A' AND song = 's1' AND plays > 10")
    ddb.execute_statement(Statement="DELETE FROM music WHERE artist = 'A' AND song = 's1'")
    everything = ddb.execute_statement(Statement="SELECT * FROM music")
    assert [i["song"]["S"] for i in everything["Items"]] == ["s2"]


def test_select_paging_with_next_token(ddb):
    for i in range(7):
        ddb.put_item(TableName="music", Item={"artist": {"S": "B"}, "song": {"S": f"s{i}"}})
    songs, token = [], None
    while True:
        kwargs = {"NextToken": token} if token else {}
        out = ddb.execute_statement(Statement="SELECT * FROM music WHERE artist = 'B'", Limit=3, **kwargs)
        songs += [i["song"]["S"] for i in out["Items"]]
        token = out.get("NextToken")
        if not token:
            break
    assert songs == [f"s{i}" for i in range(7)]


def test_batch_execute_reports_errors_per_statement(ddb):
    ddb.put_item(TableName="music", Item={"artist": {"S": "C"}, "song": {"S": "x"}})
    out = ddb.batch_execute_statement(Statements=[
        {"Statement": "INSERT INTO music VALUE {'artist': 'C', 'song': 'y'}"},
        {"Statement": "INSERT INTO music VALUE {'artist': 'C', 'song': 'x'}"},
        {"Statement": "SELECT * FROM music WHERE artist = 'C' AND song = 'x'"},
    ])["Responses"]
    assert "Error" not in out[0]
    assert out[1]["Error"]["Code"] == "DuplicateItem"
    assert out[2]["Item"] == {"artist": {"S": "C"}, "song": {"S": "x"}}


def test_execute_transaction_is_atomic(ddb):
    ddb.put_item(TableName="music", Item={"artist": {"S": "D"}, "song": {"S": "x"}})
    with aws_error("TransactionCanceledException") as info:
        ddb.execute_transaction(TransactStatements=[
            {"Statement": "INSERT INTO music VALUE {'artist': 'D', 'song': 'new'}"},
            {"Statement": "INSERT INTO music VALUE {'artist': 'D', 'song': 'x'}"},
        ])
    assert [r["Code"] for r in info.value.response["CancellationReasons"]] == ["None", "DuplicateItem"]
    assert ddb.query(TableName="music", KeyConditionExpression="artist = :a",
                     ExpressionAttributeValues={":a": {"S": "D"}})["Count"] == 1
    ddb.execute_transaction(TransactStatements=[
        {"Statement": "INSERT INTO music VALUE {'artist': 'D', 'song': 'new'}"},
        {"Statement": "UPDATE music SET rating = 5 WHERE artist = 'D' AND song = 'x'"},
    ])
    out = ddb.execute_transaction(TransactStatements=[
        {"Statement": "SELECT * FROM music WHERE artist = 'D' AND song = 'x'"},
        {"Statement": "SELECT * FROM music WHERE artist = 'D' AND song = 'missing'"},
    ])
    assert out["Responses"][0]["Item"]["rating"] == {"N": "5"} and out["Responses"][1] == {}


def test_batch_and_transaction_report_bad_updates_as_validation_errors(ddb):
    ddb.put_item(TableName="music", Item={"artist": {"S": "E"}, "song": {"S": "x"}, "plays": {"S": "many"}})
    out = ddb.batch_execute_statement(Statements=[
        {"Statement": "UPDATE music SET plays = plays + 1 WHERE artist = 'E' AND song = 'x'"},
        {"Statement": "INSERT INTO music VALUE {'artist': 'E', 'song': 'y'}"},
    ])["Responses"]
    assert out[0]["Error"]["Code"] == "ValidationError" and "Error" not in out[1]
    with aws_error("TransactionCanceledException") as info:
        ddb.execute_transaction(TransactStatements=[
            {"Statement": "INSERT INTO music VALUE {'artist': 'E', 'song': 'z'}"},
            {"Statement": "UPDATE music SET plays = plays + 1 WHERE artist = 'E' AND song = 'x'"},
        ])
    assert [r["Code"] for r in info.value.response["CancellationReasons"]] == ["None", "ValidationError"]
