"""Functions through boto3: create (Pending -> Active), read, list, update (LastUpdateStatus),
delete, and what CreateFunction refuses as AWS refuses it."""

from __future__ import annotations

import json
import urllib.request

from tests.services.lambda_.helpers import ACCOUNT, client, create, error_of, eventually, role, zipped

HELLO = "def handler(event, context):\n    return 'v1'\n"


def test_create_is_pending_then_active_and_get_list_show_it(cloud):
    lam = client(cloud)
    package = zipped({"app.py": HELLO})
    created = lam.create_function(FunctionName="hello", Runtime="python3.12", Role=role(cloud), Handler="app.handler",
                                  Code={"ZipFile": package}, Timeout=7, MemorySize=256,
                                  Environment={"Variables": {"STAGE": "test"}}, Tags={"team": "a"})
    assert created["State"] == "Pending" and created["StateReasonCode"] == "Creating"
    assert created["FunctionArn"] == f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:hello"
    assert created["Version"] == "$LATEST" and created["PackageType"] == "Zip"
    active = eventually(lambda: (c := lam.get_function_configuration(FunctionName="hello"))["State"] == "Active" and c)
    assert active["LastUpdateStatus"] == "Successful"
    assert (active["Timeout"], active["MemorySize"], active["Environment"]) == (7, 256, {"Variables": {"STAGE": "test"}})
    assert active["CodeSha256"] == created["CodeSha256"] and active["CodeSize"] == created["CodeSize"]
    assert active["LoggingConfig"] == {"LogFormat": "Text", "LogGroup": "/aws/lambda/hello"}
    got = lam.get_function(FunctionName="hello")
    assert got["Tags"] == {"team": "a"} and got["Code"]["RepositoryType"] == "S3"
    with urllib.request.urlopen(got["Code"]["Location"]) as download:  # the package as uploaded
        assert download.read() == package
    assert [f["FunctionName"] for f in lam.list_functions()["Functions"]] == ["hello"]
    assert lam.list_functions()["Functions"][0]["FunctionArn"] == created["FunctionArn"]


def test_update_code_and_configuration_report_their_progress(cloud):
    create(cloud, "f", HELLO)
    lam = client(cloud)
    before = lam.get_function_configuration(FunctionName="f")
    updated = lam.update_function_code(FunctionName="f", ZipFile=zipped({"app.py": HELLO.replace("v1", "v2")}))
    assert updated["LastUpdateStatus"] == "InProgress" and updated["CodeSha256"] != before["CodeSha256"]
    assert updated["RevisionId"] != before["RevisionId"]
    lam.get_waiter("function_updated_v2").wait(FunctionName="f", WaiterConfig={"Delay": 0.05})
    configured = lam.update_function_configuration(FunctionName="f", Timeout=30, Description="second")
    assert configured["LastUpdateStatus"] == "InProgress" and configured["Timeout"] == 30
    lam.get_waiter("function_updated_v2").wait(FunctionName="f", WaiterConfig={"Delay": 0.05})
    stale = error_of(lambda: lam.update_function_configuration(FunctionName="f", Timeout=5, RevisionId=before["RevisionId"]))
    assert (stale["Code"], stale["Status"]) == ("PreconditionFailedException", 412)
    assert client(cloud).invoke(FunctionName="f")["Payload"].read() == b'"v2"'


def test_delete_removes_the_function_and_its_versions(cloud):
    create(cloud, "gone", HELLO)
    lam = client(cloud)
    lam.publish_version(FunctionName="gone")
    lam.delete_function(FunctionName="gone")
    missing = error_of(lambda: lam.get_function(FunctionName="gone"))
    assert (missing["Code"], missing["Status"]) == ("ResourceNotFoundException", 404)
    assert missing["Message"] == f"Function not found: arn:aws:lambda:us-east-1:{ACCOUNT}:function:gone"
    assert error_of(lambda: lam.list_versions_by_function(FunctionName="gone"))["Code"] == "ResourceNotFoundException"
    create(cloud, "gone", HELLO)  # the name is free again
    assert [v["Version"] for v in lam.list_versions_by_function(FunctionName="gone")["Versions"]] == ["$LATEST"]


