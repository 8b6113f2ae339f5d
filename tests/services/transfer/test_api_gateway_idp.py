"""The API_GATEWAY identity provider: Transfer calls the API's
``GET /servers/{serverId}/users/{username}/config`` (an AWS_IAM method, signed as a session of the
server's invocation role) with the password in ``Password``/``PasswordBase64`` and ``protocol`` and
``sourceIp`` in the query, and reads the user's configuration from its 200 answer. Here the method
is a Lambda proxy integration (regionbox's API Gateway and Lambda), and users log in with ftplib
and asyncssh."""

from __future__ import annotations

import ftplib
import io
import json
import ssl
from pathlib import Path

import asyncssh
import pytest

from tests.services.lambda_.helpers import create
from tests.services.transfer.helpers import ACCOUNT, TRUST, ResumingFTP_TLS, calls, online, role

KEY = asyncssh.generate_private_key("ssh-ed25519")
CERT = f"arn:aws:acm:us-east-1:{ACCOUNT}:certificate/0a1b2c3d-0000-4000-8000-000000000000"

# The proxy function: keeps every event it gets, answers ann (password "pa55 wörd", or no password:
# a key login, answered with her public key) with her configuration and anyone else with an empty
# object (no Role: refused).
CONFIG = """import base64, json, os
def handler(event, context):
    with open(os.environ["OUT"], "a") as out:
        out.write(json.dumps(event) + "\\n")
    params = event["pathParameters"]
    headers = {name.lower(): value for name, value in event["headers"].items()}
    password = base64.b64decode(headers.get("passwordbase64", "")).decode()
    answer = {}
    if params["username"] == "ann" and password == "pa55 wörd":
        answer = json.loads(os.environ["ANSWER"])
    elif params["username"] == "ann" and "passwordbase64" not in headers:  # a key login: her keys
        answer = dict(json.loads(os.environ["ANSWER"]), PublicKeys=[os.environ["KEY"]])
    return {"statusCode": 200, "body": json.dumps(answer)}
"""


@pytest.fixture
def site(lambda_cloud, tmp_path):
    """An FTP/FTPS/SFTP server whose identity provider is an API: ann's home is /inbox/home/ann."""
    cloud = lambda_cloud
    cloud.reset()
    transfer, s3, iam = (cloud.client(name, account=ACCOUNT) for name in ("transfer", "s3", "iam"))
    s3.create_bucket(Bucket="inbox")
    user_role = role(cloud)
    out = tmp_path / "config-events.jsonl"
    answer = {"Role": user_role, "HomeDirectory": "/inbox/home/ann",
              "Policy": json.dumps({"Version": "2012-10-17", "Statement": [
                  {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})}
    function = create(cloud, "config-fn", CONFIG, account=ACCOUNT,
                      Environment={"Variables": {"OUT": str(out), "ANSWER": json.dumps(answer),
                                                 "KEY": KEY.export_public_key().decode().strip()}})["FunctionArn"]
    gw = cloud.client("apigateway", account=ACCOUNT)
    api = gw.create_rest_api(name="transfer-idp")
    parent = api["rootResourceId"]
    for part in ("servers", "{serverId}", "users", "{username}", "config"):
        parent = gw.create_resource(restApiId=api["id"], parentId=parent, pathPart=part)["id"]
    gw.put_method(restApiId=api["id"], resourceId=parent, httpMethod="GET", authorizationType="AWS_IAM",
                  requestParameters={"method.request.header.PasswordBase64": False,
                                     "method.request.querystring.protocol": False,
                                     "method.request.querystring.sourceIp": False})
    gw.put_integration(restApiId=api["id"], resourceId=parent, httpMethod="GET", type="AWS_PROXY",
                       integrationHttpMethod="POST",
                       uri=f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{function}/invocations")
    gw.create_deployment(restApiId=api["id"], stageName="prod")
    cloud.client("lambda", account=ACCOUNT).add_permission(
        FunctionName="config-fn", StatementId="apigw", Action="lambda:InvokeFunction", Principal="apigateway.amazonaws.com",
        SourceArn=f"arn:aws:execute-api:us-east-1:{ACCOUNT}:{api['id']}/*")
    # The invocation role: Transfer assumes it and calls the API as it.
    invoker = iam.create_role(RoleName="transfer-invoker", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    iam.put_role_policy(RoleName="transfer-invoker", PolicyName="invoke", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "execute-api:Invoke",
                                                "Resource": f"arn:aws:execute-api:us-east-1:{ACCOUNT}:{api['id']}/prod/GET/*"}]}))
    url = f"https://{api['id']}.execute-api.us-east-1.amazonaws.com/prod"  # the invoke URL as AWS shows it
    ec2 = cloud.client("ec2", account=ACCOUNT)
    subnet = ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"][0]
    server_id = transfer.create_server(
        Protocols=["FTP", "FTPS", "SFTP"], EndpointType="VPC", Certificate=CERT,
        EndpointDetails={"VpcId": subnet["VpcId"], "SubnetIds": [subnet["SubnetId"]]},
        IdentityProviderType="API_GATEWAY", IdentityProviderDetails={"Url": url, "InvocationRole": invoker})["ServerId"]
    online(transfer, server_id)
    endpoint = cloud.cloud.services.api("transfer").endpoints(ACCOUNT, "us-east-1", server_id)[0]
    ca = Path(cloud.get("/_regionbox/status")["state_dir"]) / "tls" / "ca.pem"
    return {"cloud": cloud, "transfer": transfer, "s3": s3, "iam": iam, "server": server_id, "url": url, "ca": str(ca),
            "address": endpoint.address, "ftp": endpoint.ftp_port, "sftp": endpoint.sftp_port,
            "calls": lambda: calls(out)}


