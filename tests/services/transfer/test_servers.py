"""Transfer Family's control plane through boto3 and the AWS CLI: CreateServer's rules, the
server states, host keys, security policies, users and their keys, tags, TestIdentityProvider,
and what regionbox answers for the parts of Transfer it does not serve."""

from __future__ import annotations

import json
import os
import subprocess

import pytest
from botocore.exceptions import ClientError

from tests.services.transfer.helpers import ACCOUNT, clients, key_pair, offline, online, role, sftp_server

LAMBDA = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:idp"
CERT = f"arn:aws:acm:us-east-1:{ACCOUNT}:certificate/0a1b2c3d-0000-4000-8000-000000000000"


def error_of(call) -> dict:
    try:
        call()
    except ClientError as caught:
        fields = {k: v for k, v in caught.response.items() if k not in ("Error", "ResponseMetadata")}
        return {**fields, **caught.response["Error"], "Status": caught.response["ResponseMetadata"]["HTTPStatusCode"]}
    raise AssertionError("no error")


@pytest.fixture
def transfer(cloud):
    return cloud.client("transfer", account=ACCOUNT)


@pytest.fixture
def vpc(cloud):
    ec2 = cloud.client("ec2", account=ACCOUNT)
    subnets = ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"]
    return {"VpcId": subnets[0]["VpcId"], "SubnetIds": [s["SubnetId"] for s in subnets[:2]]}


def test_create_server_rules(transfer, vpc):
    def refused(**params) -> str:
        error = error_of(lambda: transfer.create_server(**params))
        assert error["Code"] == "InvalidRequestException", error
        return error["Message"]

    assert "VPC" in refused(Protocols=["FTP"], IdentityProviderType="AWS_LAMBDA",
                            IdentityProviderDetails={"Function": LAMBDA})
    assert "identity provider" in refused(Protocols=["FTP"], EndpointType="VPC", EndpointDetails=vpc)
    assert "certificate" in refused(Protocols=["FTPS"], EndpointType="VPC", EndpointDetails=vpc,
                                    IdentityProviderType="AWS_LAMBDA", IdentityProviderDetails={"Function": LAMBDA})
    assert "FTPS" in refused(Protocols=["SFTP"], Certificate=CERT)
    assert "Function" in refused(IdentityProviderType="AWS_LAMBDA")
    assert "Url" in refused(IdentityProviderType="API_GATEWAY", IdentityProviderDetails={"Url": "https://x.example"})
    assert "IdentityProviderType" in refused(IdentityProviderDetails={"SftpAuthenticationMethods": "PASSWORD"})
    assert "subnet" in refused(EndpointType="VPC", EndpointDetails={"VpcId": vpc["VpcId"], "SubnetIds": ["subnet-0123456789abcdef0"]})
    assert "security policy" in refused(SecurityPolicyName="TransferSecurityPolicy-1999-01")
    assert "log group" in refused(StructuredLogDestinations=["arn:aws:s3:::not-a-log-group"])
    assert error_of(lambda: transfer.create_server(WorkflowDetails={"OnUpload": [
        {"WorkflowId": "w-0123456789abcdefg", "ExecutionRole": f"arn:aws:iam::{ACCOUNT}:role/x"}]}))["Code"] == \
        "ResourceNotFoundException"
    # FTP and FTPS with a VPC endpoint and a custom identity provider are fine.
    server_id = transfer.create_server(Protocols=["FTPS", "FTP"], EndpointType="VPC", EndpointDetails=vpc, Certificate=CERT,
                                       IdentityProviderType="AWS_LAMBDA", IdentityProviderDetails={"Function": LAMBDA},
                                       ProtocolDetails={"PassiveIp": "AUTO"})["ServerId"]
    server = online(transfer, server_id)
    assert server["Protocols"] == ["FTPS", "FTP"] and server["Certificate"] == CERT
    assert server["EndpointDetails"] == vpc and server["ProtocolDetails"]["TlsSessionResumptionMode"] == "ENFORCED"


