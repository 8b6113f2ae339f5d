"""SFTP through real clients (OpenSSH's sftp and scp, asyncssh): a service-managed user with an SSH
key puts, gets, lists, renames and removes files that are S3 objects, with S3's semantics as AWS
documents them for Transfer Family, as far as their role allows, logged as AWS logs it."""

from __future__ import annotations

import asyncio
import json
import random
import socket
import subprocess

import asyncssh
import pytest

from tests.services.transfer.helpers import ACCOUNT, clients, endpoints, key_pair, log_events, role, sftp, sftp_server

LOGS = f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/transfer/sftp-tests:*"


@pytest.fixture
def home(cloud, tmp_path):
    """A server with structured logs, the bucket "inbox", and ann, whose home is /inbox/home/ann."""
    transfer, s3, _ = clients(cloud)
    s3.create_bucket(Bucket="inbox")
    server_id = sftp_server(cloud, StructuredLogDestinations=[LOGS])
    key, public = key_pair(tmp_path)
    transfer.create_user(ServerId=server_id, UserName="ann", Role=role(cloud), HomeDirectory="/inbox/home/ann",
                         SshPublicKeyBody=public)
    endpoint = endpoints(cloud, server_id)[0]
    return {"server": server_id, "key": key, "address": endpoint.address, "port": endpoint.sftp_port,
            "transfer": transfer, "s3": s3, "tmp": tmp_path}


def run(home, commands: str, user: str = "ann", key=None) -> subprocess.CompletedProcess:
    return sftp(key or home["key"], user, home["address"], home["port"], commands)


def keys(s3, bucket: str = "inbox") -> list[str]:
    return [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]


def test_openssh_sftp_put_get_ls_mkdir_rename_rm_are_s3_objects(home):
    local = home["tmp"] / "report.csv"
    local.write_bytes(b"a,b\n" * 50_000)
    result = run(home, f"pwd\nput {local}\nmkdir archive\nrename report.csv archive/report.csv\nls -l archive\n"
                       f"get archive/report.csv {home['tmp']}/back.csv\n")
    assert result.returncode == 0, result.stderr
    assert "Remote working directory: /inbox/home/ann" in result.stdout
    assert (home["tmp"] / "back.csv").read_bytes() == local.read_bytes()
    s3 = home["s3"]
    assert keys(s3) == ["home/ann/archive/", "home/ann/archive/report.csv"]
    head = s3.head_object(Bucket="inbox", Key="home/ann/archive/report.csv")
    # The metadata AWS sets on uploads through Transfer Family.
    assert head["ContentLength"] == 200_000
    assert s3.head_object(Bucket="inbox", Key="home/ann/archive/")["ContentLength"] == 0
    assert run(home, "rm archive/report.csv\nrmdir archive\n").returncode == 0
    assert keys(s3) == []


def test_uploads_carry_the_metadata_aws_sets(home):
    local = home["tmp"] / "x.bin"
    local.write_bytes(b"x" * 10)
    assert run(home, f"put {local}\n").returncode == 0
    metadata = home["s3"].head_object(Bucket="inbox", Key="home/ann/x.bin")["Metadata"]
    assert metadata == {"user-agent": "AWSTransfer", "user-agent-id": f"ann@{home['server']}"}


def test_scp_both_ways(home):
    """OpenSSH's scp sets the file's mode after writing it (SETSTAT): refused by default, as on
    AWS (scp warns), and quietly ignored once the server's SetStatOption is ENABLE_NO_OP."""
    local = home["tmp"] / "photo.jpg"
    local.write_bytes(bytes(range(256)) * 4000)
    base = ["scp", "-i", str(home["key"]), "-P", str(home["port"]), "-o", "StrictHostKeyChecking=no",
            "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", "-o", "BatchMode=yes"]
    refused = subprocess.run(base + [str(local), f"ann@{home['address']}:photo.jpg"], capture_output=True, text=True,
                             timeout=60)
    assert "remote fsetstat: Operation unsupported" in refused.stderr
    home["transfer"].update_server(ServerId=home["server"], ProtocolDetails={"SetStatOption": "ENABLE_NO_OP"})
    up = subprocess.run(base + [str(local), f"ann@{home['address']}:photo.jpg"], capture_output=True, text=True, timeout=60)
    assert up.returncode == 0 and up.stderr == "", up.stderr
    down = subprocess.run(base + [f"ann@{home['address']}:photo.jpg", str(home["tmp"] / "copy.jpg")],
                          capture_output=True, text=True, timeout=60)
    assert down.returncode == 0, down.stderr
    assert (home["tmp"] / "copy.jpg").read_bytes() == local.read_bytes()
    assert home["s3"].get_object(Bucket="inbox", Key="home/ann/photo.jpg")["Body"].read() == local.read_bytes()