def ftp_login(site, password: str) -> ftplib.FTP:
    client = ftplib.FTP(encoding="utf-8")
    client.connect(site["address"], site["ftp"], timeout=30)
    client.login("ann", password)
    return client


def test_ftp_login_asks_the_api_as_aws_does(site):
    client = ftp_login(site, "pa55 wörd")
    client.storbinary("STOR hello.txt", io.BytesIO(b"hi"))
    client.quit()
    assert site["s3"].get_object(Bucket="inbox", Key="home/ann/hello.txt")["Body"].read() == b"hi"
    event = site["calls"]()[0]
    assert event["httpMethod"] == "GET" and event["resource"] == "/servers/{serverId}/users/{username}/config"
    assert event["pathParameters"] == {"serverId": site["server"], "username": "ann"}
    assert event["queryStringParameters"] == {"protocol": "FTP", "sourceIp": "127.0.0.1"}
    headers = {name.lower(): value for name, value in event["headers"].items()}
    assert headers["password"] == "pa55 wörd" and headers["passwordbase64"] == "cGE1NSB3w7ZyZA=="
    # Signed as a session of the invocation role.
    assert event["requestContext"]["identity"]["userArn"] == \
        f"arn:aws:sts::{ACCOUNT}:assumed-role/transfer-invoker/{site['server']}"


def test_ftps_login_through_the_api(site):
    client = ResumingFTP_TLS(context=ssl.create_default_context(cafile=site["ca"]), encoding="utf-8")
    client.connect(site["address"], site["ftp"], timeout=30)
    client.auth()
    client.login("ann", "pa55 wörd")
    client.prot_p()
    client.storbinary("STOR secret.bin", io.BytesIO(b"x" * 100_000))
    client.quit()
    assert site["s3"].head_object(Bucket="inbox", Key="home/ann/secret.bin")["ContentLength"] == 100_000
    assert site["calls"]()[-1]["queryStringParameters"]["protocol"] == "FTPS"


def test_a_wrong_password_is_refused(site):
    with pytest.raises(ftplib.error_perm, match="^530"):
        ftp_login(site, "guess")


