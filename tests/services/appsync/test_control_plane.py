"""AppSync's control plane through boto3: APIs and their auth modes, schema creation with its
status, types, data sources, resolvers (VTL and APPSYNC_JS, unit and pipeline), functions, API
keys with their validity, tags, caches, the evaluate operations, and AWS's errors for each."""

from __future__ import annotations

import json
import time

import pytest
from botocore.exceptions import ClientError

from tests.services.appsync.support import ACCOUNT, CHAT, JS, PAYLOAD, RESULT, error_of


def new_api(appsync, sdl: str | None = CHAT, **kwargs) -> str:
    api_id = appsync.create_graphql_api(name="chat", authenticationType="API_KEY", **kwargs)["graphqlApi"]["apiId"]
    if sdl is not None:
        appsync.start_schema_creation(apiId=api_id, definition=sdl.encode())
    return api_id


def test_an_api_is_created_listed_updated_and_deleted_with_everything_in_it(appsync):
    api = appsync.create_graphql_api(name="chat", authenticationType="API_KEY", tags={"team": "a"},
                                     additionalAuthenticationProviders=[{"authenticationType": "AWS_IAM"}])["graphqlApi"]
    api_id = api["apiId"]
    assert len(api_id) == 26 and api["arn"] == f"arn:aws:appsync:us-east-1:{ACCOUNT}:apis/{api_id}"
    assert api["uris"]["GRAPHQL"].endswith(f"{api_id}.appsync-api.us-east-1.localhost:{api['uris']['GRAPHQL'].rsplit(':', 1)[1]}")
    assert api["uris"]["REALTIME"].startswith(f"ws://{api_id}.appsync-realtime-api.us-east-1.localhost:")
    assert api["uris"]["GRAPHQL_NO_DNS"].endswith(f"/graphql/{api_id}")
    assert api["tags"] == {"team": "a"}
    assert api["additionalAuthenticationProviders"] == [{"authenticationType": "AWS_IAM"}]
    assert [a["apiId"] for a in appsync.list_graphql_apis()["graphqlApis"]] == [api_id]
    updated = appsync.update_graphql_api(apiId=api_id, name="chat2", authenticationType="AWS_IAM")["graphqlApi"]
    assert (updated["name"], updated["authenticationType"]) == ("chat2", "AWS_IAM")
    appsync.create_data_source(apiId=api_id, name="local", type="NONE")
    appsync.create_api_key(apiId=api_id)
    appsync.delete_graphql_api(apiId=api_id)
    with pytest.raises(ClientError) as missing:
        appsync.get_graphql_api(apiId=api_id)
    assert error_of(missing) == ("NotFoundException", f"GraphQL API {api_id} not found.", 404)
    assert appsync.list_graphql_apis()["graphqlApis"] == []


def test_auth_modes_need_their_configuration(appsync):
    with pytest.raises(ClientError) as no_lambda:
        appsync.create_graphql_api(name="x", authenticationType="AWS_LAMBDA")
    assert error_of(no_lambda)[0] == "BadRequestException"
    assert "Lambda Authorizer configuration" in error_of(no_lambda)[1]
    with pytest.raises(ClientError) as bad_mode:
        appsync.create_graphql_api(name="x", authenticationType="NOPE")
    assert error_of(bad_mode)[0] == "BadRequestException" and "enum value set" in error_of(bad_mode)[1]


def test_schema_creation_reports_success_and_failure(appsync):
    api_id = new_api(appsync, None)
    assert appsync.get_schema_creation_status(apiId=api_id)["status"] == "NOT_APPLICABLE"
    assert appsync.start_schema_creation(apiId=api_id, definition=b"type Query {")["status"] == "PROCESSING"
    failed = appsync.get_schema_creation_status(apiId=api_id)
    assert failed["status"] == "FAILED" and "Failed to parse schema document" in failed["details"]
    appsync.start_schema_creation(apiId=api_id, definition=b"type Mutation { m: String }")
    assert "query type" in appsync.get_schema_creation_status(apiId=api_id)["details"]
    appsync.start_schema_creation(apiId=api_id, definition=CHAT.encode())
    done = appsync.get_schema_creation_status(apiId=api_id)
    assert done == {**done, "status": "SUCCESS", "details": "Successfully created schema with 4 types."}
    sdl = appsync.get_introspection_schema(apiId=api_id, format="SDL")["schema"].read().decode()
    assert "@aws_subscribe" in sdl and "AWSDateTime" in sdl
    introspection = json.loads(appsync.get_introspection_schema(apiId=api_id, format="JSON")["schema"].read())
    names = {t["name"] for t in introspection["data"]["__schema"]["types"]}
    assert {"Message", "AWSDateTime", "Subscription"} <= names


