"""Versions, aliases (with routing weights), layers and function policies through boto3."""

from __future__ import annotations

import json

from tests.services.lambda_.helpers import ACCOUNT, OTHER, client, create, error_of, invoke, role, zipped

VERSIONED = "def handler(event, context):\n    return {'code': 'CODE', 'version': context.function_version}\n"


def code(tag: str) -> bytes:
    return zipped({"app.py": VERSIONED.replace("CODE", tag)})


def update(cloud, name: str, tag: str) -> None:
    lam = client(cloud)
    lam.update_function_code(FunctionName=name, ZipFile=code(tag))
    lam.get_waiter("function_updated_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.05})


def test_versions_are_snapshots_and_qualifiers_run_them(cloud):
    create(cloud, "fn", VERSIONED.replace("CODE", "one"))
    lam = client(cloud)
    first = lam.publish_version(FunctionName="fn", Description="first")
    assert (first["Version"], first["Description"]) == ("1", "first")
    assert first["FunctionArn"] == f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:fn:1"
    assert lam.publish_version(FunctionName="fn")["Version"] == "1"  # nothing changed: the same version
    update(cloud, "fn", "two")
    assert lam.publish_version(FunctionName="fn")["Version"] == "2"
    update(cloud, "fn", "three")
    assert invoke(cloud, "fn", {}, Qualifier="1")["payload"] == {"code": "one", "version": "1"}
    assert invoke(cloud, "fn:2", {})["payload"] == {"code": "two", "version": "2"}
    latest = invoke(cloud, "fn", {})
    assert (latest["payload"], latest["version"]) == ({"code": "three", "version": "$LATEST"}, "$LATEST")
    assert [v["Version"] for v in lam.list_versions_by_function(FunctionName="fn")["Versions"]] == ["$LATEST", "1", "2"]
    missing = error_of(lambda: lam.invoke(FunctionName="fn", Qualifier="9"))
    assert (missing["Code"], missing["Status"]) == ("ResourceNotFoundException", 404)
    stale = error_of(lambda: lam.publish_version(FunctionName="fn", CodeSha256="abc"))
    assert stale["Code"] == "InvalidParameterValueException"


def test_aliases_point_at_versions_and_split_traffic_by_weight(cloud):
    create(cloud, "fn", VERSIONED.replace("CODE", "one"))
    lam = client(cloud)
    lam.publish_version(FunctionName="fn")
    update(cloud, "fn", "two")
    lam.publish_version(FunctionName="fn")
    alias = lam.create_alias(FunctionName="fn", Name="live", FunctionVersion="1")
    assert alias["AliasArn"] == f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:fn:live"
    answer = invoke(cloud, "fn", {}, Qualifier="live")
    assert (answer["payload"]["code"], answer["version"]) == ("one", "1")
    lam.update_alias(FunctionName="fn", Name="live", FunctionVersion="1",
                     RoutingConfig={"AdditionalVersionWeights": {"2": 0.5}})
    seen = {invoke(cloud, "fn", {}, Qualifier="live")["version"] for _ in range(60)}
    assert seen == {"1", "2"}  # 60 draws at one half: both versions (the chance of not is 2^-59)
    lam.update_alias(FunctionName="fn", Name="live", FunctionVersion="2", RoutingConfig={"AdditionalVersionWeights": {}})
    assert invoke(cloud, "fn", {}, Qualifier="live")["version"] == "2"
    assert [a["Name"] for a in lam.list_aliases(FunctionName="fn")["Aliases"]] == ["live"]
    again = error_of(lambda: lam.create_alias(FunctionName="fn", Name="live", FunctionVersion="1"))
    assert (again["Code"], again["Status"]) == ("ResourceConflictException", 409)
    latest_split = error_of(lambda: lam.create_alias(FunctionName="fn", Name="bad", FunctionVersion="$LATEST",
                                                     RoutingConfig={"AdditionalVersionWeights": {"1": 0.1}}))
    assert latest_split["Code"] == "InvalidParameterValueException"
    lam.delete_alias(FunctionName="fn", Name="live")
    assert error_of(lambda: lam.get_alias(FunctionName="fn", Name="live"))["Code"] == "ResourceNotFoundException"


def test_layers_are_on_the_module_path(cloud):
    lam = client(cloud)
    layer = lam.publish_layer_version(LayerName="helpers", CompatibleRuntimes=["python3.12"],
                                      Content={"ZipFile": zipped({"python/helper.py": "def shout(s):\n    return s.upper()\n"})})
    assert layer["Version"] == 1
    assert layer["LayerVersionArn"] == f"arn:aws:lambda:us-east-1:{ACCOUNT}:layer:helpers:1"
    create(cloud, "uses", "import helper\ndef handler(event, context):\n    return helper.shout(event['s'])\n",
           Layers=[layer["LayerVersionArn"]])
    assert invoke(cloud, "uses", {"s": "hi"})["payload"] == "HI"
    assert lam.get_function_configuration(FunctionName="uses")["Layers"][0]["Arn"] == layer["LayerVersionArn"]
    assert [v["Version"] for v in lam.list_layer_versions(LayerName="helpers")["LayerVersions"]] == [1]
    assert [x["LayerName"] for x in lam.list_layers()["Layers"]] == ["helpers"]
    # another account may use it once the layer's policy says so
    other_role = role(cloud, "other-role", OTHER)
    source = "import helper\ndef handler(e, c):\n    return helper.shout('x')\n"
    refused = error_of(lambda: client(cloud, account=OTHER).create_function(
        FunctionName="borrow", Runtime="python3.12", Role=other_role, Handler="app.handler",
        Code={"ZipFile": zipped({"app.py": source})}, Layers=[layer["LayerVersionArn"]]))
    assert refused["Code"] == "AccessDeniedException"
    lam.add_layer_version_permission(LayerName="helpers", VersionNumber=1, StatementId="share",
                                     Action="lambda:GetLayerVersion", Principal=OTHER)
    create(cloud, "borrow", source, account=OTHER, role_arn=other_role, Layers=[layer["LayerVersionArn"]])
    assert invoke(cloud, "borrow", {}, account=OTHER)["payload"] == "X"
    lam.delete_layer_version(LayerName="helpers", VersionNumber=1)
    assert error_of(lambda: lam.get_layer_version(LayerName="helpers", VersionNumber=1))["Code"] == \
        "ResourceNotFoundException"
    assert invoke(cloud, "uses", {"s": "still"})["payload"] == "STILL"  # a function keeps the layer it was given


def test_function_policies_let_other_accounts_invoke(cloud):
    arn = create(cloud, "shared", VERSIONED.replace("CODE", "x"))["FunctionArn"]
    lam = client(cloud)
    other = client(cloud, account=OTHER)
    denied = error_of(lambda: other.invoke(FunctionName=arn))
    assert (denied["Code"], denied["Status"]) == ("AccessDeniedException", 403)
    added = lam.add_permission(FunctionName="shared", StatementId="other", Action="lambda:InvokeFunction",
                               Principal=OTHER)
    assert json.loads(added["Statement"])["Principal"] == {"AWS": f"arn:aws:iam::{OTHER}:root"}
    assert json.loads(other.invoke(FunctionName=arn)["Payload"].read())["code"] == "x"
    policy = json.loads(lam.get_policy(FunctionName="shared")["Policy"])
    assert [s["Sid"] for s in policy["Statement"]] == ["other"]
    duplicate = error_of(lambda: lam.add_permission(FunctionName="shared", StatementId="other",
                                                    Action="lambda:InvokeFunction", Principal=OTHER))
    assert (duplicate["Code"], duplicate["Status"]) == ("ResourceConflictException", 409)
    lam.remove_permission(FunctionName="shared", StatementId="other")
    assert error_of(lambda: other.invoke(FunctionName=arn))["Code"] == "AccessDeniedException"
    assert error_of(lambda: lam.get_policy(FunctionName="shared"))["Code"] == "ResourceNotFoundException"
    assert error_of(lambda: lam.remove_permission(FunctionName="shared", StatementId="other"))["Code"] == \
        "ResourceNotFoundException"


def test_a_resource_policy_given_whole_replaces_the_statements(cloud):
    arn = create(cloud, "shared", VERSIONED.replace("CODE", "x"))["FunctionArn"]
    lam = client(cloud)
    other = client(cloud, account=OTHER)
    lam.add_permission(FunctionName="shared", StatementId="s3", Action="lambda:InvokeFunction", Principal="s3.amazonaws.com")
    policy = {"Version": "2012-10-17", "Id": "mine", "Statement": [
        {"Sid": "other", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OTHER}:root"},
         "Action": "lambda:InvokeFunction", "Resource": arn}]}
    put = lam.put_resource_policy(ResourceArn=arn, Policy=json.dumps(policy))
    assert json.loads(put["Policy"]) == policy and len(put["RevisionId"]) == 36
    got = lam.get_resource_policy(ResourceArn=arn)
    assert (json.loads(got["Policy"]), got["RevisionId"]) == (policy, put["RevisionId"])
    assert [s["Sid"] for s in json.loads(lam.get_policy(FunctionName="shared")["Policy"])["Statement"]] == ["other"]
    assert json.loads(other.invoke(FunctionName=arn)["Payload"].read())["code"] == "x"
    stale = error_of(lambda: lam.delete_resource_policy(ResourceArn=arn, RevisionId="0" * 8 + "-0000-0000-0000-" + "0" * 12))
    assert (stale["Code"], stale["Status"]) == ("PreconditionFailedException", 412)
    not_json = error_of(lambda: lam.put_resource_policy(ResourceArn=arn, Policy="{nope"))
    assert not_json["Code"] == "InvalidParameterValueException"
    lam.delete_resource_policy(ResourceArn=arn, RevisionId=put["RevisionId"])
    assert error_of(lambda: other.invoke(FunctionName=arn))["Code"] == "AccessDeniedException"
    assert error_of(lambda: lam.get_resource_policy(ResourceArn=arn))["Code"] == "ResourceNotFoundException"
    missing = error_of(lambda: lam.get_resource_policy(ResourceArn=arn.replace("shared", "nope")))
    assert (missing["Code"], missing["Status"]) == ("ResourceNotFoundException", 404)
