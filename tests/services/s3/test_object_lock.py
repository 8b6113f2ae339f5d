"""Object Lock over boto3: a locked bucket's configuration, default retention on new versions,
retention and legal holds enforced on every removal, GOVERNANCE bypass, COMPLIANCE for good."""

from __future__ import annotations

import datetime

import pytest

from regionbox.testing import CloudProcess
from regionbox.testing.waiting import eventually
from tests.services.s3.helpers import error_of, s3


def later(days: float = 1) -> datetime.datetime:
    return (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=days)).replace(microsecond=0)


def test_object_lock_configuration_needs_a_lock_enabled_or_versioned_bucket(cloud):
    client = s3(cloud)
    client.create_bucket(Bucket="plain")
    error = error_of(lambda: client.get_object_lock_configuration(Bucket="plain"))
    assert (error["Code"], error["Message"], error["Status"]) == (
        "ObjectLockConfigurationNotFoundError", "Object Lock configuration does not exist for this bucket", 404)
    error = error_of(lambda: client.put_object_lock_configuration(
        Bucket="plain", ObjectLockConfiguration={"ObjectLockEnabled": "Enabled"}))
    assert (error["Code"], error["Status"]) == ("InvalidBucketState", 409)
    client.put_object(Bucket="plain", Key="k", Body=b"x")
    error = error_of(lambda: client.put_object_retention(Bucket="plain", Key="k", Retention={
        "Mode": "GOVERNANCE", "RetainUntilDate": later()}))
    assert (error["Code"], error["Message"]) == ("InvalidRequest", "Bucket is missing Object Lock Configuration")
    error = error_of(lambda: client.put_object(Bucket="plain", Key="k", Body=b"x", ObjectLockMode="GOVERNANCE",
                                              ObjectLockRetainUntilDate=later()))
    assert error["Code"] == "InvalidRequest"

    # A versioned bucket may turn Object Lock on later (AWS since 2023), for good.
    client.put_bucket_versioning(Bucket="plain", VersioningConfiguration={"Status": "Enabled"})
    client.put_object_lock_configuration(Bucket="plain", ObjectLockConfiguration={"ObjectLockEnabled": "Enabled"})
    assert client.get_object_lock_configuration(Bucket="plain")["ObjectLockConfiguration"] == {"ObjectLockEnabled": "Enabled"}
    error = error_of(lambda: client.put_bucket_versioning(Bucket="plain", VersioningConfiguration={"Status": "Suspended"}))
    assert error["Code"] == "InvalidBucketState"

    client.create_bucket(Bucket="vault", ObjectLockEnabledForBucket=True)
    assert client.get_bucket_versioning(Bucket="vault")["Status"] == "Enabled"
    for bad in ({"Mode": "GOVERNANCE", "Days": 1, "Years": 1}, {"Mode": "FOREVER", "Days": 1}, {"Mode": "GOVERNANCE"}):
        error = error_of(lambda: client.put_object_lock_configuration(Bucket="vault", ObjectLockConfiguration={
            "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": bad}}))
        assert error["Code"] == "MalformedXML", bad
    error = error_of(lambda: client.put_object_lock_configuration(Bucket="vault", ObjectLockConfiguration={
        "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 0}}}))
    assert (error["Code"], error["Message"]) == ("InvalidArgument", "Default retention period must be a positive integer value")
    rule = {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 2}}
    client.put_object_lock_configuration(Bucket="vault", ObjectLockConfiguration={"ObjectLockEnabled": "Enabled", "Rule": rule})
    assert client.get_object_lock_configuration(Bucket="vault")["ObjectLockConfiguration"] == {
        "ObjectLockEnabled": "Enabled", "Rule": rule}


def test_default_retention_protects_new_versions_until_bypassed(cloud):
    client = s3(cloud)
    client.create_bucket(Bucket="vault", ObjectLockEnabledForBucket=True)
    client.put_object(Bucket="vault", Key="before", Body=b"old")  # written before any default: not locked
    client.put_object_lock_configuration(Bucket="vault", ObjectLockConfiguration={
        "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1}}})
    version = client.put_object(Bucket="vault", Key="ledger", Body=b"v1")["VersionId"]
    head = client.head_object(Bucket="vault", Key="ledger")
    assert head["ObjectLockMode"] == "GOVERNANCE"
    assert later(0.9) < head["ObjectLockRetainUntilDate"] < later(1.1)
    retention = client.get_object_retention(Bucket="vault", Key="ledger")["Retention"]
    assert retention["Mode"] == "GOVERNANCE"
    error = error_of(lambda: client.get_object_retention(Bucket="vault", Key="before"))
    assert (error["Code"], error["Message"]) == ("NoSuchObjectLockConfiguration",
                                                 "The specified object does not have a ObjectLock configuration")

    # A delete without a version id only adds a delete marker; removing the version is refused.
    marker = client.delete_object(Bucket="vault", Key="ledger")
    assert marker["DeleteMarker"] is True
    error = error_of(lambda: client.delete_object(Bucket="vault", Key="ledger", VersionId=version))
    assert (error["Code"], error["Status"]) == ("AccessDenied", 403)
    result = client.delete_objects(Bucket="vault", Delete={"Objects": [{"Key": "ledger", "VersionId": version}]})
    assert result["Errors"][0]["Code"] == "AccessDenied"
    assert client.get_object(Bucket="vault", Key="ledger", VersionId=version)["Body"].read() == b"v1"
    # Shortening a GOVERNANCE retention needs the bypass; extending it does not.
    error = error_of(lambda: client.put_object_retention(Bucket="vault", Key="ledger", VersionId=version, Retention={
        "Mode": "GOVERNANCE", "RetainUntilDate": later(0.5)}))
    assert error["Code"] == "AccessDenied"
    client.put_object_retention(Bucket="vault", Key="ledger", VersionId=version, Retention={
        "Mode": "GOVERNANCE", "RetainUntilDate": later(3)})
    error = error_of(lambda: client.put_object_retention(Bucket="vault", Key="ledger", VersionId=version, Retention={
        "Mode": "GOVERNANCE", "RetainUntilDate": later(-1)}, BypassGovernanceRetention=True))
    assert (error["Code"], error["Message"]) == ("InvalidArgument", "The retain until date must be in the future!")
    client.delete_object(Bucket="vault", Key="ledger", VersionId=version, BypassGovernanceRetention=True)
    assert error_of(lambda: client.get_object(Bucket="vault", Key="ledger", VersionId=version))["Code"] == "NoSuchVersion"
    client.delete_object(Bucket="vault", Key="before", VersionId="null")


def test_compliance_is_never_shortened_and_legal_hold_blocks_deletes(cloud):
    client = s3(cloud)
    client.create_bucket(Bucket="vault", ObjectLockEnabledForBucket=True)
    error = error_of(lambda: client.put_object(Bucket="vault", Key="k", Body=b"x", ObjectLockMode="COMPLIANCE"))
    assert error["Code"] == "InvalidArgument"
    version = client.put_object(Bucket="vault", Key="k", Body=b"x", ObjectLockMode="COMPLIANCE",
                                ObjectLockRetainUntilDate=later(1))["VersionId"]
    got = client.get_object(Bucket="vault", Key="k")
    assert got["ObjectLockMode"] == "COMPLIANCE" and "ObjectLockLegalHoldStatus" not in got
    for retention in ({"Mode": "COMPLIANCE", "RetainUntilDate": later(0.5)}, {"Mode": "GOVERNANCE", "RetainUntilDate": later(5)}):
        error = error_of(lambda: client.put_object_retention(Bucket="vault", Key="k", Retention=retention,
                                                             BypassGovernanceRetention=True))
        assert error["Code"] == "AccessDenied", retention
    error = error_of(lambda: client.delete_object(Bucket="vault", Key="k", VersionId=version, BypassGovernanceRetention=True))
    assert error["Code"] == "AccessDenied"

    hold = client.put_object(Bucket="vault", Key="evidence", Body=b"e", ObjectLockLegalHoldStatus="ON")["VersionId"]
    assert client.head_object(Bucket="vault", Key="evidence")["ObjectLockLegalHoldStatus"] == "ON"
    assert client.get_object_legal_hold(Bucket="vault", Key="evidence")["LegalHold"] == {"Status": "ON"}
    error = error_of(lambda: client.get_object_legal_hold(Bucket="vault", Key="k"))
    assert error["Code"] == "NoSuchObjectLockConfiguration"
    error = error_of(lambda: client.delete_object(Bucket="vault", Key="evidence", VersionId=hold, BypassGovernanceRetention=True))
    assert error["Code"] == "AccessDenied"
    client.put_object_legal_hold(Bucket="vault", Key="evidence", LegalHold={"Status": "OFF"})
    client.delete_object(Bucket="vault", Key="evidence", VersionId=hold)
    # A legal hold on a multipart object and a copy: the headers work on every write.
    upload = client.create_multipart_upload(Bucket="vault", Key="big", ObjectLockLegalHoldStatus="ON")["UploadId"]
    etag = client.upload_part(Bucket="vault", Key="big", UploadId=upload, PartNumber=1, Body=b"p")["ETag"]
    client.complete_multipart_upload(Bucket="vault", Key="big", UploadId=upload,
                                     MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]})
    assert client.head_object(Bucket="vault", Key="big")["ObjectLockLegalHoldStatus"] == "ON"
    copied = client.copy_object(Bucket="vault", Key="copy", CopySource="vault/big")["VersionId"]
    assert "ObjectLockLegalHoldStatus" not in client.head_object(Bucket="vault", Key="copy", VersionId=copied)


@pytest.mark.timeout(120)
def test_locks_and_replication_survive_kill_9(tmp_path):
    process = CloudProcess(state_dir=tmp_path / "state").start()
    try:
        client = s3(process)
        client.create_bucket(Bucket="vault", ObjectLockEnabledForBucket=True)
        client.create_bucket(Bucket="copies")
        client.put_bucket_versioning(Bucket="copies", VersioningConfiguration={"Status": "Enabled"})
        client.put_bucket_replication(Bucket="vault", ReplicationConfiguration={
            "Role": "arn:aws:iam::111111111111:role/replication", "Rules": [{
                "ID": "all", "Priority": 1, "Status": "Enabled", "Filter": {"Prefix": ""},
                "DeleteMarkerReplication": {"Status": "Disabled"}, "Destination": {"Bucket": "arn:aws:s3:::copies"}}]})
        version = client.put_object(Bucket="vault", Key="ledger", Body=b"v1", ObjectLockMode="COMPLIANCE",
                                    ObjectLockRetainUntilDate=later(1))["VersionId"]
        process.kill9()
        process.start()
        client = s3(process)
        assert client.get_object_retention(Bucket="vault", Key="ledger")["Retention"]["Mode"] == "COMPLIANCE"
        assert error_of(lambda: client.delete_object(Bucket="vault", Key="ledger", VersionId=version))["Code"] == "AccessDenied"
        eventually(lambda: client.head_object(Bucket="vault", Key="ledger")["ReplicationStatus"] == "COMPLETED",
                   what="replication completed (resumed after the restart if it was pending)")
        client.put_object(Bucket="vault", Key="after", Body=b"v2")
        eventually(lambda: client.head_object(Bucket="vault", Key="after")["ReplicationStatus"] == "COMPLETED",
                   what="replication after the restart")
        assert client.get_object(Bucket="copies", Key="after")["Body"].read() == b"v2"
    finally:
        process.cleanup()
