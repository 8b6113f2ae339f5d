"""Chroots hold: a LOGICAL user (mappings "/" -> /inbox/home/ann, "/pub" -> /inbox/public and a
FILE entry "/motd.txt") with a role that may do anything in S3 still never reaches an object
outside the mappings, whatever path their client sends: "..", encoded, symlink-like, absolute,
Unicode look-alikes, NUL bytes, very long. Through a real SFTP client (asyncssh, raw path
bytes) and FTP (ftplib), and as a property of the path resolution itself."""

from __future__ import annotations

import asyncio
import ftplib
import io
import json

import asyncssh
import pytest
from hypothesis import given, settings, strategies as st

from regionbox.services.transfer.paths import BadPath, Location, View, Virtual, normalize
from tests.services.transfer.helpers import ACCOUNT, key_pair, online, role, sftp_server, standin_of

MAPPINGS = [{"Entry": "/", "Target": "/inbox/home/ann"}, {"Entry": "/pub", "Target": "/inbox/public"},
            {"Entry": "/motd.txt", "Target": "/inbox/etc/motd.txt", "Type": "FILE"}]
ALLOWED = ("home/ann/", "public/")
SECRETS = ["secret.txt", "home/bob/secret.txt", "home/ann-evil/secret.txt", "home/annsecret.txt", "publicity/secret.txt",
           "etc/passwd", "home/secret.txt"]
CORPUS = [
    "..", "../..", "/..", "/../..", "../secret.txt", "../../secret.txt", "/../../secret.txt", "../bob/secret.txt",
    "../../home/bob/secret.txt", "./../secret.txt", "././../../secret.txt", "....//secret.txt", "..../secret.txt",
    ".../secret.txt", "/pub/../../secret.txt", "/pub/../home/bob/secret.txt", "pub/../../../etc/passwd",
    "%2e%2e/secret.txt", "%2e%2e%2fsecret.txt", "..%2fsecret.txt", "%2E%2E/%2E%2E/secret.txt", "..%252f..%252fsecret.txt",
    "..%c0%afsecret.txt", "..\\secret.txt", "..\\..\\secret.txt", "\\..\\..\\secret.txt", "\\inbox\\secret.txt",
    "\u2025/secret.txt", "\uff0e\uff0e/secret.txt", "\ufe52\ufe52/secret.txt", "..\u2215secret.txt", "..\u2044secret.txt",
    ".\u200b./secret.txt", "..\u0301/secret.txt", "\u0000/../secret.txt", "..\u0000/secret.txt",
    "/inbox/secret.txt", "//inbox/secret.txt", "///inbox/home/bob/secret.txt", "/inbox/home/bob/secret.txt",
    "~/../secret.txt", "~bob/secret.txt", "~/../../etc/passwd", "$HOME/../secret.txt", "${transfer:HomeBucket}/secret.txt",
    "..;/secret.txt", "/motd.txt/../secret.txt", "/motd.txt/..", "/motd.txt/x", "../ann-evil/secret.txt",
    "/../ann-evil/secret.txt", "../annsecret.txt", "/pub/../publicity/secret.txt", "../publicity/secret.txt",
    "a/" * 700 + "secret.txt", "../" * 2000 + "secret.txt", "x" * 5000, "/" + "../" * 300 + "inbox/secret.txt",
]


def _allowed(location) -> bool:
    if isinstance(location, Virtual) or location is None:
        return True
    if location.file_mapping:
        return (location.bucket, location.key) == ("inbox", "etc/motd.txt")
    return location.bucket == "inbox" and (location.prefix.startswith(ALLOWED) or location.key + "/" in ALLOWED)


@pytest.mark.parametrize("path", CORPUS)
def test_every_corpus_path_resolves_inside_the_mappings(path):
    view = View("LOGICAL", "", MAPPINGS, "ann")
    for cwd in ("/", "/pub", "/deep/down"):
        try:
            clean = normalize(path, cwd)
        except BadPath:
            continue
        assert _allowed(view.resolve(clean)), (path, cwd, view.resolve(clean))


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(["..", ".", "", "pub", "x", "motd.txt", "%2e", "\\..", "\u2025", "\x00", "home", "ann"]),
                max_size=12), st.text(max_size=20))
