"""FTP and FTPS through Python's ftplib (FTP, and FTP_TLS with PROT P in passive mode), with users
from a custom identity provider: a Lambda function answering AWS's contract (regionbox's own
Lambda). SFTP password logins go the same way."""

from __future__ import annotations

import ftplib
import hashlib
import io
import json
import random
import socket
import ssl
from pathlib import Path

import asyncssh
import pytest

from tests.services.lambda_.helpers import zipped
from tests.services.transfer.helpers import (ACCOUNT, ResumingFTP_TLS, calls, identity_function, log_events,
                                             online, role)

FUNCTION = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:transfer-idp"
LOGS = f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/transfer/ftp-tests:*"
CERT = f"arn:aws:acm:us-east-1:{ACCOUNT}:certificate/0a1b2c3d-0000-4000-8000-000000000000"


@pytest.fixture
def site(lambda_cloud, tmp_path):
    """An FTP/FTPS/SFTP server whose users come from the identity function: ann (password "s3cret"),
    chrooted to /inbox/home/ann with /shared mapped to /inbox/shared."""
    cloud = lambda_cloud
    cloud.reset()
    transfer, s3 = cloud.client("transfer", account=ACCOUNT), cloud.client("s3", account=ACCOUNT)
    s3.create_bucket(Bucket="inbox")
    arn = role(cloud)
    ec2 = cloud.client("ec2", account=ACCOUNT)
    subnets = ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"][:2]
    answers = {"ann": {"Role": arn, "HomeDirectoryType": "LOGICAL", "HomeDirectoryDetails": json.dumps(
        [{"Entry": "/", "Target": "/inbox/home/ann"}, {"Entry": "/shared", "Target": "/inbox/shared"}])}}
    out = tmp_path / "identity-events.jsonl"
    assert identity_function(cloud, "transfer-idp", answers, "s3cret", out) == FUNCTION
    server_id = transfer.create_server(
        Protocols=["FTP", "FTPS", "SFTP"], EndpointType="VPC", Certificate=CERT,
        EndpointDetails={"VpcId": subnets[0]["VpcId"], "SubnetIds": [s["SubnetId"] for s in subnets]},
        IdentityProviderType="AWS_LAMBDA", IdentityProviderDetails={"Function": FUNCTION},
        StructuredLogDestinations=[LOGS])["ServerId"]
    online(transfer, server_id)
    endpoint = cloud.cloud.services.api("transfer").endpoints(ACCOUNT, "us-east-1", server_id)[0]
    ca = Path(cloud.get("/_regionbox/status")["state_dir"]) / "tls" / "ca.pem"
    return {"cloud": cloud, "transfer": transfer, "s3": s3, "server": server_id, "address": endpoint.address,
            "ftp": endpoint.ftp_port, "sftp": endpoint.sftp_port, "ca": str(ca), "calls": lambda: calls(out),
            "zones": {s["AvailabilityZone"] for s in subnets}}


def ftp(site, password: str = "s3cret") -> ftplib.FTP:
    client = ftplib.FTP()
    client.connect(site["address"], site["ftp"], timeout=30)
    client.login("ann", password)
    return client


def ftps(site, kind=ResumingFTP_TLS) -> ftplib.FTP_TLS:
    context = ssl.create_default_context(cafile=site["ca"])
    client = kind(context=context)
    client.connect(site["address"], site["ftp"], timeout=30)
    client.auth()
    client.login("ann", "s3cret")
    client.prot_p()
    return client


def keys(s3) -> list[str]:
    return [o["Key"] for o in s3.list_objects_v2(Bucket="inbox").get("Contents", [])]


