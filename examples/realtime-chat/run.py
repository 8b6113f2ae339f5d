"""The notes' real-time chat against a running regionbox, in one command:

    AWS_ENDPOINT_URL=http://localhost:4566 python3 examples/realtime-chat/run.py

It builds the system with boto3 (a DynamoDB table with a stream, a Lambda function, an AppSync
API with its schema, resolvers and an API key, an event source mapping), then two subscribers
listen with gql's AppSyncWebsocketsTransport while a client sends a message with gql's
AIOHTTPTransport: sendMessage writes to DynamoDB, the stream triggers the relay function, the
function calls relayMessage (a NONE data source, signed with its role), and AppSync pushes it to
both subscribers. Everything it made is deleted at the end (--keep keeps it)."""

from __future__ import annotations

import asyncio
import io
import json
import os
import secrets
import sys
import time
import zipfile
from pathlib import Path

import boto3
from gql import Client, GraphQLRequest
from gql.transport.aiohttp import AIOHTTPTransport
from gql.transport.appsync_auth import AppSyncApiKeyAuthentication
from gql.transport.appsync_websockets import AppSyncWebsocketsTransport

HERE = Path(__file__).parent
ENDPOINT = os.environ.get("AWS_ENDPOINT_URL", "http://localhost:4566")
REGION = os.environ.get("AWS_DEFAULT_REGION", "us-east-1")
TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                 "Principal": {"Service": "lambda.amazonaws.com"}}]}
SEND_MESSAGE = """import { util } from '@aws-appsync/utils';
import * as ddb from '@aws-appsync/utils/dynamodb';
export function request(ctx) {
  const item = { text: ctx.args.text, at: util.time.nowISO8601() };
  return ddb.put({ key: { roomId: ctx.args.roomId, id: util.autoId() }, item });
}
export function response(ctx) {
  if (ctx.error) util.error(ctx.error.message, ctx.error.type);
  return ctx.result;
}"""
MESSAGES = """import * as ddb from '@aws-appsync/utils/dynamodb';
export function request(ctx) { return ddb.query({ query: { roomId: { eq: ctx.args.roomId } } }); }
export function response(ctx) { return ctx.result.items; }"""
RELAY_MESSAGE = """export function request(ctx) { return { payload: ctx.args }; }
export function response(ctx) { return ctx.result; }"""
JS = {"name": "APPSYNC_JS", "runtimeVersion": "1.0.0"}


def client(service: str):
    return boto3.client(service, endpoint_url=ENDPOINT, region_name=REGION,
                        aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "test"),
                        aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "test"))


def wait(probe, what: str, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while not probe():
        if time.time() > deadline:
            sys.exit(f"{what}: not within {timeout} s")
        time.sleep(0.1)


def build(name: str) -> dict:
    """The whole system; returns what the clients need and what to delete."""
    ddb, iam, lam, appsync = client("dynamodb"), client("iam"), client("lambda"), client("appsync")
    table = ddb.create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "roomId", "KeyType": "HASH"}, {"AttributeName": "id", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "roomId", "AttributeType": "S"}, {"AttributeName": "id", "AttributeType": "S"}],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})["TableDescription"]
    ddb.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 0.2})
    print(f"table {name}, stream {table['LatestStreamArn']}")

    api = appsync.create_graphql_api(name=name, authenticationType="API_KEY",
                                     additionalAuthenticationProviders=[{"authenticationType": "AWS_IAM"}])["graphqlApi"]
    api_id = api["apiId"]
    appsync.start_schema_creation(apiId=api_id, definition=(HERE / "schema.graphql").read_bytes())
    wait(lambda: appsync.get_schema_creation_status(apiId=api_id)["status"] in ("SUCCESS", "FAILED"), "schema")
    status = appsync.get_schema_creation_status(apiId=api_id)
    if status["status"] != "SUCCESS":
        sys.exit(f"schema: {status}")
    appsync.create_data_source(apiId=api_id, name="messages", type="AMAZON_DYNAMODB",
                               dynamodbConfig={"tableName": name, "awsRegion": REGION})
    appsync.create_data_source(apiId=api_id, name="relay", type="NONE")
    appsync.create_resolver(apiId=api_id, typeName="Mutation", fieldName="sendMessage", dataSourceName="messages",
                            runtime=JS, code=SEND_MESSAGE)
    appsync.create_resolver(apiId=api_id, typeName="Query", fieldName="messages", dataSourceName="messages",
                            runtime=JS, code=MESSAGES)
    appsync.create_resolver(apiId=api_id, typeName="Mutation", fieldName="relayMessage", dataSourceName="relay",
                            runtime=JS, code=RELAY_MESSAGE)
    key = appsync.create_api_key(apiId=api_id)["apiKey"]["id"]
    api = appsync.get_graphql_api(apiId=api_id)["graphqlApi"]
    print(f"api {api_id}: {api['uris']['GRAPHQL_NO_DNS']}")

    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    iam.put_role_policy(RoleName=name, PolicyName="relay", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "appsync:GraphQL",
                                                "Resource": f"{api['arn']}/types/Mutation/fields/relayMessage"}]}))
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.write(HERE / "relay.py", "relay.py")
    lam.create_function(FunctionName=name, Runtime="python3.12", Handler="relay.handler", Role=role, Timeout=30,
                        Code={"ZipFile": archive.getvalue()},
                        Environment={"Variables": {"GRAPHQL_URL": api["uris"]["GRAPHQL_NO_DNS"]}})
    lam.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.1, "MaxAttempts": 300})
    mapping = lam.create_event_source_mapping(EventSourceArn=table["LatestStreamArn"], FunctionName=name,
                                              StartingPosition="LATEST")["UUID"]
    wait(lambda: lam.get_event_source_mapping(UUID=mapping)["State"] == "Enabled", "event source mapping")
    print(f"function {name} on the stream (mapping {mapping})")
    return {"api": api, "key": key, "mapping": mapping}