def test_no_path_escapes_the_mappings(parts, noise):
    view = View("LOGICAL", "", MAPPINGS, "ann")
    for path in ("/".join(parts), "/" + "/".join(parts), "/".join(parts) + noise, noise + "/".join(parts)):
        try:
            clean = normalize(path)
        except BadPath:
            continue
        assert ".." not in clean.split("/") and "" not in clean.split("/")[1:] or clean == "/"
        assert _allowed(view.resolve(clean)), (path, view.resolve(clean))


@pytest.fixture
def chrooted(cloud, tmp_path):
    transfer, s3 = cloud.client("transfer", account=ACCOUNT), cloud.client("s3", account=ACCOUNT)
    s3.create_bucket(Bucket="inbox")
    s3.create_bucket(Bucket="other")
    for key in SECRETS:
        s3.put_object(Bucket="inbox", Key=key, Body=b"SECRET")
        s3.put_object(Bucket="other", Key=key, Body=b"SECRET")
    s3.put_object(Bucket="inbox", Key="etc/motd.txt", Body=b"welcome")
    s3.put_object(Bucket="inbox", Key="home/ann/mine.txt", Body=b"mine")
    server_id = sftp_server(cloud)
    key, public = key_pair(tmp_path)
    transfer.create_user(ServerId=server_id, UserName="ann", Role=role(cloud), HomeDirectoryType="LOGICAL",
                         HomeDirectoryMappings=MAPPINGS, SshPublicKeyBody=public)
    endpoint = cloud.cloud.services.api("transfer").endpoints(ACCOUNT, "us-east-1", server_id)[0]
    return {"key": key, "address": endpoint.address, "port": endpoint.sftp_port, "s3": s3}


def _objects(s3) -> dict[str, set[str]]:
    return {bucket: {o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])} for bucket in ("inbox", "other")}


def test_the_corpus_through_sftp_never_leaves_the_mappings(cloud, chrooted):
    before = _objects(chrooted["s3"])

    async def attempt(client, path: bytes) -> list[bytes]:
        seen: list[bytes] = []
        for action in ("read", "list", "stat", "write", "mkdir", "rename", "remove", "realpath"):
            try:
                if action == "read":
                    async with client.open(path, "rb") as file:
                        seen.append(await file.read())
                elif action == "list":
                    seen.extend(await client.listdir(path))
                elif action == "stat":
                    await client.stat(path)
                elif action == "write":
                    async with client.open(path + b".planted", "wb") as file:
                        await file.write(b"PLANTED")
                elif action == "mkdir":
                    await client.mkdir(path + b"-dir")
                elif action == "rename":
                    await client.rename(b"/mine.txt", path + b".moved")
                    await client.rename(path + b".moved", b"/mine.txt")
                elif action == "remove":
                    await client.remove(path)
                else:
                    seen.append(await client.realpath(path))
            except (asyncssh.SFTPError, UnicodeError, OSError, ValueError):
                pass
        return seen

    async def scenario():
        async with asyncssh.connect(chrooted["address"], chrooted["port"], username="ann", known_hosts=None,
                                    client_keys=[str(chrooted["key"])]) as conn:
            async with conn.start_sftp_client(path_encoding=None) as client:
                everything = []
                for path in CORPUS:
                    raw = path.encode("utf-8", "surrogatepass")
                    everything += await attempt(client, raw)
                    if not raw.startswith(b"/"):
                        everything += await attempt(client, b"/pub/" + raw)
                return everything
    seen = cloud.run(scenario(), timeout=300)
    assert not any(b"SECRET" in item for item in seen)
    after = _objects(chrooted["s3"])
    assert after["other"] == before["other"]
    changed = after["inbox"] ^ before["inbox"]
    assert all(key.startswith(ALLOWED) for key in changed), sorted(k for k in changed if not k.startswith(ALLOWED))
    assert {k for k in SECRETS} <= after["inbox"]  # no secret was removed or moved


