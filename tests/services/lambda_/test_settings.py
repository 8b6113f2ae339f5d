"""InvokeWithResponseStream as botocore reads its event stream; provisioned concurrency and code
signing configurations through boto3, with the errors Lambda answers; what still answers 501."""

from __future__ import annotations

import base64
import json

from tests.services.lambda_.helpers import ACCOUNT, client, create, error_of, zipped

BIG = """def handler(event, context):
    if event.get("fail"):
        raise RuntimeError("broken")
    print("streaming")
    return {"data": "x" * event["size"]}
"""
PROFILE = "arn:aws:signer:us-east-1:111111111111:/signing-profiles/p/abcdefghij"


def test_invoke_with_response_stream_as_botocore_reads_it(cloud):
    create(cloud, "stream", BIG)
    lam = client(cloud)
    answer = lam.invoke_with_response_stream(FunctionName="stream", Payload=json.dumps({"size": 100000}),
                                             LogType="Tail")
    assert (answer["StatusCode"], answer["ExecutedVersion"]) == (200, "$LATEST")
    events = list(answer["EventStream"])
    chunks = [e["PayloadChunk"]["Payload"] for e in events if "PayloadChunk" in e]
    assert len(chunks) > 1 and json.loads(b"".join(chunks)) == {"data": "x" * 100000}
    complete = events[-1]["InvokeComplete"]
    assert "ErrorCode" not in complete and "streaming" in base64.b64decode(complete["LogResult"]).decode()
    failed = list(lam.invoke_with_response_stream(FunctionName="stream", Payload=b'{"fail": true}')["EventStream"])
    assert [list(e) for e in failed] == [["InvokeComplete"]]
    assert failed[0]["InvokeComplete"]["ErrorCode"] == "RuntimeError"
    assert json.loads(failed[0]["InvokeComplete"]["ErrorDetails"])["errorMessage"] == "broken"
    dry = lam.invoke_with_response_stream(FunctionName="stream", InvocationType="DryRun")
    assert dry["StatusCode"] == 204
    missing = error_of(lambda: lam.invoke_with_response_stream(FunctionName="nope"))
    assert (missing["Code"], missing["Status"]) == ("ResourceNotFoundException", 404)