def test_types_are_edited_in_the_schema(appsync):
    api_id = new_api(appsync)
    listed = appsync.list_types(apiId=api_id, format="SDL")["types"]
    assert [t["name"] for t in listed] == ["Message", "Query", "Mutation", "Subscription"]
    created = appsync.create_type(apiId=api_id, definition="type Room { id: ID! name: String }", format="SDL")["type"]
    assert created["name"] == "Room" and created["arn"].endswith(f"apis/{api_id}/types/Room")
    with pytest.raises(ClientError) as again:
        appsync.create_type(apiId=api_id, definition="type Room { id: ID! }", format="SDL")
    assert error_of(again) == ("BadRequestException", "Type Room already exists.", 400)
    updated = appsync.update_type(apiId=api_id, typeName="Room", definition="type Room { id: ID! size: Int }",
                                  format="SDL")["type"]
    assert "size: Int" in updated["definition"]
    assert "size: Int" in appsync.get_type(apiId=api_id, typeName="Room", format="SDL")["type"]["definition"]
    appsync.delete_type(apiId=api_id, typeName="Room")
    with pytest.raises(ClientError) as gone:
        appsync.get_type(apiId=api_id, typeName="Room", format="SDL")
    assert error_of(gone) == ("NotFoundException", "Type Room not found.", 404)


def test_data_sources_of_each_kind(appsync):
    api_id = new_api(appsync)
    source = appsync.create_data_source(apiId=api_id, name="messages", type="AMAZON_DYNAMODB",
                                        serviceRoleArn=f"arn:aws:iam::{ACCOUNT}:role/r",
                                        dynamodbConfig={"tableName": "t", "awsRegion": "us-east-1"})["dataSource"]
    assert source["dataSourceArn"].endswith(f"apis/{api_id}/datasources/messages")
    assert source["dynamodbConfig"] == {"tableName": "t", "awsRegion": "us-east-1", "useCallerCredentials": False,
                                        "versioned": False}
    appsync.create_data_source(apiId=api_id, name="web", type="HTTP", httpConfig={"endpoint": "http://127.0.0.1:9"})
    appsync.create_data_source(apiId=api_id, name="local", type="NONE")
    assert [s["name"] for s in appsync.list_data_sources(apiId=api_id)["dataSources"]] == ["messages", "web", "local"]
    with pytest.raises(ClientError) as duplicate:
        appsync.create_data_source(apiId=api_id, name="local", type="NONE")
    assert error_of(duplicate) == ("BadRequestException", "Data source with name local already exists.", 400)
    with pytest.raises(ClientError) as no_config:
        appsync.create_data_source(apiId=api_id, name="fn", type="AWS_LAMBDA")
    assert error_of(no_config)[0] == "BadRequestException"
    updated = appsync.update_data_source(apiId=api_id, name="local", type="NONE", description="d")["dataSource"]
    assert updated["description"] == "d"
    appsync.delete_data_source(apiId=api_id, name="web")
    with pytest.raises(ClientError) as gone:
        appsync.get_data_source(apiId=api_id, name="web")
    assert error_of(gone) == ("NotFoundException", "Data source web not found.", 404)