def test_server_lifecycle_states_describe_list_update_delete(cloud, transfer):
    server_id = transfer.create_server(Tags=[{"Key": "team", "Value": "data"}],
                                       PreAuthenticationLoginBanner="Authorized use only")["ServerId"]
    assert transfer.describe_server(ServerId=server_id)["Server"]["State"] in ("STARTING", "ONLINE")
    server = online(transfer, server_id)
    assert server["Arn"] == f"arn:aws:transfer:us-east-1:{ACCOUNT}:server/{server_id}"
    assert server["IdentityProviderType"] == "SERVICE_MANAGED" and server["EndpointType"] == "PUBLIC"
    assert server["Protocols"] == ["SFTP"] and server["SecurityPolicyName"] == "TransferSecurityPolicy-2018-11"
    assert server["HostKeyFingerprint"].startswith("SHA256:") and server["Tags"] == [{"Key": "team", "Value": "data"}]
    assert server["PreAuthenticationLoginBanner"] == "Authorized use only"
    listed = transfer.list_servers()["Servers"]
    assert [s["ServerId"] for s in listed] == [server_id] and listed[0]["State"] == "ONLINE"

    transfer.stop_server(ServerId=server_id)
    assert transfer.describe_server(ServerId=server_id)["Server"]["State"] in ("STOPPING", "OFFLINE")
    offline(transfer, server_id)
    assert transfer.describe_server(ServerId=server_id)["Server"]["State"] == "OFFLINE"
    transfer.start_server(ServerId=server_id)
    online(transfer, server_id)

    transfer.update_server(ServerId=server_id, SecurityPolicyName="TransferSecurityPolicy-2024-01",
                           LoggingRole=f"arn:aws:iam::{ACCOUNT}:role/logging")
    updated = transfer.describe_server(ServerId=server_id)["Server"]
    assert updated["SecurityPolicyName"] == "TransferSecurityPolicy-2024-01" and updated["LoggingRole"].endswith("role/logging")
    transfer.delete_server(ServerId=server_id)
    missing = error_of(lambda: transfer.describe_server(ServerId=server_id))
    assert (missing["Code"], missing["Message"]) == ("ResourceNotFoundException", "Unknown server")
    assert missing["Resource"] == server_id and missing["ResourceType"] == "Server"


def test_host_keys_import_describe_list_update_delete(cloud, transfer, tmp_path):
    server_id = sftp_server(cloud)
    first = transfer.list_host_keys(ServerId=server_id)["HostKeys"]
    assert len(first) == 1 and first[0]["Type"] == "ssh-rsa"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / "host")], check=True)
    body = (tmp_path / "host").read_text()
    key_id = transfer.import_host_key(ServerId=server_id, HostKeyBody=body, Description="new ed25519")["HostKeyId"]
    described = transfer.describe_host_key(ServerId=server_id, HostKeyId=key_id)["HostKey"]
    assert described["Type"] == "ssh-ed25519" and described["Description"] == "new ed25519"
    assert described["Arn"] == f"arn:aws:transfer:us-east-1:{ACCOUNT}:host-key/{server_id}/{key_id}"
    fingerprint = subprocess.run(["ssh-keygen", "-l", "-f", str(tmp_path / "host.pub")], capture_output=True,
                                 text=True).stdout.split()[1]
    assert described["HostKeyFingerprint"] == fingerprint
    assert error_of(lambda: transfer.import_host_key(ServerId=server_id, HostKeyBody=body))["Code"] == "ResourceExistsException"
    assert error_of(lambda: transfer.import_host_key(ServerId=server_id, HostKeyBody="not a key"))["Code"] == \
        "InvalidRequestException"
    transfer.update_host_key(ServerId=server_id, HostKeyId=key_id, Description="renamed")
    assert transfer.describe_host_key(ServerId=server_id, HostKeyId=key_id)["HostKey"]["Description"] == "renamed"
    assert len(transfer.list_host_keys(ServerId=server_id)["HostKeys"]) == 2
    # The server shows clients the new ed25519 key (the oldest of its type) beside the RSA one.
    scan = subprocess.run(["ssh-keyscan", "-t", "ed25519", "-p", "22",
                           cloud.cloud.services.api("transfer").endpoints(ACCOUNT, "us-east-1", server_id)[0].address],
                          capture_output=True, text=True, timeout=30)
    assert body and (tmp_path / "host.pub").read_text().split()[1] in scan.stdout
    transfer.delete_host_key(ServerId=server_id, HostKeyId=key_id)
    assert [k["HostKeyId"] for k in transfer.list_host_keys(ServerId=server_id)["HostKeys"]] == [first[0]["HostKeyId"]]
    assert error_of(lambda: transfer.delete_host_key(ServerId=server_id, HostKeyId=first[0]["HostKeyId"]))["Code"] == \
        "InvalidRequestException"