def test_create_refuses_what_aws_refuses(cloud):
    lam = client(cloud)
    arn = role(cloud)
    base = dict(FunctionName="bad", Runtime="python3.12", Role=arn, Handler="app.handler",
                Code={"ZipFile": zipped({"app.py": HELLO})})
    assert error_of(lambda: lam.create_function(**{**base, "Code": {"ZipFile": b"not a zip"}}))["Message"] == \
        "Could not unzip uploaded file. Please check your file, then try to upload again."
    untrusted = client(cloud, "iam").create_role(RoleName="ec2-only", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                                "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
    for role_arn in (untrusted, f"arn:aws:iam::{ACCOUNT}:role/nobody"):
        refused = error_of(lambda: lam.create_function(**{**base, "Role": role_arn}))
        assert (refused["Code"], refused["Message"]) == ("InvalidParameterValueException",
                                                          "The role defined for the function cannot be assumed by Lambda.")
    reserved = error_of(lambda: lam.create_function(**base, Environment={"Variables": {"AWS_REGION": "x"}}))
    assert reserved["Message"].endswith("Reserved keys used in this request: AWS_REGION")
    too_big = error_of(lambda: lam.create_function(**base, Environment={"Variables": {"KEY": "v" * 5000}}))
    assert "exceeded the 4KB limit" in too_big["Message"]
    old = error_of(lambda: lam.create_function(**{**base, "Runtime": "python3.7"}))
    assert old["Message"].startswith("The runtime parameter of python3.7 is no longer supported")
    no_handler = error_of(lambda: lam.create_function(**{k: v for k, v in base.items() if k != "Handler"}))
    assert no_handler["Message"] == "Runtime and Handler are mandatory parameters for functions created with deployment packages."
    timeout = error_of(lambda: lam.create_function(**base, Timeout=901))
    assert timeout["Code"] == "ValidationException"
    lam.create_function(**base)
    again = error_of(lambda: lam.create_function(**base))
    assert (again["Code"], again["Status"], again["Message"]) == ("ResourceConflictException", 409, "Function already exist: bad")


def test_code_from_an_s3_object(cloud):
    s3 = client(cloud, "s3")
    s3.create_bucket(Bucket="artifacts")
    s3.put_object(Bucket="artifacts", Key="fn.zip", Body=zipped({"app.py": HELLO}))
    lam = client(cloud)
    lam.create_function(FunctionName="from-s3", Runtime="python3.12", Role=role(cloud), Handler="app.handler",
                        Code={"S3Bucket": "artifacts", "S3Key": "fn.zip"})
    lam.get_waiter("function_active_v2").wait(FunctionName="from-s3", WaiterConfig={"Delay": 0.05})
    assert lam.invoke(FunctionName="from-s3")["Payload"].read() == b'"v1"'
    missing = error_of(lambda: lam.update_function_code(FunctionName="from-s3", S3Bucket="artifacts", S3Key="nope.zip"))
    assert missing["Message"] == ("Error occurred while GetObject. S3 Error Code: NoSuchKey. S3 Error Message: "
                                  "The specified key does not exist.")


def test_tags_concurrency_and_account_settings(cloud):
    arn = create(cloud, "tagged", HELLO)["FunctionArn"]
    lam = client(cloud)
    lam.tag_resource(Resource=arn, Tags={"a": "1", "b": "2"})
    lam.untag_resource(Resource=arn, TagKeys=["a"])
    assert lam.list_tags(Resource=arn)["Tags"] == {"b": "2"}
    assert error_of(lambda: lam.list_tags(Resource=arn + ":1"))["Code"] == "InvalidParameterValueException"
    assert lam.put_function_concurrency(FunctionName="tagged", ReservedConcurrentExecutions=5)["ReservedConcurrentExecutions"] == 5
    assert lam.get_function_concurrency(FunctionName="tagged")["ReservedConcurrentExecutions"] == 5
    assert lam.get_function(FunctionName="tagged")["Concurrency"] == {"ReservedConcurrentExecutions": 5}
    settings = lam.get_account_settings()
    assert settings["AccountLimit"]["UnreservedConcurrentExecutions"] == 995
    assert settings["AccountUsage"]["FunctionCount"] == 1
    too_much = error_of(lambda: lam.put_function_concurrency(FunctionName="tagged", ReservedConcurrentExecutions=901))
    assert "below its minimum value of [100]" in too_much["Message"]
    lam.delete_function_concurrency(FunctionName="tagged")
    assert "ReservedConcurrentExecutions" not in lam.get_function_concurrency(FunctionName="tagged")


def test_listing_pages_with_marker(cloud):
    for i in range(5):
        create(cloud, f"fn-{i}", HELLO)
    lam = client(cloud)
    first = lam.list_functions(MaxItems=2)
    assert [f["FunctionName"] for f in first["Functions"]] == ["fn-0", "fn-1"]
    names = [f["FunctionName"] for page in lam.get_paginator("list_functions").paginate(PaginationConfig={"PageSize": 2})
             for f in page["Functions"]]
    assert names == [f"fn-{i}" for i in range(5)]