def test_provisioned_concurrency_on_versions_and_aliases(cloud):
    create(cloud, "warm", BIG)
    lam = client(cloud)
    version = lam.publish_version(FunctionName="warm")["Version"]
    lam.create_alias(FunctionName="warm", Name="live", FunctionVersion=version)
    latest = error_of(lambda: lam.put_provisioned_concurrency_config(FunctionName="warm", Qualifier="$LATEST",
                                                                    ProvisionedConcurrentExecutions=1))
    assert latest["Code"] == "InvalidParameterValueException"
    assert latest["Message"] == "Provisioned Concurrency Configs cannot be applied to unpublished function versions."
    put = lam.put_provisioned_concurrency_config(FunctionName="warm", Qualifier="live", ProvisionedConcurrentExecutions=5)
    assert put["ResponseMetadata"]["HTTPStatusCode"] == 202 and put["RequestedProvisionedConcurrentExecutions"] == 5
    got = lam.get_provisioned_concurrency_config(FunctionName="warm", Qualifier="live")
    assert (got["Status"], got["AllocatedProvisionedConcurrentExecutions"]) == ("READY", 5)
    both = error_of(lambda: lam.put_provisioned_concurrency_config(FunctionName="warm", Qualifier=version,
                                                                  ProvisionedConcurrentExecutions=1))
    assert both["Code"] == "ResourceConflictException"
    listed = lam.list_provisioned_concurrency_configs(FunctionName="warm")["ProvisionedConcurrencyConfigs"]
    assert [c["FunctionArn"] for c in listed] == [f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:warm:live"]
    lam.put_function_concurrency(FunctionName="warm", ReservedConcurrentExecutions=3)
    over = error_of(lambda: lam.put_provisioned_concurrency_config(FunctionName="warm", Qualifier="live",
                                                                  ProvisionedConcurrentExecutions=4))
    assert over["Code"] == "InvalidParameterValueException" and "reservedConcurrentExecution" in over["Message"]
    lam.delete_provisioned_concurrency_config(FunctionName="warm", Qualifier="live")
    gone = error_of(lambda: lam.get_provisioned_concurrency_config(FunctionName="warm", Qualifier="live"))
    assert (gone["Code"], gone["Status"]) == ("ProvisionedConcurrencyConfigNotFoundException", 404)
    missing = error_of(lambda: lam.put_provisioned_concurrency_config(FunctionName="warm", Qualifier="nope",
                                                                     ProvisionedConcurrentExecutions=1))
    assert missing["Code"] == "ResourceNotFoundException"


def test_code_signing_configs_and_what_enforce_does(cloud):
    lam = client(cloud)
    created = lam.create_code_signing_config(Description="team", AllowedPublishers={"SigningProfileVersionArns": [PROFILE]},
                                             CodeSigningPolicies={"UntrustedArtifactOnDeployment": "Warn"})["CodeSigningConfig"]
    arn = created["CodeSigningConfigArn"]
    assert arn == f"arn:aws:lambda:us-east-1:{ACCOUNT}:code-signing-config:{created['CodeSigningConfigId']}"
    assert created["CodeSigningConfigId"].startswith("csc-") and len(created["CodeSigningConfigId"]) == 21
    assert lam.get_code_signing_config(CodeSigningConfigArn=arn)["CodeSigningConfig"]["Description"] == "team"
    assert [c["CodeSigningConfigArn"] for c in lam.list_code_signing_configs()["CodeSigningConfigs"]] == [arn]
    create(cloud, "signed", BIG, CodeSigningConfigArn=arn)  # Warn: an unsigned package deploys
    attached = lam.get_function_code_signing_config(FunctionName="signed")
    assert (attached["CodeSigningConfigArn"], attached["FunctionName"]) == (arn, "signed")
    assert lam.list_functions_by_code_signing_config(CodeSigningConfigArn=arn)["FunctionArns"] == [
        f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:signed"]
    in_use = error_of(lambda: lam.delete_code_signing_config(CodeSigningConfigArn=arn))
    assert in_use["Code"] == "ResourceConflictException"
    lam.update_code_signing_config(CodeSigningConfigArn=arn, CodeSigningPolicies={"UntrustedArtifactOnDeployment": "Enforce"})
    refused = error_of(lambda: lam.update_function_code(FunctionName="signed", ZipFile=zipped({"app.py": BIG})))
    assert (refused["Code"], refused["Status"]) == ("CodeVerificationFailedException", 400)
    unknown = arn[:-3] + "zzz"
    absent = error_of(lambda: lam.put_function_code_signing_config(FunctionName="signed", CodeSigningConfigArn=unknown))
    assert (absent["Code"], absent["Status"]) == ("CodeSigningConfigNotFoundException", 404)
    lam.delete_function_code_signing_config(FunctionName="signed")
    assert lam.get_function_code_signing_config(FunctionName="signed")["CodeSigningConfigArn"] == ""
    lam.update_function_code(FunctionName="signed", ZipFile=zipped({"app.py": BIG}))
    lam.delete_code_signing_config(CodeSigningConfigArn=arn)
    assert error_of(lambda: lam.get_code_signing_config(CodeSigningConfigArn=arn))["Code"] == "ResourceNotFoundException"


def test_what_is_not_built_says_so(cloud):
    create(cloud, "plain", BIG)
    lam = client(cloud)
    for call in (lambda: lam.get_function_scaling_config(FunctionName="plain", Qualifier="1"),
                 lambda: lam.list_capacity_providers(),
                 lambda: lam.list_durable_executions_by_function(FunctionName="plain")):
        refused = error_of(call)
        assert refused["Status"] == 501 and "not built" in refused["Message"], refused


def test_iam_decides_on_the_code_signing_config_and_the_url_alias(cloud):
    lam = client(cloud)
    arn = lam.create_code_signing_config(AllowedPublishers={"SigningProfileVersionArns": [PROFILE]})[
        "CodeSigningConfig"]["CodeSigningConfigArn"]
    other = lam.create_code_signing_config(AllowedPublishers={"SigningProfileVersionArns": [PROFILE]})[
        "CodeSigningConfig"]["CodeSigningConfigArn"]
    create(cloud, "guarded", BIG)
    lam.create_alias(FunctionName="guarded", Name="prod", FunctionVersion=lam.publish_version(FunctionName="guarded")["Version"])
    lam.create_function_url_config(FunctionName="guarded", Qualifier="prod", AuthType="NONE")
    iam = client(cloud, "iam")
    iam.create_user(UserName="reader")
    iam.put_user_policy(UserName="reader", PolicyName="p", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "lambda:GetCodeSigningConfig", "Resource": arn},
        {"Effect": "Allow", "Action": "lambda:GetFunctionUrlConfig",
         "Resource": f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:guarded:prod"}]}))
    key = iam.create_access_key(UserName="reader")["AccessKey"]
    reader = cloud.client("lambda", aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"])
    assert reader.get_code_signing_config(CodeSigningConfigArn=arn)["CodeSigningConfig"]["CodeSigningConfigArn"] == arn
    assert error_of(lambda: reader.get_code_signing_config(CodeSigningConfigArn=other))["Code"] == "AccessDeniedException"
    assert reader.get_function_url_config(FunctionName="guarded", Qualifier="prod")["AuthType"] == "NONE"
    assert error_of(lambda: reader.get_function_url_config(FunctionName="guarded"))["Code"] == "AccessDeniedException"