def test_s3_semantics_rename_rmdir_chmod_append(home):
    s3 = home["s3"]
    for key in ("home/ann/a.txt", "home/ann/b.txt", "home/ann/full/x.txt"):
        s3.put_object(Bucket="inbox", Key=key, Body=b"data")
    s3.put_object(Bucket="inbox", Key="home/ann/empty/", Body=b"")
    # A file is never renamed over another one.
    over = run(home, "rename a.txt b.txt\n")
    assert over.returncode != 0 and "Failure" in over.stderr
    assert s3.get_object(Bucket="inbox", Key="home/ann/b.txt")["Body"].read() == b"data"
    # Directories are not renamed; only an empty one is removed.
    assert run(home, "rename full elsewhere\n").returncode != 0
    assert run(home, "rmdir full\n").returncode != 0
    assert run(home, "rmdir empty\n").returncode == 0
    # chmod, chown and utime are refused by default (S3 keeps no modes).
    assert run(home, "chmod 600 a.txt\n").returncode != 0
    # Appending (reput) is refused: S3 cannot append.
    local = home["tmp"] / "a.txt"
    local.write_bytes(b"datamore")
    assert run(home, f"reput {local} a.txt\n").returncode != 0
    assert sorted(keys(s3)) == ["home/ann/a.txt", "home/ann/b.txt", "home/ann/full/x.txt"]
    # A missing file is "No such file"; a rename to a free name works.
    missing = run(home, "get nothing.txt /dev/null\n")
    assert missing.returncode != 0 and "not found" in missing.stderr.lower()
    assert run(home, "rename a.txt c.txt\n").returncode == 0
    assert sorted(keys(s3)) == ["home/ann/b.txt", "home/ann/c.txt", "home/ann/full/x.txt"]


def test_set_stat_option_enable_no_op_ignores_chmod(home):
    home["transfer"].update_server(ServerId=home["server"], ProtocolDetails={"SetStatOption": "ENABLE_NO_OP"})
    home["s3"].put_object(Bucket="inbox", Key="home/ann/a.txt", Body=b"data")
    local = home["tmp"] / "p.txt"
    local.write_bytes(b"preserved")
    result = run(home, f"chmod 600 a.txt\nput -p {local}\n")
    assert result.returncode == 0, result.stderr
    assert "home/ann/p.txt" in keys(home["s3"])


