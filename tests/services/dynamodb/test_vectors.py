"""Vector indexes and SearchVectors through boto3: exact nearest neighbours by each distance
function, the search schema's HASH and inline filters, projections, and indexes added and removed
with UpdateTable."""

import math
import time

from engine_helpers import aws_error, create_table

INDEX = {"IndexName": "by-embedding", "VectorAttribute": {"AttributeName": "embedding"}, "Dimensions": 3,
         "DistanceFunction": "COSINE", "SearchSchema": [{"AttributeName": "tenant", "SearchSchemaElementType": "HASH"},
                                                       {"AttributeName": "kind", "SearchSchemaElementType": "INLINE_FILTER"}],
         "Projection": {"ProjectionType": "KEYS_ONLY"}}
VECTORS = {"a": [1, 0, 0], "b": [0.9, 0.1, 0], "c": [0, 1, 0], "d": [-1, 0, 0], "e": [0.5, 0.5, 0.5]}


def vector(values):
    return {"L": [{"N": str(v)} for v in values]}


def without_schema(index):
    return {k: v for k, v in index.items() if k != "SearchSchema"}


def table_with_vectors(ddb, schema=True, **index):
    create_table(ddb, "docs", VectorIndexes=[{**(INDEX if schema else without_schema(INDEX)), **index}])
    for name, values in VECTORS.items():
        ddb.put_item(TableName="docs", Item={"pk": {"S": name}, "tenant": {"S": "t1"}, "kind": {"S": "x" if name in "abc" else "y"},
                                             "embedding": vector(values), "body": {"S": f"text {name}"}})
    ddb.put_item(TableName="docs", Item={"pk": {"S": "other"}, "tenant": {"S": "t2"}, "embedding": vector([1, 0, 0])})
    ddb.put_item(TableName="docs", Item={"pk": {"S": "no-vector"}, "tenant": {"S": "t1"}, "embedding": vector([1, 0])})


def search(ddb, values, top=3, condition="tenant = :t", values_map=None, **more):
    return ddb.search_vectors(TableName="docs", IndexName="by-embedding", SearchVector=vector(values)["L"], TopK=top,
                              SearchConditionExpression=condition,
                              ExpressionAttributeValues=values_map or {":t": {"S": "t1"}}, **more)["SearchResults"]


def test_cosine_search_ranks_exactly_within_the_hash(cloud):
    ddb = cloud.client("dynamodb")
    table_with_vectors(ddb)
    described = ddb.describe_table(TableName="docs")["Table"]["VectorIndexes"][0]
    assert described["IndexStatus"] == "ACTIVE" and described["ItemCount"] == 6 and described["Dimensions"] == 3
    assert described["IndexArn"].endswith(":table/docs/index/by-embedding")
    found = search(ddb, [1, 0, 0])
    assert [r["Item"]["pk"]["S"] for r in found] == ["a", "b", "e"]
    assert found[0]["Score"] == 0.0 and math.isclose(found[1]["Score"], 1 - 0.9 / math.sqrt(0.82), rel_tol=1e-9)
    # KEYS_ONLY: the keys, the vector and the search schema's attributes, not the body.
    assert set(found[0]["Item"]) == {"pk", "tenant", "kind", "embedding"}
    # An inline filter narrows the candidates.
    filtered = search(ddb, [1, 0, 0], condition="tenant = :t AND kind = :k", values_map={":t": {"S": "t1"}, ":k": {"S": "y"}})
    assert [r["Item"]["pk"]["S"] for r in filtered] == ["e", "d"]
    assert [r["Item"]["pk"]["S"] for r in search(ddb, [1, 0, 0], values_map={":t": {"S": "t2"}})] == ["other"]
    projected = search(ddb, [0, 1, 0], top=1, ProjectionExpression="pk")
    assert projected == [{"Item": {"pk": {"S": "c"}}, "Score": 0.0}]


