"""AppSync with regionbox's Lambda: AWS_LAMBDA data sources (direct resolvers with AppSync's event,
and VTL Invoke requests), the function's failure as the field's error, and the notes' real-time
system end to end: a mutation writes to DynamoDB, the table's stream triggers a function, the
function calls a NONE mutation signed with its role's credentials, and every subscriber gets it."""

from __future__ import annotations

import asyncio
import io
import json
import time
import zipfile

import requests
from gql import Client, GraphQLRequest

from tests.services.appsync.support import chat_api, http_client, ws_transport
from tests.services.appsync.test_realtime import Listener, publish

ACCOUNT = "123456789012"
TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                 "Principal": {"Service": ["lambda.amazonaws.com", "appsync.amazonaws.com"]}}]}


def function(cloud, name: str, code: str, policy: dict | None = None, env: dict | None = None) -> str:
    iam = cloud.client("iam", account=ACCOUNT)
    role = iam.create_role(RoleName=f"{name}-role", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    if policy is not None:
        iam.put_role_policy(RoleName=f"{name}-role", PolicyName="inline", PolicyDocument=json.dumps(policy))
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("app.py", code)
    lam = cloud.client("lambda", account=ACCOUNT)
    arn = lam.create_function(FunctionName=name, Runtime="python3.12", Handler="app.handler", Role=role, Timeout=30,
                              Code={"ZipFile": archive.getvalue()},
                              Environment={"Variables": env or {}})["FunctionArn"]
    lam.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.05, "MaxAttempts": 400})
    return arn


ECHO = """def handler(event, context):
    if event.get("arguments", {}).get("text") == "fail":
        raise ValueError("the function refused")
    return {"roomId": event["arguments"]["roomId"], "id": event["info"]["fieldName"],
            "text": event["arguments"]["text"] + " via " + event["info"]["parentTypeName"]}
"""


def test_a_direct_lambda_resolver_gets_appsyncs_event(cloud):
    chat = chat_api(cloud, account=ACCOUNT)
    appsync, api_id = chat["client"], chat["api"]["apiId"]
    arn = function(cloud, "echo", ECHO)
    appsync.create_data_source(apiId=api_id, name="fn", type="AWS_LAMBDA", lambdaConfig={"lambdaFunctionArn": arn})
    appsync.update_resolver(apiId=api_id, typeName="Mutation", fieldName="publish", dataSourceName="fn")
    query = {"query": 'mutation($t: String) { publish(roomId: "r", id: "x", text: $t) { roomId id text } }'}
    answer = requests.post(chat["api"]["uris"]["GRAPHQL_NO_DNS"], json={**query, "variables": {"t": "hi"}},
                           headers={"x-api-key": chat["key"]}, timeout=60).json()
    assert answer == {"data": {"publish": {"roomId": "r", "id": "publish", "text": "hi via Mutation"}}}
    failed = requests.post(chat["api"]["uris"]["GRAPHQL_NO_DNS"], json={**query, "variables": {"t": "fail"}},
                           headers={"x-api-key": chat["key"]}, timeout=60).json()
    assert failed["data"] == {"publish": None}
    assert failed["errors"][0]["errorType"] == "Lambda:Unhandled"
    assert failed["errors"][0]["message"] == "the function refused"


RELAY = """import json, os, urllib.request
import botocore.session
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest

MUTATION = "mutation($r: ID!, $i: ID!, $t: String) { publish(roomId: $r, id: $i, text: $t) { roomId id text } }"

def handler(event, context):
    credentials = botocore.session.Session().get_credentials()
    for record in event["Records"]:
        if record["eventName"] != "INSERT":
            continue
        image = record["dynamodb"]["NewImage"]
        body = json.dumps({"query": MUTATION, "variables": {
            "r": image["roomId"]["S"], "i": image["id"]["S"], "t": "relayed: " + image["text"]["S"]}})
        request = AWSRequest("POST", os.environ["GRAPHQL_URL"], data=body, headers={"Content-Type": "application/json"})
        SigV4Auth(credentials, "appsync", os.environ["AWS_REGION"]).add_auth(request)
        outgoing = urllib.request.Request(os.environ["GRAPHQL_URL"], data=body.encode(), headers=dict(request.headers))
        with urllib.request.urlopen(outgoing, timeout=30) as response:
            answer = json.loads(response.read())
        if answer.get("errors"):
            raise RuntimeError(answer["errors"])
    return {"relayed": len(event["Records"])}
"""


