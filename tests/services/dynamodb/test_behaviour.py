"""DynamoDB behaviour other projects' suites rely on (issue 9): the order of checks, messages,
set members, numbers, capacity, the 16 MB cap of BatchGetItem, paged tags and stream shards."""

import base64

from botocore.config import Config
from engine_helpers import aws_error, create_table

RAW = Config(parameter_validation=False, retries={"max_attempts": 1})  # what botocore would refuse reaches the server


def test_table_name_length_and_charset_come_first(cloud):
    ddb = cloud.client("dynamodb", config=RAW)
    # Before the key schema, billing mode or anything else of CreateTable.
    with aws_error("ValidationException", "1 validation error detected: Value 'a!x' at 'tableName' failed to satisfy "
                   "constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"):
        ddb.create_table(TableName="a!x", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                         AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
    # Before the table lookup, all problems of the name in one message.
    with aws_error("ValidationException", "2 validation errors detected: Value 'a!' at 'tableName' failed to satisfy "
                   "constraint: Member must have length greater than or equal to 3; Value 'a!' at 'tableName' failed to "
                   "satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"):
        ddb.get_item(TableName="a!", Key={"pk": {"S": "k"}})
    with aws_error("ValidationException", "1 validation error detected: Value '" + "t" * 256 + "' at 'tableName' failed to "
                   "satisfy constraint: Member must have length less than or equal to 255"):
        ddb.describe_table(TableName="t" * 256)
    with aws_error("ValidationException", "1 validation error detected: Value at 'requestItems' failed to satisfy "
                   "constraint: Map keys must satisfy constraint: [Member must have length greater than or equal to 3]"):
        ddb.batch_get_item(RequestItems={"ab": {"Keys": [{"pk": {"S": "k"}}]}})
    with aws_error("ValidationException", "1 validation error detected: Value 'no such' at 'transactItems.2.member.get.tableName' "
                   "failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"):
        ddb.transact_get_items(TransactItems=[{"Get": {"TableName": "fine", "Key": {"pk": {"S": "k"}}}},
                                              {"Get": {"TableName": "no such", "Key": {"pk": {"S": "k"}}}}])
    # A good name of a table that does not exist is still not found.
    with aws_error("ResourceNotFoundException"):
        ddb.get_item(TableName="abc", Key={"pk": {"S": "k"}})


def test_numbers_with_surrounding_spaces_are_refused(cloud):
    ddb = cloud.client("dynamodb")
    create_table(ddb)
    with aws_error("ValidationException", "The parameter cannot be converted to a numeric value:  5 "):
        ddb.put_item(TableName="tbl", Item={"pk": {"S": "k"}, "n": {"N": " 5 "}})
    with aws_error("ValidationException", contains="The parameter cannot be converted to a numeric value"):
        ddb.update_item(TableName="tbl", Key={"pk": {"S": "k"}}, UpdateExpression="SET n = :v",
                        ExpressionAttributeValues={":v": {"N": "7 "}})
    assert "Item" not in ddb.get_item(TableName="tbl", Key={"pk": {"S": "k"}})


def test_empty_strings_are_allowed_inside_sets(cloud):
    ddb = cloud.client("dynamodb")
    create_table(ddb)
    ddb.put_item(TableName="tbl", Item={"pk": {"S": "k"}, "ss": {"SS": ["", "a"]}, "bs": {"BS": [b"", b"a"]}})
    item = ddb.get_item(TableName="tbl", Key={"pk": {"S": "k"}})["Item"]
    assert sorted(item["ss"]["SS"]) == ["", "a"] and sorted(item["bs"]["BS"]) == [b"", b"a"]
    ddb.update_item(TableName="tbl", Key={"pk": {"S": "k"}}, UpdateExpression="DELETE ss :gone", ExpressionAttributeValues={":gone": {"SS": [""]}})
    assert ddb.get_item(TableName="tbl", Key={"pk": {"S": "k"}})["Item"]["ss"] == {"SS": ["a"]}
    with aws_error("ValidationException", "One or more parameter values were invalid: An string set  may not be empty"):
        ddb.put_item(TableName="tbl", Item={"pk": {"S": "k"}, "ss": {"SS": []}})


def test_select_with_a_projection_is_refused_in_aws_words(cloud):
    ddb = cloud.client("dynamodb")
    create_table(ddb, range_key=("sk", "S"), more_attributes=[("g", "S")],
                 GlobalSecondaryIndexes=[{"IndexName": "by-g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                          "Projection": {"ProjectionType": "ALL"}}])
    query = {"TableName": "tbl", "KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "x"}}}
    with aws_error("ValidationException", "Cannot specify the ProjectionExpression when choosing to get ALL_ATTRIBUTES"):
        ddb.query(**query, Select="ALL_ATTRIBUTES", ProjectionExpression="sk")
    with aws_error("ValidationException", "Cannot specify the ProjectionExpression when choosing to get only the Count"):
        ddb.scan(TableName="tbl", Select="COUNT", ProjectionExpression="sk")
    with aws_error("ValidationException", "Cannot specify the ProjectionExpression when choosing to get ALL_PROJECTED_ATTRIBUTES"):
        ddb.scan(TableName="tbl", IndexName="by-g", Select="ALL_PROJECTED_ATTRIBUTES", ProjectionExpression="sk")
    with aws_error("ValidationException", "Cannot specify the AttributesToGet when choosing to get only the Count"):
        ddb.scan(TableName="tbl", Select="COUNT", AttributesToGet=["sk"])
    assert ddb.scan(TableName="tbl", Select="SPECIFIC_ATTRIBUTES", ProjectionExpression="sk")["Count"] == 0


def test_index_writes_are_part_of_consumed_capacity(cloud):
    ddb = cloud.client("dynamodb")
    create_table(ddb, more_attributes=[("g", "S")],
                 GlobalSecondaryIndexes=[{"IndexName": "by-g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                          "Projection": {"ProjectionType": "ALL"}}])
    # One unit on the table and one on the index, whether or not INDEXES itemizes them.
    put = ddb.put_item(TableName="tbl", Item={"pk": {"S": "a"}, "g": {"S": "x"}}, ReturnConsumedCapacity="TOTAL")
    assert put["ConsumedCapacity"] == {"TableName": "tbl", "CapacityUnits": 2.0, "WriteCapacityUnits": 2.0}
    itemized = ddb.put_item(TableName="tbl", Item={"pk": {"S": "b"}, "g": {"S": "x"}}, ReturnConsumedCapacity="INDEXES")
    assert itemized["ConsumedCapacity"]["CapacityUnits"] == 2.0
    assert itemized["ConsumedCapacity"]["GlobalSecondaryIndexes"] == {"by-g": {"CapacityUnits": 1.0, "WriteCapacityUnits": 1.0}}
    # Changing the index key writes the index twice (delete, put).
    moved = ddb.update_item(TableName="tbl", Key={"pk": {"S": "a"}}, UpdateExpression="SET g = :y",
                            ExpressionAttributeValues={":y": {"S": "y"}}, ReturnConsumedCapacity="TOTAL")
    assert moved["ConsumedCapacity"]["CapacityUnits"] == 3.0
    # An item without the index key does not touch the index.
    plain = ddb.put_item(TableName="tbl", Item={"pk": {"S": "c"}}, ReturnConsumedCapacity="TOTAL")
    assert plain["ConsumedCapacity"]["CapacityUnits"] == 1.0
    batch = ddb.batch_write_item(RequestItems={"tbl": [{"PutRequest": {"Item": {"pk": {"S": "d"}, "g": {"S": "x"}}}},
                                                     {"PutRequest": {"Item": {"pk": {"S": "e"}}}}]},
                                 ReturnConsumedCapacity="TOTAL")
    assert batch["ConsumedCapacity"] == [{"TableName": "tbl", "CapacityUnits": 3.0, "WriteCapacityUnits": 3.0}]
    transact = ddb.transact_write_items(TransactItems=[{"Put": {"TableName": "tbl", "Item": {"pk": {"S": "f"}, "g": {"S": "x"}}}}],
                                        ReturnConsumedCapacity="TOTAL")
    assert transact["ConsumedCapacity"] == [{"TableName": "tbl", "CapacityUnits": 4.0, "WriteCapacityUnits": 4.0}]


def test_batch_get_item_answers_at_most_16_mb(cloud):
    ddb = cloud.client("dynamodb")
    create_table(ddb)
    blob = "x" * (380 * 1024)
    for i in range(60):  # 60 items of 380 KB: 22 MB in all
        ddb.put_item(TableName="tbl", Item={"pk": {"S": f"k{i:02d}"}, "body": {"S": blob}})
    keys = [{"pk": {"S": f"k{i:02d}"}} for i in range(60)]
    first = ddb.batch_get_item(RequestItems={"tbl": {"Keys": keys, "ProjectionExpression": "pk, body"}})
    got = first["Responses"]["tbl"]
    rest = first["UnprocessedKeys"]["tbl"]
    assert 40 <= len(got) < 60 and len(got) + len(rest["Keys"]) == 60
    assert rest["ProjectionExpression"] == "pk, body"  # the unprocessed request is asked again as it was
    second = ddb.batch_get_item(RequestItems=first["UnprocessedKeys"])
    assert second["UnprocessedKeys"] == {}
    assert sorted(i["pk"]["S"] for i in got + second["Responses"]["tbl"]) == [k["pk"]["S"] for k in keys]


def test_batch_get_checks_expression_names_before_tables(cloud):
    ddb = cloud.client("dynamodb")
    with aws_error("ValidationException", "Value provided in ExpressionAttributeNames unused in expressions: keys: {#b}"):
        ddb.batch_get_item(RequestItems={"missing": {"Keys": [{"pk": {"S": "k"}}], "ProjectionExpression": "#a",
                                                     "ExpressionAttributeNames": {"#a": "a", "#b": "b"}}})
    with aws_error("ValidationException", "ExpressionAttributeNames can only be specified when using expressions"):
        ddb.batch_get_item(RequestItems={"missing": {"Keys": [{"pk": {"S": "k"}}], "ExpressionAttributeNames": {"#a": "a"}}})
    with aws_error("ResourceNotFoundException"):
        ddb.batch_get_item(RequestItems={"missing": {"Keys": [{"pk": {"S": "k"}}], "ProjectionExpression": "#a",
                                                     "ExpressionAttributeNames": {"#a": "a"}}})


def test_expression_attribute_names_without_an_expression_are_refused(cloud):
    ddb = cloud.client("dynamodb")
    create_table(ddb)
    names = {"#a": "a"}
    message = "ExpressionAttributeNames can only be specified when using expressions"
    with aws_error("ValidationException", message):
        ddb.get_item(TableName="tbl", Key={"pk": {"S": "k"}}, ExpressionAttributeNames=names)
    with aws_error("ValidationException", message):
        ddb.put_item(TableName="tbl", Item={"pk": {"S": "k"}}, ExpressionAttributeNames=names)
    with aws_error("ValidationException", message):
        ddb.query(TableName="tbl", KeyConditions={"pk": {"AttributeValueList": [{"S": "k"}], "ComparisonOperator": "EQ"}},
                  ExpressionAttributeNames=names)
    with aws_error("ValidationException", message):
        ddb.transact_get_items(TransactItems=[{"Get": {"TableName": "tbl", "Key": {"pk": {"S": "k"}}, "ExpressionAttributeNames": names}}])


def test_tags_are_listed_in_pages(cloud):
    ddb = cloud.client("dynamodb")
    create_table(ddb, Tags=[{"Key": f"k{i:02d}", "Value": str(i)} for i in range(23)])
    arn = ddb.describe_table(TableName="tbl")["Table"]["TableArn"]
    pages, token = [], None
    while True:
        page = ddb.list_tags_of_resource(ResourceArn=arn, **({"NextToken": token} if token else {}))
        pages.append(page["Tags"])
        token = page.get("NextToken")
        if not token:
            break
    assert [len(p) for p in pages] == [10, 10, 3]
    assert [t["Key"] for p in pages for t in p] == [f"k{i:02d}" for i in range(23)]
    with aws_error("ValidationException", "Invalid NextToken"):
        ddb.list_tags_of_resource(ResourceArn=arn, NextToken=base64.b64encode(b"forged").decode())


def test_a_new_shard_reports_its_starting_sequence_number(cloud):
    ddb = cloud.client("dynamodb")
    streams = cloud.client("dynamodbstreams")
    create_table(ddb, StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})
    arn = ddb.describe_table(TableName="tbl")["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]
    starting = shard["SequenceNumberRange"]["StartingSequenceNumber"]  # before any record
    ddb.put_item(TableName="tbl", Item={"pk": {"S": "k"}})
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="AT_SEQUENCE_NUMBER",
                                          SequenceNumber=starting)["ShardIterator"]
    record = streams.get_records(ShardIterator=iterator)["Records"][0]
    assert int(record["dynamodb"]["SequenceNumber"]) >= int(starting)
    again = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]
    assert again["SequenceNumberRange"]["StartingSequenceNumber"] == starting


def test_every_operation_of_dynamodb_and_its_streams_is_served(cloud):
    services = cloud.get("/_regionbox/coverage")["services"]
    for name in ("dynamodb", "dynamodbstreams"):
        assert services[name]["not_implemented"] == {}, services[name]["not_implemented"]