def test_the_role_decides_what_the_user_may_do(cloud, home):
    """A read-only role: listing and downloading work, writing and deleting are "permission denied"."""
    read_only = role(cloud, "read-only", {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:ListBucket"], "Resource": "arn:aws:s3:::inbox"},
        {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::inbox/*"}]})
    home["transfer"].update_user(ServerId=home["server"], UserName="ann", Role=read_only)
    home["s3"].put_object(Bucket="inbox", Key="home/ann/keep.txt", Body=b"keep")
    local = home["tmp"] / "new.txt"
    local.write_bytes(b"new")
    assert run(home, f"ls\nget keep.txt {home['tmp']}/keep.txt\n").returncode == 0
    for command in (f"put {local}\n", "rm keep.txt\n", "mkdir d\n", "rename keep.txt k.txt\n"):
        result = run(home, command)
        assert result.returncode != 0 and "Permission denied" in result.stderr, (command, result.stderr)
    assert keys(home["s3"]) == ["home/ann/keep.txt"]


def test_a_session_policy_scopes_the_role_to_the_home_folder(cloud, home):
    """AWS's scope-down policy with ${transfer:...} variables: the user reaches their folder only."""
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::${transfer:HomeBucket}",
         "Condition": {"StringLike": {"s3:prefix": ["${transfer:HomeFolder}/*", "${transfer:HomeFolder}"]}}},
        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
         "Resource": "arn:aws:s3:::${transfer:HomeDirectory}/*"}]}
    home["transfer"].update_user(ServerId=home["server"], UserName="ann", Policy=json.dumps(policy))
    s3 = home["s3"]
    s3.put_object(Bucket="inbox", Key="home/bob/secret.txt", Body=b"bob's")
    local = home["tmp"] / "mine.txt"
    local.write_bytes(b"mine")
    assert run(home, f"put {local}\nls\n").returncode == 0
    assert run(home, "ls /inbox/home/bob\n").returncode != 0
    assert run(home, f"get /inbox/home/bob/secret.txt {home['tmp']}/stolen\n").returncode != 0
    assert run(home, f"put {local} /inbox/home/bob/planted.txt\n").returncode != 0
    assert sorted(keys(s3)) == ["home/ann/mine.txt", "home/bob/secret.txt"]


def test_a_wrong_key_is_an_auth_failure_logged_as_such(cloud, home):
    stranger, _ = key_pair(home["tmp"], "stranger")
    result = run(home, "ls\n", key=stranger)
    assert result.returncode != 0 and "Permission denied" in result.stderr
    assert run(home, "ls\n", user="nobody").returncode != 0
    events = log_events(cloud, "/aws/transfer/sftp-tests", wait_for="AUTH_FAILURE")
    failures = [e for e in events if e["activity-type"] == "AUTH_FAILURE"]
    assert {e["user"] for e in failures} == {"ann", "nobody"}
    assert all(e["method"] == "publickey" and e["resource-arn"].endswith(home["server"]) for e in failures)
    assert not any(e["activity-type"] == "CONNECTED" for e in events)


def test_structured_logs_tell_the_session(cloud, home):
    local = home["tmp"] / "f.txt"
    local.write_bytes(b"12345")
    assert run(home, f"put {local}\nget f.txt {home['tmp']}/g.txt\nmkdir d\nrmdir d\nrm f.txt\n").returncode == 0
    events = log_events(cloud, "/aws/transfer/sftp-tests", wait_for="DISCONNECTED")
    kinds = [e["activity-type"] for e in events]
    assert kinds[:2] == ["AUTH_SUCCESSFUL", "CONNECTED"] and kinds[-1] == "DISCONNECTED"
    for wanted in ("OPEN", "CLOSE", "MKDIR", "RMDIR", "DELETE"):
        assert wanted in kinds
    connected = events[1]
    assert connected["user"] == "ann" and connected["home-dir"] == "/inbox/home/ann"
    assert connected["ssh-public-key-type"] == "ssh-ed25519" and connected["ssh-public-key-fingerprint"].startswith("SHA256:")
    assert connected["client"].startswith("SSH-2.0-OpenSSH") and connected["role"].endswith(":role/sftp-user")
    closes = [e for e in events if e["activity-type"] == "CLOSE"]
    assert {"path": "/inbox/home/ann/f.txt", "bytes-in": "5"}.items() <= closes[0].items()
    assert {"path": "/inbox/home/ann/f.txt", "bytes-out": "5"}.items() <= closes[1].items()
    assert len({e["session-id"] for e in events}) == 1
    assert events[0]["resource-arn"] == f"arn:aws:transfer:us-east-1:{ACCOUNT}:server/{home['server']}"


async def _client(home):
    return await asyncssh.connect(home["address"], home["port"], username="ann", client_keys=[str(home["key"])],
                                  known_hosts=None)


def test_asyncssh_client_and_a_dropped_upload_leaves_no_object(cloud, home):
    async def scenario():
        async with await _client(home) as conn:
            async with conn.start_sftp_client() as client:
                async with client.open("whole.bin", "wb") as file:
                    await file.write(b"w" * 100_000)
                assert (await client.stat("whole.bin")).size == 100_000
                assert sorted(await client.listdir(".")) == ["whole.bin"]
        conn = await _client(home)
        client = await conn.start_sftp_client()
        file = await client.open("half.bin", "wb")
        await file.write(b"h" * 300_000)
        conn.abort()  # the connection drops mid-upload
        await asyncio.sleep(0.5)
    cloud.run(scenario())
    assert keys(home["s3"]) == ["home/ann/whole.bin"]
    events = log_events(cloud, "/aws/transfer/sftp-tests", wait_for="PARTIAL_CLOSE")
    partial = [e for e in events if e["activity-type"] == "PARTIAL_CLOSE"]
    assert partial and partial[0]["path"] == "/inbox/home/ann/half.bin"


def test_reads_at_any_offset_across_the_files_of_an_object(cloud, home):
    """A multipart object is one file per part on disk: reads in any order, across part
    boundaries, past the end, return the object's bytes (also of a small object kept inline)."""
    mib = 1024 * 1024
    body = random.Random(3).randbytes(10 * mib + 1000)
    s3 = home["s3"]
    upload = s3.create_multipart_upload(Bucket="inbox", Key="home/ann/parts.bin")["UploadId"]
    parts = []
    for number, (first, last) in enumerate([(0, 5 * mib), (5 * mib, 10 * mib), (10 * mib, len(body))], 1):
        etag = s3.upload_part(Bucket="inbox", Key="home/ann/parts.bin", UploadId=upload, PartNumber=number,
                              Body=body[first:last])["ETag"]
        parts.append({"PartNumber": number, "ETag": etag})
    s3.complete_multipart_upload(Bucket="inbox", Key="home/ann/parts.bin", UploadId=upload,
                                 MultipartUpload={"Parts": parts})
    s3.put_object(Bucket="inbox", Key="home/ann/small.bin", Body=b"0123456789")

    async def scenario():
        async with await _client(home) as conn:
            async with conn.start_sftp_client() as client:
                async with client.open("parts.bin", "rb") as file:
                    for offset, size in [(5 * mib - 10, 20), (0, 100), (10 * mib - 1, 2000), (3, 5 * mib + 7),
                                         (len(body) - 5, 100), (len(body), 10), (7 * mib, 70_000)]:
                        await file.seek(offset)
                        assert await file.read(size) == body[offset:offset + size], (offset, size)
                async with client.open("small.bin", "rb") as file:
                    await file.seek(4)
                    assert await file.read(3) == b"456"
                    await file.seek(1)
                    assert await file.read(100) == b"123456789"
    cloud.run(scenario())


def test_no_shell_and_no_port_forwarding(home):
    async def scenario():
        async with await _client(home) as conn:
            with pytest.raises(asyncssh.ChannelOpenError):
                await conn.open_connection("127.0.0.1", 4566)
            with pytest.raises((asyncssh.ChannelOpenError, asyncssh.ProcessError, OSError)):
                result = await conn.run("id", check=True)
                assert result.exit_status != 0
    asyncio.run(scenario())


@pytest.mark.parametrize("garbage", [
    b"SSH-2.0-evil\r\n" + b"\x00\x00\x00\x0c\x0a\x14" + b"\xff" * 10,  # a KEXINIT that is not one
    b"SSH-2.0-evil\r\n" + b"\xff\xff\xff\xff" + b"A" * 64,  # a packet length of 4 GiB
    b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",  # not SSH at all
    b"\x00" * 70000,  # a version line that never ends
])
def test_malformed_ssh_never_stops_the_server(home, garbage):
    with socket.create_connection((home["address"], home["port"]), timeout=5) as sock:
        sock.recv(256)
        try:
            sock.sendall(garbage)
            sock.settimeout(5)
            while sock.recv(4096):
                pass
        except OSError:
            pass
    assert run(home, "ls\n").returncode == 0
