"""Objects through boto3 (client and resource): put/get/head/delete, ranges, conditions, metadata
and content headers, tagging, copies, batch deletes, checksums and ETags."""

from __future__ import annotations

import base64
import datetime
import hashlib
import zlib

from botocore.config import Config as BotoConfig

from tests.services.s3.helpers import OTHER, error_of, s3


def bucket(cloud, name="objects", **kwargs):
    client = s3(cloud, **kwargs)
    client.create_bucket(Bucket=name)
    return client


def test_put_get_head_with_metadata_and_content_headers(cloud):
    client = bucket(cloud)
    put = client.put_object(Bucket="objects", Key="docs/a.txt", Body=b"hello world", ContentType="text/plain",
                            Metadata={"Owner": "ann"}, CacheControl="max-age=60", ContentDisposition="inline",
                            ContentLanguage="en", Expires=datetime.datetime(2030, 1, 1, tzinfo=datetime.timezone.utc))
    assert put["ETag"] == '"%s"' % hashlib.md5(b"hello world").hexdigest()
    got = client.get_object(Bucket="objects", Key="docs/a.txt")
    assert got["Body"].read() == b"hello world"
    assert (got["ContentType"], got["Metadata"], got["CacheControl"], got["ContentDisposition"], got["ContentLanguage"]) == (
        "text/plain", {"owner": "ann"}, "max-age=60", "inline", "en")
    head = client.head_object(Bucket="objects", Key="docs/a.txt")
    assert head["ContentLength"] == 11 and head["ETag"] == put["ETag"] and head["AcceptRanges"] == "bytes"
    assert head["ServerSideEncryption"] == "AES256"
    overridden = client.get_object(Bucket="objects", Key="docs/a.txt", ResponseContentType="application/json")
    assert overridden["ContentType"] == "application/json"
    assert error_of(lambda: client.get_object(Bucket="objects", Key="nope")) == {
        "Code": "NoSuchKey", "Message": "The specified key does not exist.", "Key": "nope", "Status": 404}
    assert error_of(lambda: client.head_object(Bucket="objects", Key="nope"))["Status"] == 404
    resource = cloud.resource("s3", account="111111111111")
    assert resource.Object("objects", "docs/a.txt").get()["Body"].read() == b"hello world"
    resource.Bucket("objects").put_object(Key="docs/b.txt", Body=b"b")
    assert sorted(o.key for o in resource.Bucket("objects").objects.all()) == ["docs/a.txt", "docs/b.txt"]


def test_ranges(cloud):
    client = bucket(cloud)
    client.put_object(Bucket="objects", Key="r", Body=b"0123456789")
    for wanted, body, content_range in (("bytes=2-4", b"234", "bytes 2-4/10"), ("bytes=7-", b"789", "bytes 7-9/10"),
                                        ("bytes=-3", b"789", "bytes 7-9/10"), ("bytes=8-100", b"89", "bytes 8-9/10")):
        got = client.get_object(Bucket="objects", Key="r", Range=wanted)
        assert (got["Body"].read(), got["ContentRange"], got["ResponseMetadata"]["HTTPStatusCode"]) == (body, content_range, 206)
    error = error_of(lambda: client.get_object(Bucket="objects", Key="r", Range="bytes=10-20"))
    assert error == {"Code": "InvalidRange", "Message": "The requested range is not satisfiable", "RangeRequested": "bytes=10-20",
                     "ActualObjectSize": "10", "Status": 416}
    assert client.get_object(Bucket="objects", Key="r", Range="bytes=5-2")["Body"].read() == b"0123456789"


def test_conditional_reads_and_writes(cloud):
    client = bucket(cloud)
    etag = client.put_object(Bucket="objects", Key="c", Body=b"v1")["ETag"]
    modified = client.head_object(Bucket="objects", Key="c")["LastModified"]
    past, future = modified - datetime.timedelta(days=1), modified + datetime.timedelta(days=1)
    assert client.get_object(Bucket="objects", Key="c", IfMatch=etag)["Body"].read() == b"v1"
    error = error_of(lambda: client.get_object(Bucket="objects", Key="c", IfMatch='"other"'))
    assert (error["Code"], error["Condition"], error["Status"]) == ("PreconditionFailed", "If-Match", 412)
    assert error_of(lambda: client.get_object(Bucket="objects", Key="c", IfNoneMatch=etag))["Status"] == 304
    assert error_of(lambda: client.head_object(Bucket="objects", Key="c", IfModifiedSince=future))["Status"] == 304
    assert client.get_object(Bucket="objects", Key="c", IfModifiedSince=past)["Body"].read() == b"v1"
    error = error_of(lambda: client.get_object(Bucket="objects", Key="c", IfUnmodifiedSince=past))
    assert error["Condition"] == "If-Unmodified-Since"
    # If-Match that holds wins over If-Unmodified-Since that does not (RFC 7232), as S3 does.
    assert client.get_object(Bucket="objects", Key="c", IfMatch=etag, IfUnmodifiedSince=past)["Body"].read() == b"v1"
    error = error_of(lambda: client.put_object(Bucket="objects", Key="c", Body=b"v2", IfNoneMatch="*"))
    assert (error["Code"], error["Condition"]) == ("PreconditionFailed", "If-None-Match")
    client.put_object(Bucket="objects", Key="new", Body=b"v1", IfNoneMatch="*")
    assert error_of(lambda: client.put_object(Bucket="objects", Key="c", Body=b"v2", IfMatch='"stale"'))["Status"] == 412
    client.put_object(Bucket="objects", Key="c", Body=b"v2", IfMatch=etag)
    assert client.get_object(Bucket="objects", Key="c")["Body"].read() == b"v2"


