"""Buckets through boto3: names global across accounts, LocationConstraint rules, listing, delete
only when empty, versioning, tagging, settings echoed, and durability across kill -9."""

from __future__ import annotations

import pytest

from regionbox.testing import CloudProcess
from tests.services.s3.helpers import OTHER, OWNER, error_of, s3


def test_bucket_names_are_global_across_accounts(cloud):
    mine, theirs = s3(cloud), s3(cloud, OTHER)
    mine.create_bucket(Bucket="shared-name")
    assert error_of(lambda: theirs.create_bucket(Bucket="shared-name")) | {"Status": 409} == {
        "Code": "BucketAlreadyExists", "Status": 409, "BucketName": "shared-name",
        "Message": "The requested bucket name is not available. The bucket namespace is shared by all users of the system. "
                   "Please select a different name and try again."}
    mine.create_bucket(Bucket="shared-name")  # us-east-1 answers success again to its owner
    west = s3(cloud, region="eu-west-1")
    west.create_bucket(Bucket="west-one", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    error = error_of(lambda: west.create_bucket(Bucket="west-one", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}))
    assert (error["Code"], error["Status"]) == ("BucketAlreadyOwnedByYou", 409)
    assert [b["Name"] for b in theirs.list_buckets()["Buckets"]] == []


