"""What the AppSync tests share: an API with a schema, data sources and resolvers, and gql clients
on its no-DNS URLs (this machine resolves no *.localhost names)."""

from __future__ import annotations

import json

from gql import Client
from gql.transport.aiohttp import AIOHTTPTransport
from gql.transport.appsync_auth import AppSyncApiKeyAuthentication, AppSyncIAMAuthentication
from gql.transport.appsync_websockets import AppSyncWebsocketsTransport

CHAT = """
type Message @aws_api_key @aws_iam {
  roomId: ID!
  id: ID!
  text: String
  author: String
  at: AWSDateTime
}
type Query {
  getMessage(roomId: ID!, id: ID!): Message @aws_api_key @aws_iam
  listMessages(roomId: ID!): [Message] @aws_api_key @aws_iam
  echo(text: String): String
  hello: String
}
type Mutation {
  sendMessage(roomId: ID!, text: String!, author: String): Message @aws_api_key @aws_iam
  publish(roomId: ID!, id: ID!, text: String): Message @aws_api_key @aws_iam
}
type Subscription {
  onMessage(roomId: ID): Message @aws_subscribe(mutations: ["sendMessage", "publish"]) @aws_api_key @aws_iam
  onAuthor(author: String): Message @aws_subscribe(mutations: ["sendMessage"])
}
"""

JS = {"name": "APPSYNC_JS", "runtimeVersion": "1.0.0"}
ACCOUNT = "123456789012"


def error_of(excinfo) -> tuple[str, str, int]:
    """(code, message, HTTP status) of a boto3 ClientError caught by pytest.raises."""
    error = excinfo.value.response
    return error["Error"]["Code"], error["Error"]["Message"], error["ResponseMetadata"]["HTTPStatusCode"]

PUT_MESSAGE = """{
  "version": "2017-02-28",
  "operation": "PutItem",
  "key": {"roomId": $util.dynamodb.toDynamoDBJson($ctx.args.roomId), "id": $util.dynamodb.toDynamoDBJson($util.autoId())},
  "attributeValues": {"text": $util.dynamodb.toDynamoDBJson($ctx.args.text),
                      "author": $util.dynamodb.toDynamoDBJson($util.defaultIfNull($ctx.args.author, "anonymous")),
                      "at": $util.dynamodb.toDynamoDBJson($util.time.nowISO8601())}
}"""
GET_MESSAGE = """{"version": "2017-02-28", "operation": "GetItem",
  "key": {"roomId": $util.dynamodb.toDynamoDBJson($ctx.args.roomId), "id": $util.dynamodb.toDynamoDBJson($ctx.args.id)}}"""
LIST_MESSAGES = """import { util } from '@aws-appsync/utils';
import * as ddb from '@aws-appsync/utils/dynamodb';
export function request(ctx) {
  return ddb.query({ query: { roomId: { eq: ctx.args.roomId } } });
}
export function response(ctx) {
  if (ctx.error) util.error(ctx.error.message, ctx.error.type);
  return ctx.result.items;
}"""
RESULT = "$util.toJson($ctx.result)"
PAYLOAD = """{"version": "2017-02-28", "payload": $util.toJson($ctx.args)}"""


def make_table(cloud, name: str = "messages", account: str | None = None, stream: bool = False) -> str | None:
    """The messages table (roomId, id); with ``stream``, its stream's ARN."""
    ddb = cloud.client("dynamodb", account=account)
    extra = {"StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}} if stream else {}
    created = ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST", **extra,
                     KeySchema=[{"AttributeName": "roomId", "KeyType": "HASH"}, {"AttributeName": "id", "KeyType": "RANGE"}],
                     AttributeDefinitions=[{"AttributeName": "roomId", "AttributeType": "S"},
                                           {"AttributeName": "id", "AttributeType": "S"}])
    ddb.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 0.1})
    return created["TableDescription"].get("LatestStreamArn")


def chat_api(cloud, auth: str = "API_KEY", account: str | None = None, extra_auth: tuple[str, ...] = (),
             stream: bool = False) -> dict:
    """The chat API: DynamoDB-backed messages (VTL and APPSYNC_JS resolvers), a NONE ``publish``
    and ``echo``; returns {"api", "key", "client", "stream"} (the table's stream ARN, with ``stream``)."""
    appsync = cloud.client("appsync", account=account)
    api = appsync.create_graphql_api(
        name="chat", authenticationType=auth,
        additionalAuthenticationProviders=[{"authenticationType": a} for a in extra_auth])["graphqlApi"]
    api_id = api["apiId"]
    appsync.start_schema_creation(apiId=api_id, definition=CHAT.encode())
    assert appsync.get_schema_creation_status(apiId=api_id)["status"] == "SUCCESS"
    stream_arn = make_table(cloud, account=account, stream=stream)
    appsync.create_data_source(apiId=api_id, name="messages", type="AMAZON_DYNAMODB",
                               dynamodbConfig={"tableName": "messages", "awsRegion": "us-east-1"})
    appsync.create_data_source(apiId=api_id, name="local", type="NONE")
    appsync.create_resolver(apiId=api_id, typeName="Mutation", fieldName="sendMessage", dataSourceName="messages",
                            requestMappingTemplate=PUT_MESSAGE, responseMappingTemplate=RESULT)
    appsync.create_resolver(apiId=api_id, typeName="Query", fieldName="getMessage", dataSourceName="messages",
                            requestMappingTemplate=GET_MESSAGE, responseMappingTemplate=RESULT)
    appsync.create_resolver(apiId=api_id, typeName="Query", fieldName="listMessages", dataSourceName="messages",
                            runtime=JS, code=LIST_MESSAGES)
    appsync.create_resolver(apiId=api_id, typeName="Mutation", fieldName="publish", dataSourceName="local",
                            requestMappingTemplate=PAYLOAD, responseMappingTemplate=RESULT)
    appsync.create_resolver(apiId=api_id, typeName="Query", fieldName="echo", dataSourceName="local",
                            requestMappingTemplate=PAYLOAD, responseMappingTemplate="$util.toJson($ctx.result.text)")
    key = appsync.create_api_key(apiId=api_id)["apiKey"]["id"] if "API_KEY" in (auth, *extra_auth) else None
    return {"api": appsync.get_graphql_api(apiId=api_id)["graphqlApi"], "key": key, "client": appsync,
            "stream": stream_arn}


def host_of(api: dict) -> str:
    return api["dns"]["GRAPHQL"]


def http_client(api: dict, key: str | None = None, session=None) -> Client:
    auth = AppSyncApiKeyAuthentication(host=host_of(api), api_key=key) if key else \
        AppSyncIAMAuthentication(host=host_of(api), session=session, region_name="us-east-1")
    return Client(transport=AIOHTTPTransport(url=api["uris"]["GRAPHQL_NO_DNS"], auth=auth), fetch_schema_from_transport=False)


def ws_transport(api: dict, key: str | None = None, session=None) -> AppSyncWebsocketsTransport:
    auth = AppSyncApiKeyAuthentication(host=host_of(api), api_key=key) if key else \
        AppSyncIAMAuthentication(host=host_of(api), session=session, region_name="us-east-1")
    return AppSyncWebsocketsTransport(url=api["uris"]["REALTIME_NO_DNS"], auth=auth)


def header_param(api: dict, key: str) -> str:
    import base64
    return base64.b64encode(json.dumps({"host": host_of(api), "x-api-key": key}).encode()).decode()