def test_ftp_login_through_the_identity_function_and_files_in_s3(site):
    client = ftp(site)
    assert client.pwd() == "/"
    client.storbinary("STOR report.csv", io.BytesIO(b"a,b\n" * 1000))
    client.mkd("archive")
    client.rename("report.csv", "archive/report.csv")
    client.storbinary("STOR /shared/notice.txt", io.BytesIO(b"for everyone"))
    assert sorted(client.nlst()) == ["archive", "shared"]
    assert client.size("archive/report.csv") == 4000
    got = io.BytesIO()
    client.retrbinary("RETR archive/report.csv", got.write)
    assert got.getvalue() == b"a,b\n" * 1000
    lines: list[str] = []
    client.retrlines("LIST archive", lines.append)
    assert len(lines) == 1 and lines[0].endswith(" report.csv") and " 4000 " in lines[0]
    assert [name for name, _ in client.mlsd("/")] == ["archive", "shared"]
    client.quit()
    assert sorted(keys(site["s3"])) == ["home/ann/archive/", "home/ann/archive/report.csv", "shared/notice.txt"]
    metadata = site["s3"].head_object(Bucket="inbox", Key="shared/notice.txt")["Metadata"]
    assert metadata == {"user-agent": "AWSTransfer", "user-agent-id": f"ann@{site['server']}"}
    event = site["calls"]()[0]
    assert event == {"username": "ann", "password": "s3cret", "protocol": "FTP", "serverId": site["server"],
                     "sourceIp": "127.0.0.1"}


def test_ftps_explicit_tls_prot_p_passive(site):
    client = ftps(site)
    client.storbinary("STOR secret.bin", io.BytesIO(bytes(range(256)) * 1000))
    got = io.BytesIO()
    client.retrbinary("RETR secret.bin", got.write)
    assert got.getvalue() == bytes(range(256)) * 1000
    assert client.nlst() == ["secret.bin", "shared"]
    client.quit()
    assert keys(site["s3"]) == ["home/ann/secret.bin"]
    assert site["calls"]()[0]["protocol"] == "FTPS"


MIB = 1024 * 1024


def _multipart(s3, key: str, sizes: list[int]) -> bytes:
    """An object stored as one file per part (parts of these sizes); its bytes."""
    body = random.Random(key).randbytes(sum(sizes))
    upload = s3.create_multipart_upload(Bucket="inbox", Key=key)["UploadId"]
    parts, at = [], 0
    for number, size in enumerate(sizes, 1):
        etag = s3.upload_part(Bucket="inbox", Key=key, UploadId=upload, PartNumber=number,
                              Body=body[at:at + size])["ETag"]
        parts.append({"PartNumber": number, "ETag": etag})
        at += size
    s3.complete_multipart_upload(Bucket="inbox", Key=key, UploadId=upload, MultipartUpload={"Parts": parts})
    return body


@pytest.mark.parametrize("secure", [False, True], ids=["ftp", "ftps"])
def test_retr_from_rest_offsets_across_the_files_of_an_object(site, secure):
    """Plain FTP has the kernel copy the object's files to the socket; FTPS encrypts what it reads:
    either way RETR sends the bytes from the REST offset on, across the files of a multipart object."""
    body = _multipart(site["s3"], "home/ann/parts.bin", [5 * MIB, 5 * MIB, 300_000])
    single = random.Random(1).randbytes(200_000)
    site["s3"].put_object(Bucket="inbox", Key="home/ann/single.bin", Body=single)
    client = ftps(site) if secure else ftp(site)
    for name, data, offsets in (("parts.bin", body, [0, 1, 5 * MIB - 1, 5 * MIB, 5 * MIB + 7, 10 * MIB + 5,
                                                      len(body) - 1, len(body)]),
                                ("single.bin", single, [0, 65_537, len(single)])):
        for offset in offsets:
            got = bytearray()
            client.retrbinary(f"RETR {name}", got.extend, rest=offset or None)
            assert len(got) == len(data) - offset and got == data[offset:], (name, offset)
    client.quit()


@pytest.mark.parametrize("secure", [False, True], ids=["ftp", "ftps"])
def test_a_large_upload_arrives_whole_with_s3s_etag(site, secure):
    """Received bytes go through buffers that are filled again once the upload has written them:
    every byte arrives as sent, and the object's ETag is its MD5, as AWS's is."""
    body = random.Random(4).randbytes(20 * MIB + 12_345)
    client = ftps(site) if secure else ftp(site)
    client.storbinary("STOR large.bin", io.BytesIO(body), blocksize=256 * 1024)
    client.quit()
    got = site["s3"].get_object(Bucket="inbox", Key="home/ann/large.bin")
    assert got["ETag"] == f'"{hashlib.md5(body).hexdigest()}"'
    assert got["Body"].read() == body