def test_security_policies(transfer):
    names = transfer.list_security_policies()["SecurityPolicyNames"]
    assert "TransferSecurityPolicy-2018-11" in names and "TransferSecurityPolicy-FIPS-2024-01" in names
    policy = transfer.describe_security_policy(SecurityPolicyName="TransferSecurityPolicy-FIPS-2024-01")["SecurityPolicy"]
    assert policy["Fips"] is True and "chacha20-poly1305@openssh.com" not in policy["SshCiphers"]
    assert error_of(lambda: transfer.describe_security_policy(SecurityPolicyName="TransferSecurityPolicy-Nope"))["Code"] == \
        "ResourceNotFoundException"


def test_a_security_policy_decides_the_ciphers_clients_may_use(cloud, transfer, tmp_path):
    server_id = sftp_server(cloud, SecurityPolicyName="TransferSecurityPolicy-2023-05")
    address = cloud.cloud.services.api("transfer").endpoints(ACCOUNT, "us-east-1", server_id)[0].address
    key, public = key_pair(tmp_path)
    transfer.create_user(ServerId=server_id, UserName="ann", Role=role(cloud), HomeDirectory="/", SshPublicKeyBody=public)

    def connect(cipher: str) -> int:
        return subprocess.run(["sftp", "-b", "-", "-i", str(key), "-c", cipher, "-o", "StrictHostKeyChecking=no",
                               "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes", f"ann@{address}"],
                              input="pwd\n", capture_output=True, text=True, timeout=30).returncode

    assert connect("aes256-gcm@openssh.com") == 0
    assert connect("chacha20-poly1305@openssh.com") != 0


def test_users_and_their_ssh_keys(cloud, transfer, tmp_path):
    server_id = sftp_server(cloud)
    arn = role(cloud)
    _, first = key_pair(tmp_path, "first")
    _, second = key_pair(tmp_path, "second", "rsa")
    mappings = [{"Entry": "/", "Target": "/inbox/home/ann"}, {"Entry": "/shared", "Target": "/inbox/shared"}]
    transfer.create_user(ServerId=server_id, UserName="ann", Role=arn, HomeDirectoryType="LOGICAL",
                         HomeDirectoryMappings=mappings, SshPublicKeyBody=first,
                         PosixProfile={"Uid": 1000, "Gid": 1000}, Tags=[{"Key": "k", "Value": "v"}])
    user = transfer.describe_user(ServerId=server_id, UserName="ann")["User"]
    assert user["Arn"] == f"arn:aws:transfer:us-east-1:{ACCOUNT}:user/{server_id}/ann"
    assert user["HomeDirectoryType"] == "LOGICAL" and user["HomeDirectoryMappings"] == mappings
    assert user["PosixProfile"]["Uid"] == 1000 and user["SshPublicKeys"][0]["SshPublicKeyBody"] == first.strip()
    assert error_of(lambda: transfer.create_user(ServerId=server_id, UserName="ann", Role=arn))["Code"] == \
        "ResourceExistsException"
    assert "LOGICAL" in error_of(lambda: transfer.create_user(ServerId=server_id, UserName="bob", Role=arn,
                                                              HomeDirectoryType="LOGICAL"))["Message"]
    assert error_of(lambda: transfer.create_user(ServerId=server_id, UserName="bob", Role=arn,
                                                 SshPublicKeyBody="ssh-rsa AAAAnotakey"))["Code"] == "InvalidRequestException"
    assert error_of(lambda: transfer.create_user(ServerId=server_id, UserName="bob", Role=arn,
                                                 Policy="{not json"))["Code"] == "InvalidRequestException"
    key_id = transfer.import_ssh_public_key(ServerId=server_id, UserName="ann", SshPublicKeyBody=second)["SshPublicKeyId"]
    assert error_of(lambda: transfer.import_ssh_public_key(ServerId=server_id, UserName="ann", SshPublicKeyBody=second))[
        "Code"] == "ResourceExistsException"
    listed = transfer.list_users(ServerId=server_id)["Users"]
    assert listed == [{"Arn": user["Arn"], "UserName": "ann", "Role": arn, "HomeDirectoryType": "LOGICAL",
                       "SshPublicKeyCount": 2}]
    transfer.delete_ssh_public_key(ServerId=server_id, UserName="ann", SshPublicKeyId=key_id)
    assert error_of(lambda: transfer.delete_ssh_public_key(ServerId=server_id, UserName="ann", SshPublicKeyId=key_id))[
        "Code"] == "ResourceNotFoundException"
    transfer.update_user(ServerId=server_id, UserName="ann", HomeDirectoryType="PATH", HomeDirectory="/inbox/ann")
    updated = transfer.describe_user(ServerId=server_id, UserName="ann")["User"]
    assert updated["HomeDirectoryType"] == "PATH" and updated["HomeDirectory"] == "/inbox/ann"
    assert "HomeDirectoryMappings" not in updated
    assert transfer.describe_server(ServerId=server_id)["Server"]["UserCount"] == 1
    transfer.delete_user(ServerId=server_id, UserName="ann")
    missing = error_of(lambda: transfer.describe_user(ServerId=server_id, UserName="ann"))
    assert (missing["Code"], missing["Message"], missing["ResourceType"]) == ("ResourceNotFoundException", "Unknown user", "User")


