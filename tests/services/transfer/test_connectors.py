"""SFTP connectors against a real SFTP server (one of regionbox's own Transfer servers): the login
comes from Secrets Manager, TestConnection shows the host key to trust, and files really move
between the connector's bucket and the remote server, which keeps them in another bucket."""

from __future__ import annotations

import json

import asyncssh
import pytest
from botocore.exceptions import ClientError

from regionbox.testing.waiting import eventually
from tests.services.iam_support import error_of
from tests.services.transfer.helpers import ACCOUNT, TRUST, clients, endpoints, key_pair, role, sftp_server

REMOTE, LOCAL = "partner-files", "our-files"
CAN_READ_SECRETS = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
    {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]}


@pytest.fixture
def partner(cloud, tmp_path):
    """A remote SFTP server with user "partner" (home /partner-files/home), the connector's login
    in Secrets Manager, and the connector's access role."""
    transfer, s3, _ = clients(cloud)
    for bucket in (REMOTE, LOCAL):
        s3.create_bucket(Bucket=bucket)
    server_id = sftp_server(cloud)
    key, public = key_pair(tmp_path)
    transfer.create_user(ServerId=server_id, UserName="partner", Role=role(cloud, "remote-user"),
                         HomeDirectory=f"/{REMOTE}/home", SshPublicKeyBody=public)
    secret = cloud.client("secretsmanager", account=ACCOUNT).create_secret(
        Name="sftp/partner", SecretString=json.dumps({"Username": "partner", "PrivateKey": key.read_text()}))["ARN"]
    endpoint = endpoints(cloud, server_id)[0]
    return {"server_id": server_id, "url": f"sftp://{endpoint.address}:{endpoint.sftp_port}", "secret": secret,
            "role": role(cloud, "connector", CAN_READ_SECRETS)}


def results(transfer, connector_id: str, transfer_id: str) -> list[dict]:
    def finished():
        found = transfer.list_file_transfer_results(ConnectorId=connector_id, TransferId=transfer_id)["FileTransferResults"]
        return found if all(r["StatusCode"] in ("COMPLETED", "FAILED") for r in found) else None
    return eventually(finished, what="the file transfer")


def body(s3, bucket: str, key: str):
    try:
        return s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except ClientError:
        return None