def test_location_constraint_rules(cloud):
    east, west = s3(cloud), s3(cloud, region="eu-west-1")
    assert error_of(lambda: west.create_bucket(Bucket="no-constraint"))["Code"] == "IllegalLocationConstraintException"
    error = error_of(lambda: east.create_bucket(Bucket="explicit-east", CreateBucketConfiguration={"LocationConstraint": "us-east-1"}))
    assert error["Code"] == "InvalidLocationConstraint"
    error = error_of(lambda: east.create_bucket(Bucket="mismatch", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}))
    assert error["Message"] == "The eu-west-1 location constraint is incompatible for the region specific endpoint this request was sent to."
    assert error_of(lambda: east.create_bucket(Bucket="Bad_Name"))["Code"] == "InvalidBucketName"
    east.create_bucket(Bucket="in-east")
    west.create_bucket(Bucket="in-west", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    assert east.get_bucket_location(Bucket="in-east")["LocationConstraint"] is None
    assert west.get_bucket_location(Bucket="in-west")["LocationConstraint"] == "eu-west-1"
    assert east.head_bucket(Bucket="in-east")["BucketRegion"] == "us-east-1"


def test_list_buckets_with_prefix_and_pages(cloud):
    client = s3(cloud)
    for name in ("logs-a", "logs-b", "logs-c", "data-a"):
        client.create_bucket(Bucket=name)
    assert [b["Name"] for b in client.list_buckets(Prefix="logs-")["Buckets"]] == ["logs-a", "logs-b", "logs-c"]
    first = client.list_buckets(MaxBuckets=2)
    assert [b["Name"] for b in first["Buckets"]] == ["data-a", "logs-a"]
    rest = client.list_buckets(MaxBuckets=2, ContinuationToken=first["ContinuationToken"])
    assert [b["Name"] for b in rest["Buckets"]] == ["logs-b", "logs-c"] and "ContinuationToken" not in rest
    pages = client.get_paginator("list_buckets").paginate(PaginationConfig={"PageSize": 3})
    assert sum(len(page["Buckets"]) for page in pages) == 4


def test_delete_only_when_empty_and_missing_buckets(cloud):
    client = s3(cloud)
    client.create_bucket(Bucket="full")
    client.put_object(Bucket="full", Key="k", Body=b"x")
    assert error_of(lambda: client.delete_bucket(Bucket="full")) == {
        "Code": "BucketNotEmpty", "Message": "The bucket you tried to delete is not empty", "BucketName": "full", "Status": 409}
    client.delete_object(Bucket="full", Key="k")
    client.delete_bucket(Bucket="full")
    assert error_of(lambda: client.head_bucket(Bucket="full"))["Code"] == "404"
    assert error_of(lambda: client.get_bucket_versioning(Bucket="full")) == {
        "Code": "NoSuchBucket", "Message": "The specified bucket does not exist", "BucketName": "full", "Status": 404}


def test_versioning_tagging_and_settings_echoed(cloud):
    client = s3(cloud)
    client.create_bucket(Bucket="conf")
    assert "Status" not in client.get_bucket_versioning(Bucket="conf")
    client.put_bucket_versioning(Bucket="conf", VersioningConfiguration={"Status": "Enabled"})
    assert client.get_bucket_versioning(Bucket="conf")["Status"] == "Enabled"
    assert error_of(lambda: client.get_bucket_tagging(Bucket="conf"))["Code"] == "NoSuchTagSet"
    client.put_bucket_tagging(Bucket="conf", Tagging={"TagSet": [{"Key": "team", "Value": "data"}]})
    assert client.get_bucket_tagging(Bucket="conf")["TagSet"] == [{"Key": "team", "Value": "data"}]
    # Every bucket is encrypted with SSE-S3 unless told otherwise; KMS settings are echoed.
    default = client.get_bucket_encryption(Bucket="conf")["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert default["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    client.put_bucket_encryption(Bucket="conf", ServerSideEncryptionConfiguration={"Rules": [{
        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "alias/app"}, "BucketKeyEnabled": True}]})
    rule = client.get_bucket_encryption(Bucket="conf")["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule == {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "alias/app"},
                    "BucketKeyEnabled": True}
    put = client.put_object(Bucket="conf", Key="k", Body=b"x", ServerSideEncryption="aws:kms", SSEKMSKeyId="alias/app")
    assert (put["ServerSideEncryption"], put["SSEKMSKeyId"]) == ("aws:kms", "alias/app")
    assert client.get_public_access_block(Bucket="conf")["PublicAccessBlockConfiguration"]["BlockPublicPolicy"] is True
    assert client.get_bucket_ownership_controls(Bucket="conf")["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]


def test_an_unimplemented_operation_says_why(cloud):
    client = s3(cloud)
    client.create_bucket(Bucket="why")
    error = error_of(lambda: client.get_object_torrent(Bucket="why", Key="file"))
    assert error["Status"] == 501 and "retired by AWS" in error["Message"]


@pytest.mark.timeout(120)
def test_buckets_objects_and_uploads_survive_kill_9(tmp_path):
    process = CloudProcess(state_dir=tmp_path / "state").start()
    try:
        client = s3(process)
        client.create_bucket(Bucket="durable")
        client.put_bucket_versioning(Bucket="durable", VersioningConfiguration={"Status": "Enabled"})
        first = client.put_object(Bucket="durable", Key="doc", Body=b"one")["VersionId"]
        client.put_object(Bucket="durable", Key="doc", Body=b"two", Metadata={"kind": "note"})
        upload = client.create_multipart_upload(Bucket="durable", Key="big")["UploadId"]
        part = client.upload_part(Bucket="durable", Key="big", UploadId=upload, PartNumber=1, Body=b"p" * (5 * 1024 * 1024))
        process.kill9()
        process.start()
        client = s3(process)
        got = client.get_object(Bucket="durable", Key="doc")
        assert got["Body"].read() == b"two" and got["Metadata"] == {"kind": "note"}
        assert client.get_object(Bucket="durable", Key="doc", VersionId=first)["Body"].read() == b"one"
        assert client.list_parts(Bucket="durable", Key="big", UploadId=upload)["Parts"][0]["ETag"] == part["ETag"]
        client.upload_part(Bucket="durable", Key="big", UploadId=upload, PartNumber=2, Body=b"end")
        client.complete_multipart_upload(Bucket="durable", Key="big", UploadId=upload, MultipartUpload={"Parts": [
            {"PartNumber": 1, "ETag": part["ETag"]},
            {"PartNumber": 2, "ETag": client.list_parts(Bucket="durable", Key="big", UploadId=upload)["Parts"][1]["ETag"]}]})
        assert client.head_object(Bucket="durable", Key="big")["ContentLength"] == 5 * 1024 * 1024 + 3
        assert client.get_bucket_versioning(Bucket="durable")["Status"] == "Enabled"
    finally:
        process.cleanup()


def test_a_half_written_upload_never_becomes_visible(tmp_path):
    import http.client

    process = CloudProcess(state_dir=tmp_path / "state").start()
    try:
        client = s3(process)
        client.create_bucket(Bucket="partial")
        connection = http.client.HTTPConnection("127.0.0.1", process.port, timeout=10)
        connection.putrequest("PUT", "/partial/half")
        connection.putheader("Content-Length", str(10 * 1024 * 1024))
        connection.putheader("Authorization", "AWS4-HMAC-SHA256 Credential=111111111111/20260101/us-east-1/s3/aws4_request, "
                                              "SignedHeaders=host, Signature=x")
        connection.putheader("x-amz-content-sha256", "UNSIGNED-PAYLOAD")
        connection.endheaders()
        connection.send(b"x" * (1024 * 1024))
        import time

        time.sleep(0.5)
        process.kill9()
        connection.close()
        process.start()
        client = s3(process)
        assert client.list_objects_v2(Bucket="partial")["KeyCount"] == 0
        assert list((tmp_path / "state" / "s3" / "tmp").iterdir()) == []
        assert error_of(lambda: client.head_object(Bucket="partial", Key="half"))["Code"] == "404"
    finally:
        process.cleanup()


def test_owner_is_the_callers_account(cloud):
    client = s3(cloud)
    client.create_bucket(Bucket="owned")
    acl = client.get_bucket_acl(Bucket="owned")
    assert acl["Grants"][0]["Permission"] == "FULL_CONTROL"
    assert acl["Owner"]["ID"] == client.list_buckets()["Owner"]["ID"] != s3(cloud, OTHER).list_buckets()["Owner"]["ID"]
    assert OWNER not in acl["Owner"]["ID"]


def test_list_directory_buckets_is_empty_beside_general_purpose_buckets(cloud):
    client = s3(cloud)
    client.create_bucket(Bucket="general")
    assert client.list_directory_buckets()["Buckets"] == []
    assert [b["Name"] for b in client.list_buckets()["Buckets"]] == ["general"]