def test_a_download_the_client_drops_ends_that_transfer_only(site):
    body = random.Random(2).randbytes(12 * MIB)
    site["s3"].put_object(Bucket="inbox", Key="home/ann/big.bin", Body=body)
    client = ftp(site)
    client.voidcmd("TYPE I")
    data = client.transfercmd("RETR big.bin")
    assert len(data.recv(1000)) > 0
    data.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    data.close()  # a reset halfway through
    try:
        reply = client.getresp()
    except ftplib.error_temp as error:
        reply = str(error)
    assert reply[:3] in ("226", "426")  # 226 only if the kernel had taken every byte already
    got = bytearray()
    client.retrbinary("RETR big.bin", got.extend)
    assert got == body
    client.quit()


def test_ftps_rules_prot_c_and_session_resumption(site):
    context = ssl.create_default_context(cafile=site["ca"])
    plain = ftplib.FTP_TLS(context=context)
    plain.connect(site["address"], site["ftp"], timeout=30)
    plain.auth()
    plain.login("ann", "s3cret")
    with pytest.raises(ftplib.error_perm, match="^536"):
        plain.prot_c()
    with pytest.raises(ftplib.error_perm, match="^521"):
        plain.nlst()  # no PROT P yet
    plain.prot_p()
    # ENFORCED (the default): a data connection that does not resume the control session is refused.
    with pytest.raises(ftplib.error_perm, match="^522"):
        plain.nlst()
    plain.close()
    site["transfer"].update_server(ServerId=site["server"], ProtocolDetails={"TlsSessionResumptionMode": "DISABLED"})
    client = ftps(site, kind=ftplib.FTP_TLS)
    assert client.nlst() == ["shared"]
    client.quit()


def test_ftp_semantics_append_rename_rmdir(site):
    s3 = site["s3"]
    for key in ("home/ann/a.txt", "home/ann/b.txt", "home/ann/full/x.txt"):
        s3.put_object(Bucket="inbox", Key=key, Body=b"data")
    client = ftp(site)
    with pytest.raises(ftplib.error_perm, match="^550"):
        client.storbinary("APPE a.txt", io.BytesIO(b"more"))
    with pytest.raises(ftplib.error_perm, match="^550"):
        client.rename("a.txt", "b.txt")  # never over an existing file
    with pytest.raises(ftplib.error_perm, match="^550"):
        client.rmd("full")  # not empty
    with pytest.raises(ftplib.error_perm, match="^550"):
        client.sendcmd("SITE CHMOD 600 a.txt")
    with pytest.raises(ftplib.error_perm, match="^550"):
        client.cwd("/elsewhere")  # outside the mappings: nothing there
    with pytest.raises(ftplib.error_perm, match="^502"):
        client.sendcmd("PORT 127,0,0,1,4,1")  # passive mode only
    client.delete("full/x.txt")
    with pytest.raises(ftplib.error_perm, match="^550"):
        client.rmd("full")  # a prefix exists only through its keys: with its last file, "full" went
    client.quit()
    assert sorted(keys(s3)) == ["home/ann/a.txt", "home/ann/b.txt"]
    assert s3.get_object(Bucket="inbox", Key="home/ann/a.txt")["Body"].read() == b"data"


def test_a_wrong_password_is_an_auth_failure_logged_as_such(site):
    with pytest.raises(ftplib.error_perm, match="^530"):
        ftp(site, password="guess")
    with pytest.raises(ftplib.error_perm, match="^530"):
        client = ftplib.FTP()
        client.connect(site["address"], site["ftp"], timeout=30)
        client.login("mallory", "s3cret")
    events = log_events(site["cloud"], "/aws/transfer/ftp-tests", wait_for="AUTH_FAILURE")
    failures = [e for e in events if e["activity-type"] == "AUTH_FAILURE"]
    assert [e["user"] for e in failures] == ["ann", "mallory"] and all(e["method"] == "password" for e in failures)


def test_a_dropped_ftp_upload_leaves_no_object(site):
    client = ftp(site)
    client.voidcmd("TYPE I")
    data = client.transfercmd("STOR half.bin")
    data.sendall(b"h" * 200_000)
    data.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    data.close()  # a reset, not an end of file: the transfer broke
    client.sock.close()
    events = log_events(site["cloud"], "/aws/transfer/ftp-tests", wait_for="PARTIAL_CLOSE")
    assert any(e["activity-type"] == "PARTIAL_CLOSE" and e["path"] == "/half.bin" for e in events)
    assert keys(site["s3"]) == []