def test_the_corpus_through_ftp_never_leaves_the_mappings(lambda_cloud):
    cloud = lambda_cloud
    cloud.reset()
    transfer, s3 = cloud.client("transfer", account=ACCOUNT), cloud.client("s3", account=ACCOUNT)
    s3.create_bucket(Bucket="inbox")
    for key in SECRETS:
        s3.put_object(Bucket="inbox", Key=key, Body=b"SECRET")
    function = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:idp"
    answer = {"Role": role(cloud), "HomeDirectoryType": "LOGICAL", "HomeDirectoryDetails": json.dumps(MAPPINGS)}
    standin_of(cloud).functions[function] = lambda event: answer if event.get("password") == "pw" else {}
    subnets = cloud.client("ec2", account=ACCOUNT).describe_subnets()["Subnets"][:1]
    server_id = transfer.create_server(Protocols=["FTP"], EndpointType="VPC", IdentityProviderType="AWS_LAMBDA",
                                       IdentityProviderDetails={"Function": function},
                                       EndpointDetails={"VpcId": subnets[0]["VpcId"], "SubnetIds": [subnets[0]["SubnetId"]]})[
        "ServerId"]
    online(transfer, server_id)
    endpoint = cloud.cloud.services.api("transfer").endpoints(ACCOUNT, "us-east-1", server_id)[0]
    before = _objects_one(s3)
    client = ftplib.FTP(encoding="utf-8")
    client.connect(endpoint.address, endpoint.ftp_port, timeout=30)
    client.login("ann", "pw")
    leaked = []
    for path in CORPUS:
        if "\x00" in path or len(path) > 4000:
            continue
        for action in (lambda p: client.retrbinary(f"RETR {p}", leaked.append),
                       lambda p: client.retrlines(f"NLST {p}", lambda line: leaked.append(line.encode())),
                       lambda p: client.storbinary(f"STOR {p}.planted", io.BytesIO(b"PLANTED")),
                       lambda p: client.mkd(f"{p}-dir"), lambda p: client.delete(p), lambda p: client.cwd(p)):
            try:
                action(path)
            except (ftplib.error_perm, ftplib.error_temp, UnicodeError):
                pass
        client.cwd("/")
    client.quit()
    assert not any(b"SECRET" in item for item in leaked)
    after = _objects_one(s3)
    assert all(key.startswith(ALLOWED) for key in after ^ before), sorted(after ^ before)
    assert set(SECRETS) <= after


def _objects_one(s3) -> set[str]:
    return {o["Key"] for o in s3.list_objects_v2(Bucket="inbox").get("Contents", [])}


def test_a_path_user_may_go_anywhere_their_role_allows(cloud, tmp_path):
    """PATH homes are not chroots, as on AWS: only the role (and session policy) limits them."""
    transfer, s3 = cloud.client("transfer", account=ACCOUNT), cloud.client("s3", account=ACCOUNT)
    s3.create_bucket(Bucket="inbox")
    s3.put_object(Bucket="inbox", Key="elsewhere/file.txt", Body=b"reachable")
    server_id = sftp_server(cloud)
    key, public = key_pair(tmp_path)
    transfer.create_user(ServerId=server_id, UserName="ann", Role=role(cloud), HomeDirectory="/inbox/home/ann",
                         SshPublicKeyBody=public)
    endpoint = cloud.cloud.services.api("transfer").endpoints(ACCOUNT, "us-east-1", server_id)[0]

    async def read():
        async with asyncssh.connect(endpoint.address, endpoint.sftp_port, username="ann", known_hosts=None,
                                    client_keys=[str(key)]) as conn:
            async with conn.start_sftp_client() as client:
                async with client.open("../../elsewhere/file.txt", "rb") as file:
                    return await file.read()
    assert asyncio.run(read()) == b"reachable"
    assert isinstance(View("PATH", "/inbox/home/ann", [], "ann").resolve("/inbox/x"), Location)
