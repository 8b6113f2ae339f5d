"""The AWS CLI builds an AppSync API as a user types it (schema from a file, a resolver, a key),
and the API answers over HTTP."""

from __future__ import annotations

import json

import requests

from tests.services.test_cli_aws import aws


def test_the_cli_builds_an_api_that_answers(cloud, tmp_path):
    schema = tmp_path / "schema.graphql"
    schema.write_text("type Query { hello(name: String): String }")
    api = json.loads(aws(cloud, "appsync", "create-graphql-api", "--name", "cli",
                         "--authentication-type", "API_KEY").stdout)["graphqlApi"]
    api_id = api["apiId"]
    assert json.loads(aws(cloud, "appsync", "start-schema-creation", "--api-id", api_id,
                          "--definition", f"fileb://{schema}").stdout) == {"status": "PROCESSING"}
    status = json.loads(aws(cloud, "appsync", "get-schema-creation-status", "--api-id", api_id).stdout)
    assert status["status"] == "SUCCESS"
    aws(cloud, "appsync", "create-data-source", "--api-id", api_id, "--name", "local", "--type", "NONE")
    aws(cloud, "appsync", "create-resolver", "--api-id", api_id, "--type-name", "Query", "--field-name", "hello",
        "--data-source-name", "local", "--runtime", "name=APPSYNC_JS,runtimeVersion=1.0.0", "--code",
        "export function request(ctx) { return { payload: 'hello ' + ctx.args.name }; }\n"
        "export function response(ctx) { return ctx.result; }")
    key = json.loads(aws(cloud, "appsync", "create-api-key", "--api-id", api_id).stdout)["apiKey"]["id"]
    answer = requests.post(api["uris"]["GRAPHQL_NO_DNS"], json={"query": '{ hello(name: "cli") }'},
                           headers={"x-api-key": key}, timeout=60)
    assert answer.json() == {"data": {"hello": "hello cli"}}
    missing = aws(cloud, "appsync", "get-graphql-api", "--api-id", "nope", check=False)
    assert missing.returncode != 0 and "NotFoundException" in missing.stderr