def test_object_tagging(cloud):
    client = bucket(cloud)
    client.put_object(Bucket="objects", Key="t", Body=b"x", Tagging="env=prod&team=a%20b")
    assert client.get_object_tagging(Bucket="objects", Key="t")["TagSet"] == [{"Key": "env", "Value": "prod"},
                                                                               {"Key": "team", "Value": "a b"}]
    assert client.get_object(Bucket="objects", Key="t")["TagCount"] == 2
    client.put_object_tagging(Bucket="objects", Key="t", Tagging={"TagSet": [{"Key": "k", "Value": "v"}]})
    assert client.get_object_tagging(Bucket="objects", Key="t")["TagSet"] == [{"Key": "k", "Value": "v"}]
    client.delete_object_tagging(Bucket="objects", Key="t")
    assert client.get_object_tagging(Bucket="objects", Key="t")["TagSet"] == []


def test_copy_object_directives_conditions_and_across_buckets(cloud):
    client = bucket(cloud)
    client.create_bucket(Bucket="target")
    etag = client.put_object(Bucket="objects", Key="src", Body=b"data", ContentType="text/csv", Metadata={"a": "1"},
                             Tagging="t=1")["ETag"]
    copied = client.copy_object(Bucket="target", Key="dst", CopySource={"Bucket": "objects", "Key": "src"})
    assert copied["CopyObjectResult"]["ETag"] == etag
    got = client.get_object(Bucket="target", Key="dst")
    assert (got["Body"].read(), got["ContentType"], got["Metadata"], got["TagCount"]) == (b"data", "text/csv", {"a": "1"}, 1)
    client.copy_object(Bucket="target", Key="replaced", CopySource="objects/src", MetadataDirective="REPLACE",
                       ContentType="text/plain", Metadata={"b": "2"})
    got = client.head_object(Bucket="target", Key="replaced")
    assert (got["ContentType"], got["Metadata"]) == ("text/plain", {"b": "2"})
    error = error_of(lambda: client.copy_object(Bucket="objects", Key="src", CopySource="objects/src"))
    assert error["Code"] == "InvalidRequest" and "copy an object to itself" in error["Message"]
    client.copy_object(Bucket="objects", Key="src", CopySource="objects/src", MetadataDirective="REPLACE", Metadata={"c": "3"})
    error = error_of(lambda: client.copy_object(Bucket="target", Key="x", CopySource="objects/src", CopySourceIfMatch='"nope"'))
    assert (error["Code"], error["Condition"]) == ("PreconditionFailed", "x-amz-copy-source-If-Match")
    assert error_of(lambda: client.copy_object(Bucket="target", Key="x", CopySource="objects/none"))["Code"] == "NoSuchKey"
    # The copy is independent of its source.
    client.delete_object(Bucket="objects", Key="src")
    assert client.get_object(Bucket="target", Key="dst")["Body"].read() == b"data"


def test_delete_objects_quiet_and_verbose(cloud):
    client = bucket(cloud)
    for key in ("a", "b", "c"):
        client.put_object(Bucket="objects", Key=key, Body=b"x")
    verbose = client.delete_objects(Bucket="objects", Delete={"Objects": [{"Key": "a"}, {"Key": "missing"}]})
    assert sorted(d["Key"] for d in verbose["Deleted"]) == ["a", "missing"] and "Errors" not in verbose
    quiet = client.delete_objects(Bucket="objects", Delete={"Objects": [{"Key": "b"}], "Quiet": True})
    assert "Deleted" not in quiet
    assert [o["Key"] for o in client.list_objects_v2(Bucket="objects")["Contents"]] == ["c"]
    denied = s3(cloud, OTHER).delete_objects(Bucket="objects", Delete={"Objects": [{"Key": "c"}]})
    assert denied["Errors"] == [{"Key": "c", "Code": "AccessDenied", "Message": "Access Denied"}]


