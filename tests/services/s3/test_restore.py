"""Archived objects and RestoreObject over boto3, with a short S3 day (an hour is 0.1 s): GetObject
refused until a restore completes, x-amz-restore from ongoing to an expiry date, archived again after."""

from __future__ import annotations


from regionbox.testing.waiting import eventually
from tests.services.s3.helpers import error_of, module_cloud, s3


short_days = module_cloud(s3_day=2.4)


def test_archived_object_is_readable_only_once_restored(short_days):
    client = s3(short_days)
    client.create_bucket(Bucket="archive")
    client.put_object(Bucket="archive", Key="tape.tar", Body=b"old data", StorageClass="DEEP_ARCHIVE")
    client.put_object(Bucket="archive", Key="hot.txt", Body=b"hot")
    error = error_of(lambda: client.get_object(Bucket="archive", Key="tape.tar"))
    assert (error["Code"], error["Message"], error["Status"], error["StorageClass"]) == (
        "InvalidObjectState", "The operation is not valid for the object's storage class", 403, "DEEP_ARCHIVE")
    assert error_of(lambda: client.copy_object(Bucket="archive", Key="copy", CopySource="archive/tape.tar"))[
        "Code"] == "InvalidObjectState"
    head = client.head_object(Bucket="archive", Key="tape.tar")
    assert head["StorageClass"] == "DEEP_ARCHIVE" and "Restore" not in head
    error = error_of(lambda: client.restore_object(Bucket="archive", Key="hot.txt", RestoreRequest={"Days": 1}))
    assert (error["Code"], error["Message"]) == ("InvalidObjectState", "Restore is not allowed for the object's current storage class")
    error = error_of(lambda: client.restore_object(Bucket="archive", Key="tape.tar", RestoreRequest={
        "Days": 1, "GlacierJobParameters": {"Tier": "Expedited"}}))
    assert error["Code"] == "InvalidArgument"  # no expedited retrieval from Deep Archive

    client.restore_object(Bucket="archive", Key="tape.tar", RestoreRequest={"Days": 3, "GlacierJobParameters": {"Tier": "Bulk"}})
    assert client.head_object(Bucket="archive", Key="tape.tar")["Restore"] == 'ongoing-request="true"'
    error = error_of(lambda: client.restore_object(Bucket="archive", Key="tape.tar", RestoreRequest={"Days": 3}))
    assert (error["Code"], error["Message"], error["Status"]) == (
        "RestoreAlreadyInProgress", "Object restore is already in progress", 409)
    assert error_of(lambda: client.get_object(Bucket="archive", Key="tape.tar"))["Code"] == "InvalidObjectState"
    restored = eventually(lambda: client.head_object(Bucket="archive", Key="tape.tar").get("Restore", "").startswith(
        'ongoing-request="false", expiry-date="'), what="the restore completed")
    assert restored
    assert client.get_object(Bucket="archive", Key="tape.tar")["Body"].read() == b"old data"
    client.copy_object(Bucket="archive", Key="thawed.tar", CopySource="archive/tape.tar", StorageClass="STANDARD")
    assert client.get_object(Bucket="archive", Key="thawed.tar")["Body"].read() == b"old data"


def test_restored_copy_expires(short_days):
    client = s3(short_days)
    client.create_bucket(Bucket="glacier")
    client.put_object(Bucket="glacier", Key="photo.raw", Body=b"raw", StorageClass="GLACIER")
    client.restore_object(Bucket="glacier", Key="photo.raw", RestoreRequest={"Days": 1, "GlacierJobParameters": {"Tier": "Expedited"}})
    eventually(lambda: "expiry-date" in client.head_object(Bucket="glacier", Key="photo.raw").get("Restore", ""),
               what="the restore completed")
    eventually(lambda: "Restore" not in client.head_object(Bucket="glacier", Key="photo.raw"), what="the restored copy expired")
    assert error_of(lambda: client.get_object(Bucket="glacier", Key="photo.raw"))["Code"] == "InvalidObjectState"
