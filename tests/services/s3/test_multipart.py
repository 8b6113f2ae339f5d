"""Multipart uploads through boto3, s3transfer (upload_file/download_file with default settings)
and the AWS CLI (its own 8 MiB parts); aws-chunked bodies with checksum trailers."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys

import pytest

from tests.services.s3.helpers import error_of, s3

MIB = 1024 * 1024


def upload(client, key="mp", **kwargs):
    return client.create_multipart_upload(Bucket="multi", Key=key, **kwargs)["UploadId"]


def test_multipart_upload_complete_and_etag(cloud):
    client = s3(cloud)
    client.create_bucket(Bucket="multi")
    upload_id = upload(client, ContentType="video/mp4", Metadata={"k": "v"})
    parts = [os.urandom(5 * MIB), os.urandom(5 * MIB), b"tail"]
    etags = [client.upload_part(Bucket="multi", Key="mp", UploadId=upload_id, PartNumber=n, Body=body)["ETag"]
             for n, body in enumerate(parts, 1)]
    listed = client.list_parts(Bucket="multi", Key="mp", UploadId=upload_id)
    assert [(p["PartNumber"], p["Size"]) for p in listed["Parts"]] == [(1, 5 * MIB), (2, 5 * MIB), (3, 4)]
    assert [u["UploadId"] for u in client.list_multipart_uploads(Bucket="multi")["Uploads"]] == [upload_id]
    done = client.complete_multipart_upload(Bucket="multi", Key="mp", UploadId=upload_id, MultipartUpload={
        "Parts": [{"PartNumber": n, "ETag": etag} for n, etag in enumerate(etags, 1)]})
    expected = hashlib.md5(b"".join(bytes.fromhex(e.strip('"')) for e in etags)).hexdigest() + "-3"
    assert done["ETag"] == f'"{expected}"'
    got = client.get_object(Bucket="multi", Key="mp")
    assert got["Body"].read() == b"".join(parts) and got["ContentType"] == "video/mp4" and got["Metadata"] == {"k": "v"}
    second = client.get_object(Bucket="multi", Key="mp", PartNumber=2)
    assert second["PartsCount"] == 3 and second["ContentLength"] == 5 * MIB and second["Body"].read() == parts[1]
    assert client.get_object(Bucket="multi", Key="mp", Range=f"bytes={5 * MIB - 2}-{5 * MIB + 1}")["Body"].read() == \
        parts[0][-2:] + parts[1][:2]
    assert client.list_multipart_uploads(Bucket="multi").get("Uploads", []) == []
    assert error_of(lambda: client.list_parts(Bucket="multi", Key="mp", UploadId=upload_id))["Code"] == "NoSuchUpload"


def test_complete_refuses_bad_part_lists(cloud):
    client = s3(cloud)
    client.create_bucket(Bucket="multi")
    upload_id = upload(client)
    small = client.upload_part(Bucket="multi", Key="mp", UploadId=upload_id, PartNumber=1, Body=b"small")["ETag"]
    last = client.upload_part(Bucket="multi", Key="mp", UploadId=upload_id, PartNumber=2, Body=b"last")["ETag"]
    complete = lambda parts: client.complete_multipart_upload(  # noqa: E731
        Bucket="multi", Key="mp", UploadId=upload_id, MultipartUpload={"Parts": parts})
    error = error_of(lambda: complete([{"PartNumber": 2, "ETag": last}, {"PartNumber": 1, "ETag": small}]))
    assert (error["Code"], error["Message"]) == ("InvalidPartOrder", "The list of parts was not in ascending order. Parts must "
                                                 "be ordered by part number.")
    error = error_of(lambda: complete([{"PartNumber": 1, "ETag": '"0000"'}]))
    assert error["Code"] == "InvalidPart" and error["PartNumber"] == "1"
    error = error_of(lambda: complete([{"PartNumber": 1, "ETag": small}, {"PartNumber": 2, "ETag": last}]))
    assert (error["Code"], error["ProposedSize"], error["MinSizeAllowed"]) == ("EntityTooSmall", "5", str(5 * MIB))
    client.abort_multipart_upload(Bucket="multi", Key="mp", UploadId=upload_id)
    assert error_of(lambda: complete([{"PartNumber": 1, "ETag": small}]))["Code"] == "NoSuchUpload"
    error = error_of(lambda: client.upload_part(Bucket="multi", Key="mp", UploadId=upload(client), PartNumber=10001, Body=b"x"))
    assert error["Code"] == "InvalidArgument"


def test_upload_part_copy_and_composite_checksums(cloud):
    client = s3(cloud)
    client.create_bucket(Bucket="multi")
    source = os.urandom(6 * MIB)
    client.put_object(Bucket="multi", Key="source", Body=source)
    upload_id = upload(client, key="copy", ChecksumAlgorithm="SHA256")
    first = client.upload_part_copy(Bucket="multi", Key="copy", UploadId=upload_id, PartNumber=1,
                                    CopySource="multi/source", CopySourceRange=f"bytes=0-{5 * MIB - 1}")["CopyPartResult"]
    second = client.upload_part(Bucket="multi", Key="copy", UploadId=upload_id, PartNumber=2, Body=b"more",
                                ChecksumAlgorithm="SHA256")
    done = client.complete_multipart_upload(Bucket="multi", Key="copy", UploadId=upload_id, MultipartUpload={"Parts": [
        {"PartNumber": 1, "ETag": first["ETag"], "ChecksumSHA256": first["ChecksumSHA256"]},
        {"PartNumber": 2, "ETag": second["ETag"], "ChecksumSHA256": second["ChecksumSHA256"]}]})
    assert done["ChecksumSHA256"].endswith("-2") and done["ChecksumType"] == "COMPOSITE"
    assert client.get_object(Bucket="multi", Key="copy")["Body"].read() == source[:5 * MIB] + b"more"


def test_full_object_crc_of_a_multipart_upload(cloud):
    import base64
    import zlib

    client = s3(cloud)
    client.create_bucket(Bucket="multi")
    upload_id = upload(client, key="crc", ChecksumAlgorithm="CRC32", ChecksumType="FULL_OBJECT")
    parts = [os.urandom(5 * MIB), b"end"]
    etags = [client.upload_part(Bucket="multi", Key="crc", UploadId=upload_id, PartNumber=n, Body=body,
                                ChecksumAlgorithm="CRC32")["ETag"] for n, body in enumerate(parts, 1)]
    done = client.complete_multipart_upload(Bucket="multi", Key="crc", UploadId=upload_id, MultipartUpload={
        "Parts": [{"PartNumber": n, "ETag": e} for n, e in enumerate(etags, 1)]})
    assert done["ChecksumCRC32"] == base64.b64encode(zlib.crc32(b"".join(parts)).to_bytes(4, "big")).decode()
    assert done["ChecksumType"] == "FULL_OBJECT"


def test_aws_chunked_bodies_with_checksum_trailers(cloud):
    """boto3 over HTTPS sends aws-chunked with STREAMING-UNSIGNED-PAYLOAD-TRAILER: make it do so here."""
    client = s3(cloud)
    client.create_bucket(Bucket="multi")

    def trailer(params, context, **_):
        context.setdefault("checksum", {}).setdefault("request_algorithm", {"algorithm": "crc32", "in": "trailer",
                                                                            "name": "x-amz-checksum-crc32"})
        context["checksum"]["request_algorithm"]["in"] = "trailer"

    seen = []
    client.meta.events.register("before-call.s3.PutObject", lambda params, **_: None)
    client.meta.events.register("before-sign.s3.PutObject", lambda request, **_: seen.append(dict(request.headers)))
    client.meta.events.register_last("before-parameter-build.s3.PutObject", lambda params, **_: params.setdefault("ChecksumAlgorithm", "CRC32"))
    client.meta.events.register("before-call.s3.PutObject", lambda model, params, request_signer, context=None, **kw: None)
    from botocore import httpchecksum

    original = httpchecksum.resolve_request_checksum_algorithm

    def force_trailer(request, operation_model, params, supported_algorithms=None):
        original(request, operation_model, params, supported_algorithms)
        algorithm = request["context"].get("checksum", {}).get("request_algorithm")
        if algorithm:
            algorithm["in"] = "trailer"

    httpchecksum.resolve_request_checksum_algorithm = force_trailer
    try:
        body = os.urandom(3 * MIB + 7)
        put = client.put_object(Bucket="multi", Key="chunked", Body=body, ChecksumAlgorithm="CRC32")
    finally:
        httpchecksum.resolve_request_checksum_algorithm = original
    assert seen and "aws-chunked" in seen[0].get("Content-Encoding", "")
    got = client.get_object(Bucket="multi", Key="chunked", ChecksumMode="ENABLED")
    assert got["Body"].read() == body and got["ChecksumCRC32"] == put["ChecksumCRC32"]
    assert "ContentEncoding" not in got  # aws-chunked is framing, not the object's encoding


@pytest.mark.timeout(300)
def test_upload_file_and_download_file_with_default_settings(cloud, tmp_path):
    client = cloud.client("s3", account="111111111111")
    client.create_bucket(Bucket="transfer")
    source = tmp_path / "big.bin"
    with open(source, "wb") as file:
        for _ in range(20):
            file.write(os.urandom(MIB))
    client.upload_file(str(source), "transfer", "big.bin")  # multipart, 8 MiB parts, threads
    head = client.head_object(Bucket="transfer", Key="big.bin")
    assert head["ContentLength"] == 20 * MIB and head["ETag"].endswith('-3"')
    target = tmp_path / "back.bin"
    client.download_file("transfer", "big.bin", str(target))  # ranged GETs in parallel
    assert hashlib.sha256(target.read_bytes()).digest() == hashlib.sha256(source.read_bytes()).digest()


def aws(cloud, *args, cwd=None):
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "111111111111", "AWS_SECRET_ACCESS_KEY": "x", "AWS_DEFAULT_REGION": "us-east-1",
           "AWS_ENDPOINT_URL": cloud.endpoint, "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"}
    result = subprocess.run([sys.executable, "-m", "awscli", *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=240)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.timeout(300)
def test_the_aws_cli_mb_cp_sync_ls_and_presign(cloud, tmp_path):
    import urllib.request

    aws(cloud, "s3", "mb", "s3://inbox")
    big = tmp_path / "big.iso"
    with open(big, "wb") as file:
        for _ in range(17):
            file.write(os.urandom(MIB))
    aws(cloud, "s3", "cp", str(big), "s3://inbox/")  # 8 MiB parts, chosen by the CLI itself
    parts = s3(cloud).head_object(Bucket="inbox", Key="big.iso")["ETag"]
    assert parts.endswith('-3"')
    tree = tmp_path / "tree"
    (tree / "sub").mkdir(parents=True)
    (tree / "a.txt").write_text("a")
    (tree / "sub" / "b.txt").write_text("b")
    aws(cloud, "s3", "sync", str(tree), "s3://inbox/tree")
    listed = aws(cloud, "s3", "ls", "--recursive", "s3://inbox")
    assert "tree/a.txt" in listed and "tree/sub/b.txt" in listed and "big.iso" in listed
    (tree / "c.txt").write_text("c")
    aws(cloud, "s3", "sync", str(tree), "s3://inbox/tree")
    assert [o["Key"] for o in s3(cloud).list_objects_v2(Bucket="inbox", Prefix="tree/")["Contents"]] == [
        "tree/a.txt", "tree/c.txt", "tree/sub/b.txt"]
    back = tmp_path / "back.iso"
    aws(cloud, "s3", "cp", "s3://inbox/big.iso", str(back))
    assert back.read_bytes() == big.read_bytes()
    url = aws(cloud, "s3", "presign", "s3://inbox/tree/a.txt", "--expires-in", "60").strip()
    result = subprocess.run(["curl", "-sf", url], capture_output=True, timeout=30)
    assert result.returncode == 0 and result.stdout == b"a"
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.read() == b"a"
