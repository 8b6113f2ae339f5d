"""Numbers of the DAX protocol: method ids, parameter keys, enumerations, error codes."""

from __future__ import annotations

MAGIC = b"gJ7yne5G"
REQUEST_VERSION = 1

# Method ids (the official client's generated stubs name each method by its id).
AUTHORIZE_CONNECTION = 1489122155
ENDPOINTS = 455855874
DEFINE_KEY_SCHEMA = -742646399
DEFINE_ATTRIBUTE_LIST = 670678385
DEFINE_ATTRIBUTE_LIST_ID = -1230579644
GET_ITEM = 263244906
PUT_ITEM = -2106490455
UPDATE_ITEM = 1425579023
DELETE_ITEM = 1013539361
QUERY = -931250863
SCAN = -1875390620
BATCH_GET_ITEM = -697851100
BATCH_WRITE_ITEM = 116217951
TRANSACT_GET_ITEMS = 1866287579
TRANSACT_WRITE_ITEMS = -1160037738


class Param:
    """Keys of a request's optional-parameter map."""
    ProjectionExpression = 0
    ExpressionAttributeNames = 1
    ConsistentRead = 2
    ReturnConsumedCapacity = 3
    ConditionExpression = 4
    ExpressionAttributeValues = 5
    ReturnItemCollectionMetrics = 6
    ReturnValues = 7
    UpdateExpression = 8
    ExclusiveStartKey = 9
    FilterExpression = 10
    IndexName = 11
    KeyConditionExpression = 12
    Limit = 13
    ScanIndexForward = 14
    Select = 15
    Segment = 16
    TotalSegments = 17
    RequestItems = 18
    ClientRequestToken = 19


class Result:
    """Keys of a single-item or listing answer's map."""
    Item = 0
    ConsumedCapacity = 1
    Attributes = 2
    ItemCollectionMetrics = 3
    Items = 7
    Count = 8
    LastEvaluatedKey = 9
    ScannedCount = 10


RETURN_CONSUMED_CAPACITY = {0: "NONE", 1: "TOTAL", 2: "INDEXES"}
RETURN_ITEM_COLLECTION_METRICS = {0: "NONE", 1: "SIZE"}
RETURN_VALUES = {1: "NONE", 2: "ALL_OLD", 3: "UPDATED_OLD", 4: "ALL_NEW", 5: "UPDATED_NEW"}
SELECT = {1: "ALL_ATTRIBUTES", 2: "ALL_PROJECTED_ATTRIBUTES", 3: "COUNT", 4: "SPECIFIC_ATTRIBUTES"}
# TransactWriteItems' operation numbers.
TRANSACT_OPERATIONS = {2: "Put", 7: "Delete", 9: "Update", 12: "ConditionCheck"}
RETURN_VALUES_ON_CONDITION_CHECK_FAILURE = {1: "NONE", 2: "ALL_OLD"}

# Endpoint map keys (the ``endpoints`` answer) and node roles.
ENDPOINT_NODE, ENDPOINT_HOSTNAME, ENDPOINT_ADDRESS, ENDPOINT_PORT, ENDPOINT_ROLE, ENDPOINT_AZ, \
    ENDPOINT_LEADER_SESSION = range(7)
ROLE_LEADER, ROLE_REPLICA = 1, 2

# Tags of DynamoDB's types that CBOR lacks.
TAG_STRING_SET, TAG_NUMBER_SET, TAG_BINARY_SET, TAG_PATH_ORDINAL = 3321, 3322, 3323, 3324

# DAX error codes: the client walks them to name DynamoDB's exception (4, 37, 38, 39, <n>) and
# tells authentication failures by (_, 23, 31). Codes starting with 3 are not retried.
DYNAMODB_ERROR_CODES = {
    "ProvisionedThroughputExceededException": [4, 37, 38, 39, 40],
    "ResourceNotFoundException": [4, 37, 38, 39, 41],
    "ConditionalCheckFailedException": [4, 37, 38, 39, 43],
    "ResourceInUseException": [4, 37, 38, 39, 45],
    "ValidationException": [4, 37, 38, 39, 46],
    "InternalServerError": [4, 37, 38, 39, 47],
    "ItemCollectionSizeLimitExceededException": [4, 37, 38, 39, 48],
    "LimitExceededException": [4, 37, 38, 39, 49],
    "ThrottlingException": [4, 37, 38, 39, 50],
    "TransactionCanceledException": [4, 37, 38, 39, 58],
    "RequestLimitExceeded": [4, 37, 38, 39, 61],
    "AccessDeniedException": [4, 37, 38, 42],
}
# Any other DynamoDB error: a path the client does not know, so it takes the code we send.
OTHER_DYNAMODB_ERROR = [4, 37, 38, 39, 0]
AUTHENTICATION_FAILED = [4, 23, 31, 33]
# A malformed frame or an unknown method: not retried; the connection is then closed.
PROTOCOL_ERROR = [3, 21, 0]


def dynamodb_error_codes(code: str) -> list[int]:
    return DYNAMODB_ERROR_CODES.get(code, OTHER_DYNAMODB_ERROR)