def test_mutation_to_dynamodb_to_stream_to_lambda_to_subscribers(cloud):
    chat = chat_api(cloud, account=ACCOUNT, extra_auth=("AWS_IAM",), stream=True)
    api = chat["api"]
    function(cloud, "relay", RELAY, env={"GRAPHQL_URL": api["uris"]["GRAPHQL_NO_DNS"]}, policy={
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "appsync:GraphQL",
                                                "Resource": f"{api['arn']}/types/Mutation/fields/publish"}]})
    lam = cloud.client("lambda", account=ACCOUNT)
    mapping = lam.create_event_source_mapping(EventSourceArn=chat["stream"], FunctionName="relay",
                                              StartingPosition="LATEST", BatchSize=10)
    deadline = time.time() + 60
    while lam.get_event_source_mapping(UUID=mapping["UUID"])["State"] != "Enabled":
        assert time.time() < deadline, "the event source mapping never became Enabled"
        time.sleep(0.05)

    async def story():
        async with Client(transport=ws_transport(api, chat["key"])) as one, \
                Client(transport=ws_transport(api, chat["key"])) as two:
            subscribers = [Listener(one, 'subscription { onMessage(roomId: "notes") { id text } }'),
                           Listener(two, 'subscription { onMessage(roomId: "notes") { id text } }')]
            for listener in subscribers:
                await listener.ready(chat, "notes")
            await asyncio.to_thread(publish, chat, "notes", "all ready")
            for listener in subscribers:
                await listener.skip_to("all ready")
            sent = await asyncio.to_thread(http_client(api, chat["key"]).execute, GraphQLRequest(
                # roomId selected: AppSync filters on the fields the mutation answers.
                'mutation { sendMessage(roomId: "notes", text: "hello") { roomId id text } }'))
            message_id = sent["sendMessage"]["id"]
            for listener in subscribers:
                got = [await listener.next(), await listener.next()]
                # sendMessage itself, and the function's publish after the stream reached it.
                assert sorted(m["onMessage"]["text"] for m in got) == ["hello", "relayed: hello"]
                assert {m["onMessage"]["id"] for m in got} == {message_id}
    asyncio.run(story())


AUTHORIZER = """def handler(event, context):
    token = event["authorizationToken"]
    return {"isAuthorized": token.startswith("let-me-in"),
            "resolverContext": {"user": token.rsplit("-", 1)[-1], "op": event["requestContext"]["operationName"] or ""},
            "deniedFields": ["Query.secret"]}
"""


def test_a_lambda_authorizer_decides_and_passes_its_context(cloud):
    arn = function(cloud, "authorizer", AUTHORIZER)
    lam = cloud.client("lambda", account=ACCOUNT)
    appsync = cloud.client("appsync", account=ACCOUNT)
    api = appsync.create_graphql_api(name="guarded", authenticationType="AWS_LAMBDA", lambdaAuthorizerConfig={
        "authorizerUri": arn, "identityValidationExpression": "let-me-in.*|nope"})["graphqlApi"]
    appsync.start_schema_creation(apiId=api["apiId"], definition=b"type Query { whoami: String secret: String }")
    appsync.create_data_source(apiId=api["apiId"], name="local", type="NONE")
    for field in ("whoami", "secret"):
        appsync.create_resolver(apiId=api["apiId"], typeName="Query", fieldName=field, dataSourceName="local",
                                requestMappingTemplate='{"version": "2017-02-28", "payload": '
                                                       '"$ctx.identity.resolverContext.user"}',
                                responseMappingTemplate="$util.toJson($ctx.result)")
    url = api["uris"]["GRAPHQL_NO_DNS"]

    def ask(token: str, query: str = "query Who { whoami }") -> requests.Response:
        return requests.post(url, json={"query": query}, headers={"Authorization": token}, timeout=60)

    # AppSync may invoke the authorizer only once the function's policy lets it.
    assert ask("let-me-in-ann").status_code == 401
    lam.add_permission(FunctionName="authorizer", StatementId="appsync", Action="lambda:InvokeFunction",
                       Principal="appsync.amazonaws.com")
    assert ask("let-me-in-ann").json() == {"data": {"whoami": "ann"}}
    assert ask("nope").status_code == 401  # the function says no
    assert ask("other").status_code == 401  # refused by identityValidationExpression, the function not asked
    denied = ask("let-me-in-ann", "{ whoami secret }").json()
    assert denied["data"] == {"whoami": "ann", "secret": None}
    assert denied["errors"][0]["errorType"] == "Unauthorized"