def test_sftp_password_login_through_the_api(site):
    async def scenario(password: str):
        async with asyncssh.connect(site["address"], site["sftp"], username="ann", password=password,
                                    known_hosts=None, client_keys=None) as conn:
            async with conn.start_sftp_client() as client:
                async with client.open("from-sftp.txt", "wb") as file:
                    await file.write(b"via sftp")
    site["cloud"].run(scenario("pa55 wörd"))
    assert site["s3"].get_object(Bucket="inbox", Key="home/ann/from-sftp.txt")["Body"].read() == b"via sftp"
    assert site["calls"]()[-1]["queryStringParameters"]["protocol"] == "SFTP"
    with pytest.raises(asyncssh.PermissionDenied):
        site["cloud"].run(scenario("nope"))


def test_sftp_key_login_through_the_api(site):
    """Without a password Transfer sends no Password headers, and checks the key against the
    PublicKeys the API answers."""
    async def scenario(key):
        async with asyncssh.connect(site["address"], site["sftp"], username="ann", client_keys=[key],
                                    known_hosts=None, preferred_auth="publickey") as conn:
            async with conn.start_sftp_client() as client:
                return await client.listdir(".")
    assert site["cloud"].run(scenario(KEY)) is not None
    event = site["calls"]()[-1]
    assert not {"password", "passwordbase64"} & {name.lower() for name in event["headers"]}
    with pytest.raises(asyncssh.PermissionDenied):
        site["cloud"].run(scenario(asyncssh.generate_private_key("ssh-ed25519")))


def test_test_identity_provider_answers_what_the_api_says(site):
    transfer, server = site["transfer"], site["server"]
    answer = transfer.test_identity_provider(ServerId=server, UserName="ann", UserPassword="pa55 wörd",
                                             ServerProtocol="SFTP", SourceIp="10.0.0.7")
    assert answer["StatusCode"] == 200 and answer["Message"] == ""
    assert answer["Url"] == f"{site['url']}/servers/{server}/users/ann/config?protocol=SFTP&sourceIp=10.0.0.7"
    assert json.loads(answer["Response"])["HomeDirectory"] == "/inbox/home/ann"
    refused = transfer.test_identity_provider(ServerId=server, UserName="ann", UserPassword="wrong")
    assert (refused["StatusCode"], refused["Response"]) == (200, "{}") and "role" in refused["Message"]


def test_the_invocation_role_must_trust_transfer_and_may_invoke(site):
    transfer, server, iam = site["transfer"], site["server"], site["iam"]
    # Without execute-api:Invoke the API refuses the signed call: a 403, and no login.
    iam.delete_role_policy(RoleName="transfer-invoker", PolicyName="invoke")
    denied = transfer.test_identity_provider(ServerId=server, UserName="ann", UserPassword="pa55 wörd")
    assert denied["StatusCode"] == 403 and "execute-api:Invoke" in denied["Response"]
    assert "HTTP 403" in denied["Message"]
    with pytest.raises(ftplib.error_perm, match="^530"):
        ftp_login(site, "pa55 wörd")
    # A role Transfer cannot assume: the provider cannot be called at all.
    other = iam.create_role(RoleName="not-for-transfer", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                                "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
    transfer.update_server(ServerId=server, IdentityProviderDetails={"InvocationRole": other})
    refused = transfer.test_identity_provider(ServerId=server, UserName="ann", UserPassword="pa55 wörd")
    assert refused["StatusCode"] == 500 and "cannot assume the invocation role" in refused["Message"]


def test_a_url_that_is_no_api_of_regionbox(site):
    site["transfer"].update_server(ServerId=site["server"], IdentityProviderDetails={"Url": "https://idp.example.com/prod"})
    answer = site["transfer"].test_identity_provider(ServerId=site["server"], UserName="ann", UserPassword="pa55 wörd")
    assert answer["StatusCode"] == 500 and "is not an API Gateway invoke URL" in answer["Message"]