def test_resolvers_name_fields_of_the_schema_and_are_checked_when_saved(appsync):
    api_id = new_api(appsync)
    appsync.create_data_source(apiId=api_id, name="local", type="NONE")
    resolver = appsync.create_resolver(apiId=api_id, typeName="Query", fieldName="echo", dataSourceName="local",
                                       requestMappingTemplate=PAYLOAD, responseMappingTemplate=RESULT)["resolver"]
    assert resolver["resolverArn"].endswith(f"apis/{api_id}/types/Query/resolvers/echo") and resolver["kind"] == "UNIT"
    with pytest.raises(ClientError) as again:
        appsync.create_resolver(apiId=api_id, typeName="Query", fieldName="echo", dataSourceName="local",
                                requestMappingTemplate=PAYLOAD)
    assert error_of(again) == ("BadRequestException", "Only one resolver is allowed per field.", 400)
    with pytest.raises(ClientError) as no_field:
        appsync.create_resolver(apiId=api_id, typeName="Query", fieldName="nope", dataSourceName="local",
                                requestMappingTemplate=PAYLOAD)
    assert error_of(no_field) == ("NotFoundException", "No field named nope found on type Query", 404)
    with pytest.raises(ClientError) as no_type:
        appsync.create_resolver(apiId=api_id, typeName="Nope", fieldName="x", dataSourceName="local",
                                requestMappingTemplate=PAYLOAD)
    assert error_of(no_type) == ("NotFoundException", "Type Nope not found.", 404)
    with pytest.raises(ClientError) as bad_code:
        appsync.create_resolver(apiId=api_id, typeName="Query", fieldName="hello", dataSourceName="local",
                                runtime=JS, code="export function request(ctx) { return {")
    assert error_of(bad_code) == ("BadRequestException", "The code contains one or more errors.", 400)
    with pytest.raises(ClientError) as bad_template:
        appsync.create_resolver(apiId=api_id, typeName="Query", fieldName="hello", dataSourceName="local",
                                requestMappingTemplate="#if($x")
    assert error_of(bad_template)[0] == "BadRequestException"
    with pytest.raises(ClientError) as no_source:
        appsync.create_resolver(apiId=api_id, typeName="Query", fieldName="hello", dataSourceName="ghost",
                                requestMappingTemplate=PAYLOAD)
    assert error_of(no_source) == ("NotFoundException", "Data source ghost not found.", 404)
    appsync.update_resolver(apiId=api_id, typeName="Query", fieldName="echo", dataSourceName="local", runtime=JS,
                            code="export function request(ctx) { return {payload: ctx.args} }\n"
                                 "export function response(ctx) { return ctx.result.text }")
    got = appsync.get_resolver(apiId=api_id, typeName="Query", fieldName="echo")["resolver"]
    assert got["runtime"] == JS and "requestMappingTemplate" not in got
    assert [r["fieldName"] for r in appsync.list_resolvers(apiId=api_id, typeName="Query")["resolvers"]] == ["echo"]
    appsync.delete_resolver(apiId=api_id, typeName="Query", fieldName="echo")
    with pytest.raises(ClientError) as gone:
        appsync.get_resolver(apiId=api_id, typeName="Query", fieldName="echo")
    assert error_of(gone)[0] == "NotFoundException"


def test_functions_make_pipelines(appsync):
    api_id = new_api(appsync)
    appsync.create_data_source(apiId=api_id, name="local", type="NONE")
    function = appsync.create_function(apiId=api_id, name="first", dataSourceName="local", functionVersion="2018-05-29",
                                       requestMappingTemplate=PAYLOAD, responseMappingTemplate=RESULT)["functionConfiguration"]
    assert function["functionArn"].endswith(f"apis/{api_id}/functions/{function['functionId']}")
    resolver = appsync.create_resolver(apiId=api_id, typeName="Query", fieldName="echo", kind="PIPELINE",
                                       pipelineConfig={"functions": [function["functionId"]]},
                                       requestMappingTemplate="{}", responseMappingTemplate=RESULT)["resolver"]
    assert resolver["kind"] == "PIPELINE" and resolver["pipelineConfig"] == {"functions": [function["functionId"]]}
    using = appsync.list_resolvers_by_function(apiId=api_id, functionId=function["functionId"])["resolvers"]
    assert [r["fieldName"] for r in using] == ["echo"]
    with pytest.raises(ClientError) as in_use:
        appsync.delete_function(apiId=api_id, functionId=function["functionId"])
    assert error_of(in_use)[0] == "BadRequestException"
    with pytest.raises(ClientError) as ghost:
        appsync.create_resolver(apiId=api_id, typeName="Query", fieldName="hello", kind="PIPELINE",
                                pipelineConfig={"functions": ["nope"]}, requestMappingTemplate="{}",
                                responseMappingTemplate=RESULT)
    assert error_of(ghost) == ("NotFoundException", "Function nope not found.", 404)
    appsync.update_function(apiId=api_id, functionId=function["functionId"], name="renamed", dataSourceName="local",
                            runtime=JS, code="export function request(ctx) { return {payload: 1} }\n"
                                              "export function response(ctx) { return ctx.result }")
    assert [f["name"] for f in appsync.list_functions(apiId=api_id)["functions"]] == ["renamed"]