def test_euclidean_and_dot_product(cloud):
    ddb = cloud.client("dynamodb")
    table_with_vectors(ddb, schema=False, DistanceFunction="EUCLIDEAN", Projection={"ProjectionType": "ALL"})
    ranked = ddb.search_vectors(TableName="docs", IndexName="by-embedding", SearchVector=vector([0, 1, 0])["L"], TopK=2)["SearchResults"]
    assert [r["Item"]["pk"]["S"] for r in ranked] == ["c", "e"] and ranked[0]["Item"]["body"] == {"S": "text c"}
    assert math.isclose(ranked[1]["Score"], math.sqrt(0.75))
    ddb.update_table(TableName="docs", VectorIndexUpdates=[{"Create": {**without_schema(INDEX), "IndexName": "by-dot",
                                                                         "DistanceFunction": "DOT_PRODUCT"}}])
    for _ in range(200):
        indexes = {i["IndexName"]: i["IndexStatus"] for i in ddb.describe_table(TableName="docs")["Table"]["VectorIndexes"]}
        if indexes["by-dot"] == "ACTIVE":
            break
        time.sleep(0.05)
    best = ddb.search_vectors(TableName="docs", IndexName="by-dot", SearchVector=vector([2, 2, 2])["L"], TopK=1)["SearchResults"]
    assert best[0]["Item"]["pk"]["S"] == "e" and math.isclose(best[0]["Score"], 3.0)
    ddb.update_table(TableName="docs", VectorIndexUpdates=[{"Delete": {"IndexName": "by-dot"}}])
    with aws_error("ValidationException", "The table does not have the specified index: by-dot"):
        ddb.search_vectors(TableName="docs", IndexName="by-dot", SearchVector=vector([2, 2, 2])["L"], TopK=1)


def test_search_errors(cloud):
    ddb = cloud.client("dynamodb")
    table_with_vectors(ddb)
    with aws_error("ValidationException", "The number of dimensions in SearchVector (2) does not match the vector index's "
                   "Dimensions (3), or an element is not a number"):
        search(ddb, [1, 0])
    with aws_error("ValidationException", "SearchConditionExpression must specify the HASH attribute of the vector index's "
                   "search schema: tenant"):
        ddb.search_vectors(TableName="docs", IndexName="by-embedding", SearchVector=vector([1, 0, 0])["L"], TopK=1)
    with aws_error("ResourceNotFoundException"):
        ddb.search_vectors(TableName="nothing", IndexName="by-embedding", SearchVector=vector([1, 0, 0])["L"], TopK=1)
    with aws_error("ValidationException", "One or more parameter values were invalid: Duplicate index name: twice"):
        create_table(ddb, "dup", VectorIndexes=[{**INDEX, "IndexName": "twice"}, {**INDEX, "IndexName": "twice"}])
    with aws_error("ResourceNotFoundException", "Requested resource not found: Index: nope not found"):
        ddb.update_table(TableName="docs", VectorIndexUpdates=[{"Delete": {"IndexName": "nope"}}])


def test_restores_keep_or_leave_out_vector_indexes(cloud):
    ddb = cloud.client("dynamodb")
    table_with_vectors(ddb)
    backup = ddb.create_backup(TableName="docs", BackupName="nightly")["BackupDetails"]["BackupArn"]
    for _ in range(200):
        if ddb.describe_backup(BackupArn=backup)["BackupDescription"]["BackupDetails"]["BackupStatus"] == "AVAILABLE":
            break
        time.sleep(0.05)
    ddb.restore_table_from_backup(TargetTableName="kept", BackupArn=backup)
    ddb.restore_table_from_backup(TargetTableName="plain", BackupArn=backup, VectorIndexOverride=[])
    for name in ("kept", "plain"):
        ddb.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 0.05, "MaxAttempts": 200})
        for _ in range(200):
            if ddb.describe_table(TableName=name)["Table"]["TableStatus"] == "ACTIVE":
                break
            time.sleep(0.05)
    assert ddb.describe_table(TableName="kept")["Table"]["VectorIndexes"][0]["IndexName"] == "by-embedding"
    assert "VectorIndexes" not in ddb.describe_table(TableName="plain")["Table"]
    found = ddb.search_vectors(TableName="kept", IndexName="by-embedding", SearchVector=vector([1, 0, 0])["L"], TopK=1,
                               SearchConditionExpression="tenant = :t", ExpressionAttributeValues={":t": {"S": "t1"}})
    assert found["SearchResults"][0]["Item"]["pk"] == {"S": "a"}
    with aws_error("ValidationException", "Invalid Request: Index nope does not match a vector index that existed in the source "
                   "table and cannot be created during the restore operation"):
        ddb.restore_table_from_backup(TargetTableName="bad", BackupArn=backup, VectorIndexOverride=[{**INDEX, "IndexName": "nope"}])
