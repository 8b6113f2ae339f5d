"""AppSync Event APIs' control plane through boto3: APIs with their event config and DNS names,
channel namespaces with auth modes and code handlers, API keys on Event APIs, and AWS's errors."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.services.appsync.support import ACCOUNT, error_of

API_KEY = [{"authType": "API_KEY"}]
IAM = [{"authType": "AWS_IAM"}]


def event_config(**overrides) -> dict:
    config = {"authProviders": [{"authType": "API_KEY"}, {"authType": "AWS_IAM"}],
              "connectionAuthModes": API_KEY + IAM, "defaultPublishAuthModes": API_KEY,
              "defaultSubscribeAuthModes": API_KEY}
    return {**config, **overrides}



def test_an_event_api_is_created_read_listed_updated_and_deleted(appsync, cloud):
    api = appsync.create_api(name="chat", eventConfig=event_config(), ownerContact="team-a", tags={"k": "v"})["api"]
    api_id = api["apiId"]
    assert api["apiArn"] == f"arn:aws:appsync:us-east-1:{ACCOUNT}:apis/{api_id}"
    port = cloud.endpoint.rsplit(":", 1)[1]
    assert api["dns"] == {"HTTP": f"{api_id}.appsync-api.us-east-1.localhost:{port}",
                          "REALTIME": f"{api_id}.appsync-realtime-api.us-east-1.localhost:{port}"}
    assert api["eventConfig"]["defaultPublishAuthModes"] == API_KEY and api["tags"] == {"k": "v"}
    assert api["ownerContact"] == "team-a" and "created" in api
    assert appsync.get_api(apiId=api_id)["api"]["name"] == "chat"
    other = appsync.create_api(name="other", eventConfig=event_config())["api"]["apiId"]
    first = appsync.list_apis(maxResults=1)
    second = appsync.list_apis(maxResults=1, nextToken=first["nextToken"])
    assert [a["apiId"] for a in first["apis"] + second["apis"]] == [api_id, other]
    # An Event API is not a GraphQL API.
    assert appsync.list_graphql_apis()["graphqlApis"] == []

    updated = appsync.update_api(apiId=api_id, name="chat2", eventConfig=event_config(defaultPublishAuthModes=IAM))["api"]
    assert updated["name"] == "chat2" and updated["eventConfig"]["defaultPublishAuthModes"] == IAM
    appsync.create_channel_namespace(apiId=api_id, name="default")
    appsync.delete_api(apiId=api_id)
    with pytest.raises(ClientError) as missing:
        appsync.get_api(apiId=api_id)
    assert error_of(missing) == ("NotFoundException", f"API {api_id} not found.", 404)
    with pytest.raises(ClientError) as gone:
        appsync.list_channel_namespaces(apiId=api_id)
    assert error_of(gone)[0] == "NotFoundException"


def test_event_config_must_name_only_configured_providers(appsync):
    with pytest.raises(ClientError) as unconfigured:
        appsync.create_api(name="chat", eventConfig=event_config(authProviders=[{"authType": "API_KEY"}]))
    assert error_of(unconfigured) == ("BadRequestException",
                                      "Auth mode AWS_IAM is not one of the API's auth providers.", 400)
    with pytest.raises(ClientError) as no_lambda_config:
        appsync.create_api(name="chat", eventConfig=event_config(authProviders=[{"authType": "AWS_LAMBDA"}],
                                                                  connectionAuthModes=[{"authType": "AWS_LAMBDA"}]))
    assert error_of(no_lambda_config) == (
        "BadRequestException", "You must specify lambdaAuthorizerConfig for the AWS_LAMBDA auth provider.", 400)
    with pytest.raises(ClientError) as empty:
        appsync.create_api(name="chat", eventConfig=event_config(defaultSubscribeAuthModes=[]))
    assert error_of(empty) == ("BadRequestException", "defaultSubscribeAuthModes must name at least one auth mode.", 400)


def test_channel_namespaces_with_auth_modes_and_code_handlers(appsync):
    api_id = appsync.create_api(name="chat", eventConfig=event_config())["api"]["apiId"]
    code = "export function onPublish(ctx) { return ctx.events; }"
    created = appsync.create_channel_namespace(apiId=api_id, name="chat", publishAuthModes=IAM, codeHandlers=code,
                                               tags={"t": "1"})["channelNamespace"]
    assert created["channelNamespaceArn"] == f"arn:aws:appsync:us-east-1:{ACCOUNT}:apis/{api_id}/channelNamespace/chat"
    assert created["publishAuthModes"] == IAM and created["codeHandlers"] == code and created["tags"] == {"t": "1"}
    assert appsync.get_channel_namespace(apiId=api_id, name="chat")["channelNamespace"]["name"] == "chat"
    appsync.create_channel_namespace(apiId=api_id, name="news")
    assert [n["name"] for n in appsync.list_channel_namespaces(apiId=api_id)["channelNamespaces"]] == ["chat", "news"]

    with pytest.raises(ClientError) as taken:
        appsync.create_channel_namespace(apiId=api_id, name="chat")
    assert error_of(taken) == ("ConflictException", "Channel namespace chat already exists.", 409)
    with pytest.raises(ClientError) as bad_code:
        appsync.create_channel_namespace(apiId=api_id, name="broken", codeHandlers="export function onPublish(ctx) {")
    assert error_of(bad_code)[0] == "BadRequestException"
    assert error_of(bad_code)[1].startswith("The code contains one or more errors")
    with pytest.raises(ClientError) as lambda_mode:
        appsync.create_channel_namespace(apiId=api_id, name="x", subscribeAuthModes=[{"authType": "AWS_LAMBDA"}])
    assert error_of(lambda_mode) == ("BadRequestException",
                                     "Auth mode AWS_LAMBDA is not one of the API's auth providers.", 400)
    with pytest.raises(ClientError) as integration:
        appsync.create_channel_namespace(apiId=api_id, name="y", handlerConfigs={"onPublish": {
            "behavior": "DIRECT", "integration": {"dataSourceName": "ds"}}})
    assert error_of(integration)[2] == 501
    with pytest.raises(ClientError) as data_source:
        appsync.create_data_source(apiId=api_id, name="ds", type="NONE")
    assert error_of(data_source)[2] == 501 and "Event API data sources" in error_of(data_source)[1]

    updated = appsync.update_channel_namespace(apiId=api_id, name="chat")["channelNamespace"]
    assert "publishAuthModes" not in updated and "codeHandlers" not in updated
    # The API's providers cannot drop a mode a namespace uses.
    appsync.update_channel_namespace(apiId=api_id, name="news", subscribeAuthModes=IAM)
    with pytest.raises(ClientError) as in_use:
        appsync.update_api(apiId=api_id, name="chat", eventConfig=event_config(
            authProviders=[{"authType": "API_KEY"}], connectionAuthModes=API_KEY))
    assert error_of(in_use)[0] == "BadRequestException"

    appsync.delete_channel_namespace(apiId=api_id, name="chat")
    with pytest.raises(ClientError) as missing:
        appsync.get_channel_namespace(apiId=api_id, name="chat")
    assert error_of(missing) == ("NotFoundException", "Channel namespace chat not found.", 404)


def test_api_keys_belong_to_event_apis_too(appsync):
    api_id = appsync.create_api(name="chat", eventConfig=event_config())["api"]["apiId"]
    key = appsync.create_api_key(apiId=api_id)["apiKey"]
    assert key["id"].startswith("da2-")
    assert [k["id"] for k in appsync.list_api_keys(apiId=api_id)["apiKeys"]] == [key["id"]]
    appsync.delete_api_key(apiId=api_id, id=key["id"])
    assert appsync.list_api_keys(apiId=api_id)["apiKeys"] == []


def test_event_apis_are_tagged(appsync):
    api = appsync.create_api(name="chat", eventConfig=event_config(), tags={"a": "1"})["api"]
    appsync.tag_resource(resourceArn=api["apiArn"], tags={"b": "2"})
    assert appsync.list_tags_for_resource(resourceArn=api["apiArn"])["tags"] == {"a": "1", "b": "2"}
    appsync.untag_resource(resourceArn=api["apiArn"], tagKeys=["a"])
    assert appsync.get_api(apiId=api["apiId"])["api"]["tags"] == {"b": "2"}
    appsync.delete_api(apiId=api["apiId"])
    with pytest.raises(ClientError) as missing:
        appsync.list_tags_for_resource(resourceArn=api["apiArn"])
    assert error_of(missing) == ("NotFoundException", f"API {api['apiId']} not found.", 404)