def test_api_keys_live_between_one_and_365_days(appsync):
    api_id = new_api(appsync)
    key = appsync.create_api_key(apiId=api_id, description="web")["apiKey"]
    assert key["id"].startswith("da2-") and key["expires"] % 3600 == 0
    assert 6 * 86400 < key["expires"] - time.time() <= 7 * 86400 and key["deletes"] == key["expires"] + 60 * 86400
    with pytest.raises(ClientError) as short:
        appsync.create_api_key(apiId=api_id, expires=int(time.time()) + 3600)
    assert error_of(short) == ("ApiKeyValidityOutOfBoundsException", "API key must be valid for a minimum of 1 day.", 400)
    with pytest.raises(ClientError) as long:
        appsync.create_api_key(apiId=api_id, expires=int(time.time()) + 400 * 86400)
    assert error_of(long)[0] == "ApiKeyValidityOutOfBoundsException"
    later = int(time.time()) + 30 * 86400
    updated = appsync.update_api_key(apiId=api_id, id=key["id"], expires=later)["apiKey"]
    assert updated["expires"] == later // 3600 * 3600 and updated["description"] == "web"
    assert [k["id"] for k in appsync.list_api_keys(apiId=api_id)["apiKeys"]] == [key["id"]]
    appsync.delete_api_key(apiId=api_id, id=key["id"])
    with pytest.raises(ClientError) as gone:
        appsync.delete_api_key(apiId=api_id, id=key["id"])
    assert error_of(gone) == ("NotFoundException", f"API key {key['id']} not found.", 404)


def test_tags_caches_and_environment_variables(appsync):
    api_id = new_api(appsync)
    arn = appsync.get_graphql_api(apiId=api_id)["graphqlApi"]["arn"]
    appsync.tag_resource(resourceArn=arn, tags={"a": "1", "b": "2"})
    appsync.untag_resource(resourceArn=arn, tagKeys=["a"])
    assert appsync.list_tags_for_resource(resourceArn=arn)["tags"] == {"b": "2"}
    cache = appsync.create_api_cache(apiId=api_id, ttl=60, apiCachingBehavior="FULL_REQUEST_CACHING", type="SMALL")
    assert cache["apiCache"]["status"] == "AVAILABLE"
    with pytest.raises(ClientError) as bad_ttl:
        appsync.update_api_cache(apiId=api_id, ttl=7200, apiCachingBehavior="FULL_REQUEST_CACHING", type="SMALL")
    assert error_of(bad_ttl)[0] == "BadRequestException"
    appsync.delete_api_cache(apiId=api_id)
    appsync.put_graphql_api_environment_variables(apiId=api_id, environmentVariables={"STAGE": "dev"})
    assert appsync.get_graphql_api_environment_variables(apiId=api_id)["environmentVariables"] == {"STAGE": "dev"}


def test_evaluate_runs_the_data_planes_engines(appsync):
    context = json.dumps({"arguments": {"id": "1", "n": 2}, "stash": {"s": True}})
    template = appsync.evaluate_mapping_template(
        template='#set($ctx.stash.seen = true){"key": $util.dynamodb.toMapValuesJson($ctx.args), "flag": $ctx.stash.s}',
        context=context)
    assert json.loads(template["evaluationResult"]) == {"key": {"id": {"S": "1"}, "n": {"N": "2"}}, "flag": True}
    assert json.loads(template["stash"]) == {"s": True, "seen": True}
    failed = appsync.evaluate_mapping_template(template='$util.error("boom", "Custom")', context=context)
    assert failed["error"]["message"] == "boom"
    code = appsync.evaluate_code(runtime=JS, function="request", context=context, code=(
        "import { util } from '@aws-appsync/utils';\n"
        "import { get } from '@aws-appsync/utils/dynamodb';\n"
        "export function request(ctx) { ctx.stash.x = 1; return get({ key: { id: ctx.args.id } }); }\n"
        "export function response(ctx) { return ctx.result; }"))
    assert json.loads(code["evaluationResult"]) == {"operation": "GetItem", "key": {"id": {"S": "1"}},
                                                    "consistentRead": False}
    assert json.loads(code["stash"]) == {"s": True, "x": 1}


def test_what_is_not_built_says_so(appsync):
    with pytest.raises(ClientError) as merged:
        appsync.list_source_api_associations(apiId="x")
    code, message, status = error_of(merged)
    assert status == 501 and "merged APIs" in message


def test_code_that_never_ends_is_cut_off(appsync, monkeypatch):
    from regionbox.services.appsync import js

    monkeypatch.setattr(js, "TIME_LIMIT", 0.2)
    result = appsync.evaluate_code(runtime=JS, function="request", context="{}",
                                   code="export function request(ctx) { while (true) {} }")
    assert result["error"]["message"] == "InternalError: interrupted"


def test_ids_satisfy_the_models_patterns():
    from regionbox.services.appsync.common import new_id

    assert all(new_id()[0].isalpha() for _ in range(200))
