"""The GraphQL endpoint over HTTP with real clients (gql's AIOHTTPTransport with AppSync's API key
and IAM authentication, requests): queries and mutations through NONE, DynamoDB and HTTP data
sources with VTL and APPSYNC_JS resolvers, pipelines, AppSync's errors and its auth rules."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import botocore.session
import pytest
import requests
from gql import GraphQLRequest, gql
from gql.transport.exceptions import TransportQueryError

from tests.services.appsync.support import JS, PAYLOAD, RESULT, chat_api, host_of, http_client

ACCOUNT = "123456789012"
SEND = 'mutation($r: ID!, $t: String!) { sendMessage(roomId: $r, text: $t) { roomId id text author at } }'


def send(room: str, text: str) -> GraphQLRequest:
    return GraphQLRequest(SEND, variable_values={"r": room, "t": text})


def post(api: dict, body: dict, headers: dict | None = None, url: str | None = None) -> requests.Response:
    return requests.post(url or api["uris"]["GRAPHQL_NO_DNS"], data=json.dumps(body), timeout=30,
                         headers={"Content-Type": "application/json", **(headers or {})})


def test_mutations_and_queries_through_dynamodb_none_and_js(cloud):
    chat = chat_api(cloud, account=ACCOUNT)
    client = http_client(chat["api"], chat["key"])
    sent = client.execute(send("lobby", "hello"))["sendMessage"]
    assert sent["roomId"] == "lobby" and sent["text"] == "hello" and sent["author"] == "anonymous"
    assert sent["at"].endswith("Z") and len(sent["id"]) == 36
    # The item is in DynamoDB, as any client of the table sees it.
    item = cloud.client("dynamodb", account=ACCOUNT).get_item(
        TableName="messages", Key={"roomId": {"S": "lobby"}, "id": {"S": sent["id"]}})["Item"]
    assert item["text"] == {"S": "hello"}
    client.execute(send("lobby", "again"))
    client.execute(send("other", "elsewhere"))
    got = client.execute(GraphQLRequest('query($r: ID!, $i: ID!) { getMessage(roomId: $r, id: $i) { text } }',
                                        variable_values={"r": "lobby", "i": sent["id"]}))
    assert got == {"getMessage": {"text": "hello"}}
    listed = client.execute(gql('{ listMessages(roomId: "lobby") { text } echo(text: "yo") missing: getMessage(roomId: "x", id: "y") { id } }'))
    assert sorted(m["text"] for m in listed["listMessages"]) == ["again", "hello"]
    assert listed["echo"] == "yo" and listed["missing"] is None


def test_errors_come_in_appsyncs_shape_with_partial_data(cloud):
    chat = chat_api(cloud, account=ACCOUNT)
    appsync = chat["client"]
    api_id = chat["api"]["apiId"]
    appsync.update_resolver(apiId=api_id, typeName="Query", fieldName="echo", dataSourceName="local",
                            requestMappingTemplate='$util.error("no echo today", "Closed", {"why": "sunday"})',
                            responseMappingTemplate=RESULT)
    appsync.create_resolver(apiId=api_id, typeName="Query", fieldName="hello", dataSourceName="local", runtime=JS, code=(
        "import { util } from '@aws-appsync/utils';\n"
        "export function request(ctx) { return { payload: 'hi' }; }\n"
        "export function response(ctx) { util.appendError('careful', 'Warning'); return ctx.result; }"))
    answer = post(chat["api"], {"query": '{ echo(text: "a") hello }'}, {"x-api-key": chat["key"]}).json()
    assert answer["data"] == {"echo": None, "hello": "hi"}
    closed = next(e for e in answer["errors"] if e["errorType"] == "Closed")
    assert closed == {"path": ["echo"], "data": {"why": "sunday"}, "errorType": "Closed", "errorInfo": None,
                      "locations": [{"line": 1, "column": 3, "sourceName": None}], "message": "no echo today"}
    warning = next(e for e in answer["errors"] if e["errorType"] == "Warning")
    assert warning["path"] == ["hello"] and warning["message"] == "careful"
    invalid = post(chat["api"], {"query": "{ nope }"}, {"x-api-key": chat["key"]}).json()
    assert invalid["data"] is None and invalid["errors"][0]["errorType"] == "ValidationError"
    assert "nope" in invalid["errors"][0]["message"]
    broken = requests.post(chat["api"]["uris"]["GRAPHQL_NO_DNS"], data="{", headers={"x-api-key": chat["key"]}, timeout=30)
    assert broken.status_code == 400 and broken.json()["errors"][0]["errorType"] == "MalformedHttpRequestException"
    with pytest.raises(TransportQueryError) as failed:
        http_client(chat["api"], chat["key"]).execute(gql('{ echo(text: "a") }'))
    assert failed.value.errors[0]["errorType"] == "Closed"


def test_a_failed_dynamodb_condition_is_the_fields_error(cloud):
    chat = chat_api(cloud, account=ACCOUNT)
    chat["client"].update_resolver(
        apiId=chat["api"]["apiId"], typeName="Mutation", fieldName="publish", dataSourceName="messages",
        requestMappingTemplate="""{"version": "2017-02-28", "operation": "PutItem",
          "key": {"roomId": $util.dynamodb.toDynamoDBJson($ctx.args.roomId), "id": $util.dynamodb.toDynamoDBJson($ctx.args.id)},
          "attributeValues": $util.dynamodb.toMapValuesJson({"text": $ctx.args.text}),
          "condition": {"expression": "attribute_not_exists(id)"}}""", responseMappingTemplate=RESULT)
    publish = {"query": 'mutation { publish(roomId: "r", id: "1", text: "t") { id text } }'}
    first = post(chat["api"], publish, {"x-api-key": chat["key"]}).json()
    assert first == {"data": {"publish": {"id": "1", "text": "t"}}}
    second = post(chat["api"], publish, {"x-api-key": chat["key"]}).json()
    assert second["data"] == {"publish": None}
    assert second["errors"][0]["errorType"] == "DynamoDB:ConditionalCheckFailedException"
    assert second["errors"][0]["message"].startswith("The conditional request failed")


def test_pipelines_share_the_stash_between_functions(cloud):
    chat = chat_api(cloud, account=ACCOUNT)
    appsync, api_id = chat["client"], chat["api"]["apiId"]
    first = appsync.create_function(apiId=api_id, name="count", dataSourceName="local", runtime=JS, code=(
        "export function request(ctx) { ctx.stash.steps = ['count']; return { payload: ctx.args.text.length }; }\n"
        "export function response(ctx) { return ctx.result; }"))["functionConfiguration"]["functionId"]
    second = appsync.create_function(
        apiId=api_id, name="describe", dataSourceName="local", functionVersion="2018-05-29",
        requestMappingTemplate='$util.qr($ctx.stash.steps.add("describe")){"version": "2018-05-29", '
                               '"payload": "$ctx.args.text has $ctx.prev.result letters"}',
        responseMappingTemplate=RESULT)["functionConfiguration"]["functionId"]
    appsync.update_resolver(apiId=api_id, typeName="Query", fieldName="echo", kind="PIPELINE",
                            pipelineConfig={"functions": [first, second]}, requestMappingTemplate="{}",
                            responseMappingTemplate='$util.toJson("$ctx.result (${ctx.stash.steps})")')
    answer = post(chat["api"], {"query": '{ echo(text: "hello") }'}, {"x-api-key": chat["key"]}).json()
    assert answer == {"data": {"echo": "hello has 5 letters ([count, describe])"}}


def test_an_http_data_source_calls_its_endpoint(cloud):
    seen = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            seen.append((self.path, self.headers.get("x-token")))
            body = json.dumps({"text": "from http"}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        chat = chat_api(cloud, account=ACCOUNT)
        appsync, api_id = chat["client"], chat["api"]["apiId"]
        appsync.create_data_source(apiId=api_id, name="web", type="HTTP",
                                   httpConfig={"endpoint": f"http://127.0.0.1:{server.server_port}"})
        appsync.update_resolver(apiId=api_id, typeName="Query", fieldName="echo", dataSourceName="web",
                                requestMappingTemplate='{"version": "2018-05-29", "method": "GET", "resourcePath": "/say",'
                                                       ' "params": {"query": {"q": $util.toJson($ctx.args.text)},'
                                                       ' "headers": {"x-token": "secret"}}}',
                                responseMappingTemplate="$util.toJson($util.parseJson($ctx.result.body).text)")
        answer = post(chat["api"], {"query": '{ echo(text: "a b") }'}, {"x-api-key": chat["key"]}).json()
        assert answer == {"data": {"echo": "from http"}}
        assert seen == [("/say?q=a+b", "secret")]
    finally:
        server.shutdown()


def test_the_api_answers_on_its_own_host(cloud):
    chat = chat_api(cloud, account=ACCOUNT)
    url = f"{cloud.endpoint}/graphql"
    answer = requests.post(url, json={"query": '{ echo(text: "by host") }'}, timeout=30,
                           headers={"Host": f"{host_of(chat['api'])}:{cloud.config.port}", "x-api-key": chat["key"]})
    assert answer.json() == {"data": {"echo": "by host"}}
    unknown = requests.post(f"{cloud.endpoint}/graphql/nosuchapi", json={"query": "{ hello }"}, timeout=30)
    assert unknown.status_code == 404


def test_api_keys_are_checked(cloud):
    chat = chat_api(cloud, account=ACCOUNT)
    query = {"query": '{ echo(text: "x") }'}
    missing = post(chat["api"], query)
    assert missing.status_code == 401
    assert missing.json() == {"errors": [{"errorType": "UnauthorizedException",
                                          "message": "You are not authorized to make this call."}]}
    assert post(chat["api"], query, {"x-api-key": "da2-wrong"}).status_code == 401
    chat["client"].delete_api_key(apiId=chat["api"]["apiId"], id=chat["key"])
    with pytest.raises(TransportQueryError) as refused:  # gql reads the 401's GraphQL errors
        http_client(chat["api"], chat["key"]).execute(gql('{ echo(text: "x") }'))
    assert refused.value.errors == [{"message": "You are not authorized to make this call.",
                                     "errorType": "UnauthorizedException"}]


def _iam_user(cloud, name: str, fields: list[str], api_arn: str) -> botocore.session.Session:
    iam = cloud.client("iam", account=ACCOUNT)
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="graphql", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "appsync:GraphQL",
                                                "Resource": [f"{api_arn}/types/{f}" for f in fields]}]}))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    session = botocore.session.Session()
    session.set_credentials(key["AccessKeyId"], key["SecretAccessKey"])
    return session


def test_iam_callers_reach_the_fields_their_policies_and_the_schema_allow(cloud):
    chat = chat_api(cloud, account=ACCOUNT, extra_auth=("AWS_IAM",))
    api = chat["api"]
    writer = _iam_user(cloud, "writer", ["Mutation/fields/sendMessage", "Query/fields/*"], api["arn"])
    client = http_client(api, session=writer)
    sent = client.execute(send("iam", "signed"))["sendMessage"]
    assert sent["text"] == "signed"
    # Query.echo has no directive: only the API's default mode (API_KEY) reaches it.
    with pytest.raises(TransportQueryError) as default_only:
        client.execute(gql('{ echo(text: "x") }'))
    assert default_only.value.errors[0]["errorType"] == "Unauthorized"
    assert default_only.value.errors[0]["message"] == "Not Authorized to access echo on type Query"
    # The policy does not allow Mutation.publish.
    with pytest.raises(TransportQueryError) as denied:
        client.execute(gql('mutation { publish(roomId: "r", id: "1") { id } }'))
    assert denied.value.errors[0]["errorType"] == "Unauthorized"
    # A signature made with the wrong secret is refused before anything runs.
    forged = botocore.session.Session()
    forged.set_credentials(writer.get_credentials().access_key, "not-the-secret")
    with pytest.raises(TransportQueryError) as refused:
        http_client(api, session=forged).execute(send("iam", "forged"))
    assert refused.value.errors[0]["errorType"] == "UnauthorizedException"


def test_aws_scalars_are_validated(cloud):
    appsync = cloud.client("appsync", account=ACCOUNT)
    api = appsync.create_graphql_api(name="s", authenticationType="API_KEY")["graphqlApi"]
    appsync.start_schema_creation(apiId=api["apiId"], definition=b"""
        type Query { when(at: AWSDateTime!, mail: AWSEmail): AWSJSON }""")
    appsync.create_data_source(apiId=api["apiId"], name="local", type="NONE")
    appsync.create_resolver(apiId=api["apiId"], typeName="Query", fieldName="when", dataSourceName="local",
                            requestMappingTemplate=PAYLOAD, responseMappingTemplate=RESULT)
    key = appsync.create_api_key(apiId=api["apiId"])["apiKey"]["id"]
    good = post(api, {"query": '{ when(at: "2024-01-02T03:04:05Z", mail: "a@b.io") }'}, {"x-api-key": key}).json()
    assert json.loads(good["data"]["when"]) == {"at": "2024-01-02T03:04:05Z", "mail": "a@b.io"}
    bad = post(api, {"query": "query($d: AWSDateTime!) { when(at: $d) }", "variables": {"d": "yesterday"}},
               {"x-api-key": key}).json()
    assert bad["data"] is None and "yesterday" in bad["errors"][0]["message"]


def test_an_expired_api_key_is_refused(cloud, monkeypatch):
    from regionbox.services.appsync import auth

    chat = chat_api(cloud, account=ACCOUNT)
    query = {"query": '{ echo(text: "x") }'}
    assert post(chat["api"], query, {"x-api-key": chat["key"]}).status_code == 200
    later = time.time() + 8 * 86400  # past the default seven days

    class Later:
        @staticmethod
        def epoch() -> float:
            return later

    monkeypatch.setattr(auth, "clock", Later)  # the data plane's clock only
    expired = post(chat["api"], query, {"x-api-key": chat["key"]})
    assert expired.status_code == 401 and expired.json()["errors"][0]["errorType"] == "UnauthorizedException"