def test_checksums_are_computed_stored_and_returned(cloud):
    client = bucket(cloud, config_checksums=None) if False else bucket(cloud)
    body = b"checksum me" * 1000
    crc32 = base64.b64encode(zlib.crc32(body).to_bytes(4, "big")).decode()
    for algorithm in ("CRC32", "CRC32C", "SHA1", "SHA256", "CRC64NVME"):
        put = client.put_object(Bucket="objects", Key=algorithm, Body=body, ChecksumAlgorithm=algorithm)
        head = client.head_object(Bucket="objects", Key=algorithm, ChecksumMode="ENABLED")
        assert head[f"Checksum{algorithm}"] == put[f"Checksum{algorithm}"]
        assert head["ChecksumType"] == "FULL_OBJECT"
        got = client.get_object(Bucket="objects", Key=algorithm, ChecksumMode="ENABLED")  # botocore validates it
        assert got["Body"].read() == body
    assert client.head_object(Bucket="objects", Key="CRC32", ChecksumMode="ENABLED")["ChecksumCRC32"] == crc32
    if_sha = base64.b64encode(hashlib.sha256(body).digest()).decode()
    assert client.head_object(Bucket="objects", Key="SHA256", ChecksumMode="ENABLED")["ChecksumSHA256"] == if_sha
    error = error_of(lambda: client.put_object(Bucket="objects", Key="bad", Body=body, ChecksumCRC32="AAAAAA=="))
    assert (error["Code"], error["Message"]) == ("BadDigest", "The CRC32 you specified did not match the calculated checksum.")
    error = error_of(lambda: client.put_object(Bucket="objects", Key="bad", Body=b"x", ContentMD5=base64.b64encode(b"0" * 16).decode()))
    assert error["Code"] == "BadDigest"
    assert error_of(lambda: client.head_object(Bucket="objects", Key="bad"))["Status"] == 404
    # Without a checksum asked for, S3 still keeps a CRC64NVME of the object.
    plain = s3(cloud, request_checksum_calculation="when_required")
    plain.put_object(Bucket="objects", Key="plain", Body=b"abc")
    assert "ChecksumCRC64NVME" in plain.head_object(Bucket="objects", Key="plain", ChecksumMode="ENABLED")


def test_object_attributes(cloud):
    client = bucket(cloud)
    client.put_object(Bucket="objects", Key="attr", Body=b"12345", ChecksumAlgorithm="SHA256")
    found = client.get_object_attributes(Bucket="objects", Key="attr", ObjectAttributes=["ETag", "ObjectSize", "Checksum", "StorageClass"])
    assert found["ObjectSize"] == 5 and found["ETag"] == hashlib.md5(b"12345").hexdigest() and found["StorageClass"] == "STANDARD"
    assert "ChecksumSHA256" in found["Checksum"]


def test_virtual_hosted_addressing(cloud):
    import urllib.request

    client = bucket(cloud, name="vhost")
    port = cloud.endpoint.rsplit(":", 1)[1]
    virtual = cloud.session("111111111111").client("s3", endpoint_url=f"http://s3.localhost:{port}", config=BotoConfig(
        s3={"addressing_style": "virtual"}, retries={"max_attempts": 1}))
    virtual.meta.events.register("before-send.s3", _connect_to_loopback)
    virtual.put_object(Bucket="vhost", Key="dir/file.txt", Body=b"by host")
    assert client.get_object(Bucket="vhost", Key="dir/file.txt")["Body"].read() == b"by host"
    assert virtual.get_object(Bucket="vhost", Key="dir/file.txt")["Body"].read() == b"by host"
    assert [o["Key"] for o in virtual.list_objects_v2(Bucket="vhost")["Contents"]] == ["dir/file.txt"]
    # <bucket>.s3.<region>.localhost as well, for a plain HTTP client (a public object, anonymous).
    client.delete_public_access_block(Bucket="vhost")
    client.put_bucket_policy(Bucket="vhost", Policy='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*",'
                             '"Action":"s3:GetObject","Resource":"arn:aws:s3:::vhost/*"}]}')
    request = urllib.request.Request(cloud.endpoint + "/dir/file.txt", headers={"Host": "vhost.s3.us-east-1.localhost"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.read() == b"by host"


def _connect_to_loopback(request, **_):
    """The request as signed for <bucket>.s3.localhost, sent to 127.0.0.1 (this machine's resolver
    does not know *.localhost names; browsers and curl --resolve do)."""
    from urllib.parse import urlsplit, urlunsplit

    url = urlsplit(request.url)
    request.headers["Host"] = url.netloc
    request.url = urlunsplit((url.scheme, f"127.0.0.1:{url.port}", url.path, url.query, ""))