def test_connector_trusts_the_host_key_then_moves_files_both_ways(cloud, partner):
    transfer, s3, _ = clients(cloud)
    connector_id = transfer.create_connector(Url=partner["url"], AccessRole=partner["role"], LoggingRole=partner["role"],
                                             SftpConfig={"UserSecretId": "sftp/partner"},
                                             Tags=[{"Key": "partner", "Value": "acme"}])["ConnectorId"]
    assert connector_id.startswith("c-") and len(connector_id) == 19

    # Untrusted so far: the test fails but shows the key the server presented, which is the server's.
    untrusted = transfer.test_connection(ConnectorId=connector_id)
    assert untrusted["Status"] == "ERROR" and "no trusted host keys" in untrusted["StatusMessage"]
    host_key = untrusted["SftpConnectionDetails"]["HostKey"]
    server = transfer.describe_server(ServerId=partner["server_id"])["Server"]
    assert asyncssh.import_public_key(host_key).get_fingerprint("sha256") == server["HostKeyFingerprint"]
    assert error_of(lambda: transfer.start_file_transfer(ConnectorId=connector_id, SendFilePaths=[f"/{LOCAL}/x"]))[0] \
        == "InvalidRequestException"

    transfer.update_connector(ConnectorId=connector_id, SftpConfig={"TrustedHostKeys": [host_key]})
    described = transfer.describe_connector(ConnectorId=connector_id)["Connector"]
    assert described["SftpConfig"] == {"UserSecretId": "sftp/partner", "TrustedHostKeys": [host_key]}
    assert described["Status"] == "ACTIVE" and described["Arn"].endswith(f":connector/{connector_id}")
    assert transfer.test_connection(ConnectorId=connector_id)["Status"] == "OK"

    # Send: our objects land in the partner's home (their bucket, through their SFTP server).
    s3.put_object(Bucket=LOCAL, Key="outbox/invoice.csv", Body=b"id,amount\n1,100\n")
    sent = transfer.start_file_transfer(ConnectorId=connector_id, RemoteDirectoryPath=f"/{REMOTE}/home",
                                        SendFilePaths=[f"/{LOCAL}/outbox/invoice.csv", f"/{LOCAL}/outbox/missing.csv"])
    outcome = {r["FilePath"]: r for r in results(transfer, connector_id, sent["TransferId"])}
    assert outcome[f"/{LOCAL}/outbox/invoice.csv"]["StatusCode"] == "COMPLETED"
    assert outcome[f"/{LOCAL}/outbox/missing.csv"]["StatusCode"] == "FAILED"
    assert outcome[f"/{LOCAL}/outbox/missing.csv"]["FailureCode"] == "SEND_FILE_NOT_FOUND"
    assert body(s3, REMOTE, "home/invoice.csv") == b"id,amount\n1,100\n"

    # Retrieve: the partner's file comes into our prefix.
    s3.put_object(Bucket=REMOTE, Key="home/report.bin", Body=bytes(range(256)) * 4096)
    s3.put_object(Bucket=REMOTE, Key="home/archive/old.txt", Body=b"old")
    got = transfer.start_file_transfer(ConnectorId=connector_id, RetrieveFilePaths=[f"/{REMOTE}/home/report.bin"],
                                       LocalDirectoryPath=f"/{LOCAL}/inbox")
    assert [r["StatusCode"] for r in results(transfer, connector_id, got["TransferId"])] == ["COMPLETED"]
    assert body(s3, LOCAL, "inbox/report.bin") == bytes(range(256)) * 4096

    # Listing: AWS's JSON document, written into our bucket.
    listing = transfer.start_directory_listing(ConnectorId=connector_id, RemoteDirectoryPath=f"/{REMOTE}/home",
                                               OutputDirectoryPath=f"/{LOCAL}/listings")
    assert listing["OutputFileName"] == f"{connector_id}-{listing['ListingId']}.json"
    document = json.loads(eventually(lambda: body(s3, LOCAL, f"listings/{listing['OutputFileName']}"), what="the listing"))
    assert {f["filePath"]: f["size"] for f in document["files"]} == {
        f"/{REMOTE}/home/invoice.csv": 16, f"/{REMOTE}/home/report.bin": 256 * 4096}
    assert document["paths"] == [{"path": f"/{REMOTE}/home/archive"}] and document["truncated"] is False
    assert all(f["modifiedTimestamp"].endswith("Z") for f in document["files"])
    short = transfer.start_directory_listing(ConnectorId=connector_id, RemoteDirectoryPath=f"/{REMOTE}/home",
                                             OutputDirectoryPath=f"/{LOCAL}", MaxItems=1)
    assert json.loads(eventually(lambda: body(s3, LOCAL, short["OutputFileName"]), what="the short listing"))["truncated"]

    logs = cloud.client("logs", account=ACCOUNT)

    def listed():
        found = [json.loads(e["message"]) for e in logs.filter_log_events(logGroupName=f"/aws/transfer/{connector_id}")["events"]]
        return {e["listing-id"]: e for e in found if e["operation"] == "LIST"}.get(listing["ListingId"])
    event = eventually(listed, what="the listing's log event")
    assert event["status-code"] == "COMPLETED" and event["item-count"] == 3 and event["truncated"] is False
    assert event["output-file-location"] == {"domain": "S3", "bucket": LOCAL, "key": f"listings/{listing['OutputFileName']}"}

    # Move, then delete, on the remote server.
    transfer.start_remote_move(ConnectorId=connector_id, SourcePath=f"/{REMOTE}/home/invoice.csv",
                               TargetPath=f"/{REMOTE}/home/archive/invoice.csv")
    eventually(lambda: body(s3, REMOTE, "home/archive/invoice.csv"), what="the move")
    assert body(s3, REMOTE, "home/invoice.csv") is None
    transfer.start_remote_delete(ConnectorId=connector_id, DeletePath=f"/{REMOTE}/home/archive/invoice.csv")
    eventually(lambda: body(s3, REMOTE, "home/archive/invoice.csv") is None, what="the delete")

    # Tags by ARN, listing, deletion.
    assert transfer.list_tags_for_resource(Arn=described["Arn"])["Tags"] == [{"Key": "partner", "Value": "acme"}]
    assert [c["ConnectorId"] for c in transfer.list_connectors()["Connectors"]] == [connector_id]
    transfer.delete_connector(ConnectorId=connector_id)
    assert error_of(lambda: transfer.describe_connector(ConnectorId=connector_id))[0] == "ResourceNotFoundException"