def test_malformed_ftp_never_stops_the_server(site):
    for garbage in (b"\xff\xfe\xfd\r\n", b"USER " + b"a" * 100_000 + b"\r\n", b"\x00\x01\x02", b"PASS\r\nRETR\r\nLIST\r\n",
                    b"AUTH TLS\r\n\x16\x03\x01\x00\x05hello"):
        with socket.create_connection((site["address"], site["ftp"]), timeout=5) as sock:
            sock.recv(1024)
            sock.sendall(garbage)
            sock.settimeout(2)
            try:
                while sock.recv(4096):
                    pass
            except OSError:
                pass
    client = ftp(site)
    assert client.pwd() == "/"
    client.quit()


def test_sftp_password_login_through_the_identity_function(site):
    async def scenario():
        async with asyncssh.connect(site["address"], site["sftp"], username="ann", password="s3cret", known_hosts=None,
                                    client_keys=None) as conn:
            async with conn.start_sftp_client() as client:
                async with client.open("/shared/from-sftp.txt", "wb") as file:
                    await file.write(b"via sftp")
                return sorted(await client.listdir("/"))
    assert site["cloud"].run(scenario()) == ["shared"]
    assert keys(site["s3"]) == ["shared/from-sftp.txt"]

    async def wrong():
        await asyncssh.connect(site["address"], site["sftp"], username="ann", password="nope", known_hosts=None,
                               client_keys=None)
    with pytest.raises(asyncssh.PermissionDenied):
        site["cloud"].run(wrong())


def test_test_identity_provider_answers_what_the_function_says(site):
    transfer = site["transfer"]
    answer = transfer.test_identity_provider(ServerId=site["server"], UserName="ann", UserPassword="s3cret",
                                             ServerProtocol="FTP", SourceIp="10.0.0.7")
    assert answer["StatusCode"] == 200 and answer["Url"] == FUNCTION and answer["Message"] == ""
    assert json.loads(answer["Response"])["HomeDirectoryType"] == "LOGICAL"
    assert site["calls"]()[-1]["sourceIp"] == "10.0.0.7"
    refused = transfer.test_identity_provider(ServerId=site["server"], UserName="ann", UserPassword="wrong")
    assert refused["StatusCode"] == 200 and "role" in refused["Message"]


def test_the_function_must_let_transfer_in_and_must_not_fail(site):
    """AWS invokes an identity provider as transfer.amazonaws.com: the function's policy must allow
    it; a function that raises refuses the login."""
    transfer, lam = site["transfer"], site["cloud"].client("lambda", account=ACCOUNT)
    lam.remove_permission(FunctionName="transfer-idp", StatementId="transfer")
    denied = transfer.test_identity_provider(ServerId=site["server"], UserName="ann", UserPassword="s3cret")
    assert denied["StatusCode"] == 500
    assert "transfer.amazonaws.com is not authorized to perform: lambda:InvokeFunction" in denied["Message"]
    lam.add_permission(FunctionName="transfer-idp", StatementId="transfer", Action="lambda:InvokeFunction",
                       Principal="transfer.amazonaws.com", SourceArn=f"arn:aws:transfer:us-east-1:{ACCOUNT}:server/*")
    lam.update_function_code(FunctionName="transfer-idp", ZipFile=zipped({"app.py":
        "def handler(event, context):\n    raise KeyError('directory is down')\n"}))
    lam.get_waiter("function_updated_v2").wait(FunctionName="transfer-idp", WaiterConfig={"Delay": 0.05})
    failed = transfer.test_identity_provider(ServerId=site["server"], UserName="ann", UserPassword="s3cret")
    assert failed["StatusCode"] == 500 and "KeyError" in failed["Message"]
    with pytest.raises(ftplib.error_perm, match="530"):
        _login(site)


def _login(site) -> None:
    client = ftplib.FTP()
    client.connect(site["address"], site["ftp"], timeout=30)
    client.login("ann", "s3cret")