def tear_down(name: str, built: dict) -> None:
    lam, iam = client("lambda"), client("iam")
    lam.delete_event_source_mapping(UUID=built["mapping"])
    lam.delete_function(FunctionName=name)
    iam.delete_role_policy(RoleName=name, PolicyName="relay")
    iam.delete_role(RoleName=name)
    client("appsync").delete_graphql_api(apiId=built["api"]["apiId"])
    client("dynamodb").delete_table(TableName=name)


async def chat(built: dict, room: str = "lobby") -> list[list[dict]]:
    api, key = built["api"], built["key"]
    auth = AppSyncApiKeyAuthentication(host=api["dns"]["GRAPHQL"], api_key=key)
    subscription = GraphQLRequest("subscription On($roomId: ID!) { onMessage(roomId: $roomId) { roomId id text at } }",
                                  variable_values={"roomId": room})
    received: list[list[dict]] = [[], []]
    got_one = [asyncio.Event(), asyncio.Event()]

    async def listen(number: int) -> None:
        transport = AppSyncWebsocketsTransport(url=api["uris"]["REALTIME_NO_DNS"], auth=auth)
        async with Client(transport=transport) as session:
            async for result in session.subscribe(subscription):
                received[number].append(result["onMessage"])
                print(f"subscriber {number + 1} got {result['onMessage']}")
                got_one[number].set()

    listeners = [asyncio.ensure_future(listen(n)) for n in range(2)]
    sender = Client(transport=AIOHTTPTransport(url=api["uris"]["GRAPHQL_NO_DNS"], auth=auth))
    async with sender as session:
        # A subscription starts listening a moment after it is sent: send until both have heard one.
        for attempt in range(1, 13):
            sent = await session.execute(GraphQLRequest(
                "mutation Send($roomId: ID!, $text: String!) { sendMessage(roomId: $roomId, text: $text) { id } }",
                variable_values={"roomId": room, "text": f"hello #{attempt}"}))
            print(f"sent message {sent['sendMessage']['id']}")
            try:
                await asyncio.wait_for(asyncio.gather(*(e.wait() for e in got_one)), 5)
                break
            except asyncio.TimeoutError:
                continue
        stored = await session.execute(GraphQLRequest("query List($roomId: ID!) { messages(roomId: $roomId) { text } }",
                                                      variable_values={"roomId": room}))
        print(f"the table holds {len(stored['messages'])} message(s) of {room}")
    for listener in listeners:
        listener.cancel()
    await asyncio.gather(*listeners, return_exceptions=True)
    return received


def main() -> int:
    name = f"realtime-chat-{secrets.token_hex(3)}"
    built = build(name)
    try:
        received = asyncio.run(chat(built))
    finally:
        if "--keep" not in sys.argv:
            tear_down(name, built)
    if not all(received):
        print("a subscriber heard nothing", file=sys.stderr)
        return 1
    print("both subscribers received the relayed message")
    return 0


if __name__ == "__main__":
    sys.exit(main())