def test_connection_errors_say_what_is_wrong(cloud, partner, tmp_path):
    transfer, _, iam = clients(cloud)
    _, stranger = key_pair(tmp_path, "stranger")
    wrong = transfer.create_connector(Url=partner["url"], AccessRole=partner["role"], SftpConfig={
        "UserSecretId": "sftp/partner", "TrustedHostKeys": [stranger]})["ConnectorId"]
    tested = transfer.test_connection(ConnectorId=wrong)
    assert tested["Status"] == "ERROR" and "Host key verification failed" in tested["StatusMessage"]

    host_key = tested["SftpConnectionDetails"]["HostKey"]
    iam.create_role(RoleName="no-secrets", AssumeRolePolicyDocument=TRUST)
    denied = transfer.create_connector(Url=partner["url"], AccessRole=f"arn:aws:iam::{ACCOUNT}:role/no-secrets", SftpConfig={
        "UserSecretId": "sftp/partner", "TrustedHostKeys": [host_key]})["ConnectorId"]
    tested = transfer.test_connection(ConnectorId=denied)
    assert tested["Status"] == "ERROR" and "secretsmanager:GetSecretValue" in tested["StatusMessage"]

    missing = transfer.create_connector(Url=partner["url"], AccessRole=partner["role"], LoggingRole=partner["role"],
                                        SftpConfig={"UserSecretId": "sftp/nobody", "TrustedHostKeys": [host_key]})["ConnectorId"]
    assert "can't find the specified secret" in transfer.test_connection(ConnectorId=missing)["StatusMessage"]
    failed = transfer.start_file_transfer(ConnectorId=missing, RetrieveFilePaths=["/x/y"], LocalDirectoryPath=f"/{LOCAL}")
    assert [r["FailureCode"] for r in results(transfer, missing, failed["TransferId"])] == ["SECRET_NOT_FOUND"]
    # A delete has no results to ask for: its failure is in the connector's log, with the retrieve's.
    delete_id = transfer.start_remote_delete(ConnectorId=missing, DeletePath="/x/y")["DeleteId"]
    logs = cloud.client("logs", account=ACCOUNT)

    def logged():
        found = [json.loads(e["message"]) for e in logs.filter_log_events(logGroupName=f"/aws/transfer/{missing}")["events"]]
        return found if {e["operation"] for e in found} == {"RETRIEVE", "DELETE"} else None
    events = {e["operation"]: e for e in eventually(logged, what="the connector's log")}
    assert events["DELETE"]["delete-id"] == delete_id and events["DELETE"]["status-code"] == "FAILED"
    assert events["DELETE"]["failure-code"] == "SECRET_NOT_FOUND" and events["DELETE"]["file-path"] == "/x/y"
    assert events["RETRIEVE"]["transfer-id"] == failed["TransferId"] and events["RETRIEVE"]["local-directory-path"] == f"/{LOCAL}"

    assert error_of(lambda: transfer.create_connector(Url="https://example.com", AccessRole=partner["role"],
                                                   SftpConfig={"UserSecretId": "s"}))[0] == "InvalidRequestException"
    with pytest.raises(ClientError) as caught:
        transfer.create_connector(Url="https://example.com/as2", AccessRole=partner["role"],
                                  As2Config={"LocalProfileId": "p-" + "0" * 17, "PartnerProfileId": "p-" + "1" * 17})
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 501
    assert error_of(lambda: transfer.test_connection(ConnectorId="c-" + "0" * 17)) == ("ResourceNotFoundException",
                                                                                    "Unknown connector")
    page = transfer.list_connectors(MaxResults=2)
    assert len(page["Connectors"]) == 2 and len(transfer.list_connectors(NextToken=page["NextToken"])["Connectors"]) == 1


def test_a_transfer_cut_by_kill_9_is_failed_after_the_restart(tmp_path):
    """A remote server that accepts and never answers holds the transfer QUEUED while it connects;
    regionbox is killed then: after the restart the file is FAILED, not QUEUED for ever."""
    import socket

    from regionbox.testing import CloudProcess

    _, host_key = key_pair(tmp_path, "somebody")
    silent = socket.create_server(("127.0.0.1", 0))
    process = CloudProcess(tmp_path / "state").start()
    try:
        transfer, sm = process.client("transfer", account=ACCOUNT), process.client("secretsmanager", account=ACCOUNT)
        iam = process.client("iam", account=ACCOUNT)
        access = iam.create_role(RoleName="connector", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
        iam.put_role_policy(RoleName="connector", PolicyName="all", PolicyDocument=json.dumps(CAN_READ_SECRETS))
        sm.create_secret(Name="login", SecretString=json.dumps({"Username": "u", "Password": "p"}))
        connector_id = transfer.create_connector(Url=f"sftp://127.0.0.1:{silent.getsockname()[1]}", AccessRole=access,
                                                 SftpConfig={"UserSecretId": "login", "TrustedHostKeys": [host_key]})["ConnectorId"]
        transfer_id = transfer.start_file_transfer(ConnectorId=connector_id, RetrieveFilePaths=["/data.csv"],
                                                   LocalDirectoryPath=f"/{LOCAL}")["TransferId"]
        held, _ = silent.accept()  # the connector is connecting now
        process.kill9()
        held.close()
        process.start()
        transfer = process.client("transfer", account=ACCOUNT)
        [result] = transfer.list_file_transfer_results(ConnectorId=connector_id, TransferId=transfer_id)["FileTransferResults"]
        assert (result["StatusCode"], result["FailureCode"]) == ("FAILED", "INTERRUPTED")
    finally:
        silent.close()
        process.cleanup()