def test_tags_of_servers_users_and_workflows(cloud, transfer):
    server_id = sftp_server(cloud)
    transfer.create_user(ServerId=server_id, UserName="ann", Role=role(cloud))
    workflow = transfer.create_workflow(Steps=[{"Type": "DELETE", "DeleteStepDetails": {"Name": "rm"}}])["WorkflowId"]
    for arn in (f"arn:aws:transfer:us-east-1:{ACCOUNT}:server/{server_id}",
                f"arn:aws:transfer:us-east-1:{ACCOUNT}:user/{server_id}/ann",
                f"arn:aws:transfer:us-east-1:{ACCOUNT}:workflow/{workflow}"):
        transfer.tag_resource(Arn=arn, Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}])
        transfer.untag_resource(Arn=arn, TagKeys=["a"])
        assert transfer.list_tags_for_resource(Arn=arn)["Tags"] == [{"Key": "b", "Value": "2"}]
    assert error_of(lambda: transfer.list_tags_for_resource(
        Arn=f"arn:aws:transfer:us-east-1:{ACCOUNT}:server/s-00000000000000000"))["Code"] == "ResourceNotFoundException"


def test_test_identity_provider(cloud, transfer, vpc):
    managed = sftp_server(cloud)
    refused = error_of(lambda: transfer.test_identity_provider(ServerId=managed, UserName="ann"))
    assert (refused["Code"], refused["Message"]) == ("InvalidRequestException", f"{managed} not configured for external auth")
    assert error_of(lambda: transfer.test_identity_provider(ServerId="s-00000000000000000", UserName="ann"))["Code"] == \
        "ResourceNotFoundException"
    # A Lambda identity provider whose function does not exist.
    custom = transfer.create_server(IdentityProviderType="AWS_LAMBDA", IdentityProviderDetails={"Function": LAMBDA})["ServerId"]
    answer = transfer.test_identity_provider(ServerId=custom, UserName="ann", UserPassword="secret")
    assert answer["StatusCode"] == 500 and "Function not found" in answer["Message"] and answer["Url"] == LAMBDA


def test_what_is_not_served_answers_501_with_a_reason(transfer):
    error = error_of(lambda: transfer.list_web_apps())
    assert error["Status"] == 501 and "IAM Identity Center" in error["Message"]
    assert "EFS" in error_of(lambda: transfer.create_server(Domain="EFS"))["Message"]


def test_the_aws_cli(cloud, tmp_path):
    env = {**os.environ, "AWS_ACCESS_KEY_ID": ACCOUNT, "AWS_SECRET_ACCESS_KEY": "x", "AWS_DEFAULT_REGION": "us-east-1",
           "AWS_ENDPOINT_URL": cloud.endpoint}

    def aws(*args: str) -> dict:
        done = subprocess.run(["aws", "transfer", *args, "--output", "json"], capture_output=True, text=True, env=env,
                              timeout=120)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout or "{}")

    server_id = aws("create-server", "--protocols", "SFTP", "--identity-provider-type", "SERVICE_MANAGED")["ServerId"]
    transfer, _, _ = clients(cloud)
    online(transfer, server_id)
    _, public = key_pair(tmp_path)
    aws("create-user", "--server-id", server_id, "--user-name", "ann", "--role", role(cloud), "--home-directory",
        "/inbox/ann", "--ssh-public-key-body", public.strip())
    assert aws("describe-user", "--server-id", server_id, "--user-name", "ann")["User"]["HomeDirectory"] == "/inbox/ann"
    assert [s["ServerId"] for s in aws("list-servers")["Servers"]] == [server_id]
    aws("stop-server", "--server-id", server_id)
    offline(transfer, server_id)
    aws("delete-server", "--server-id", server_id)
    assert aws("list-servers")["Servers"] == []
