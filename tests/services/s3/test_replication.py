"""Replication over boto3: the configuration's validation, and new objects and delete markers really
copied to the destination bucket in the background (PENDING -> COMPLETED, REPLICA)."""

from __future__ import annotations

from regionbox.testing.waiting import eventually
from tests.services.s3.helpers import error_of, s3

ROLE = "arn:aws:iam::111111111111:role/replication"


def versioned(client, *names: str) -> None:
    for name in names:
        client.create_bucket(Bucket=name)
        client.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})


def rule(destination: str = "backup", **more) -> dict:
    return {"ID": "docs", "Priority": 1, "Status": "Enabled", "Filter": {"Prefix": "docs/"},
            "DeleteMarkerReplication": {"Status": "Enabled"},
            "Destination": {"Bucket": f"arn:aws:s3:::{destination}"}, **more}


def test_replication_configuration_is_validated(cloud):
    client = s3(cloud)
    client.create_bucket(Bucket="unversioned")
    versioned(client, "source", "backup")
    error = error_of(lambda: client.put_bucket_replication(Bucket="unversioned", ReplicationConfiguration={
        "Role": ROLE, "Rules": [rule()]}))
    assert (error["Code"], error["Message"]) == (
        "InvalidRequest", "Versioning must be 'Enabled' on the bucket to apply a replication configuration")
    error = error_of(lambda: client.put_bucket_replication(Bucket="source", ReplicationConfiguration={
        "Role": ROLE, "Rules": [rule("nowhere")]}))
    assert (error["Code"], error["Message"]) == ("InvalidRequest", "Destination bucket must exist.")
    error = error_of(lambda: client.put_bucket_replication(Bucket="source", ReplicationConfiguration={
        "Role": ROLE, "Rules": [rule("unversioned")]}))
    assert (error["Code"], error["Message"]) == ("InvalidRequest", "Destination bucket must have versioning enabled.")
    no_marker_setting = {k: v for k, v in rule().items() if k != "DeleteMarkerReplication"}
    error = error_of(lambda: client.put_bucket_replication(Bucket="source", ReplicationConfiguration={
        "Role": ROLE, "Rules": [no_marker_setting]}))
    assert error["Code"] == "InvalidArgument" and error["Message"].startswith("DeleteMarkerReplication must be specified")
    error = error_of(lambda: client.put_bucket_replication(Bucket="source", ReplicationConfiguration={
        "Role": "not-a-role", "Rules": [rule()]}))
    assert error["Code"] == "InvalidArgument"
    error = error_of(lambda: client.get_bucket_replication(Bucket="source"))
    assert (error["Code"], error["Message"], error["Status"]) == (
        "ReplicationConfigurationNotFoundError", "The replication configuration was not found", 404)
    client.put_bucket_replication(Bucket="source", ReplicationConfiguration={
        "Role": ROLE, "Rules": [{k: v for k, v in rule().items() if k != "ID"}]})
    stored = client.get_bucket_replication(Bucket="source")["ReplicationConfiguration"]
    assert stored["Role"] == ROLE and stored["Rules"][0]["ID"] and stored["Rules"][0]["Filter"] == {"Prefix": "docs/"}
    client.delete_bucket_replication(Bucket="source")
    assert error_of(lambda: client.get_bucket_replication(Bucket="source"))["Code"] == "ReplicationConfigurationNotFoundError"


def test_new_objects_and_delete_markers_are_replicated(cloud):
    client = s3(cloud)
    versioned(client, "source", "backup")
    client.put_object(Bucket="source", Key="docs/existing", Body=b"before")  # existing objects are not replicated
    client.put_bucket_replication(Bucket="source", ReplicationConfiguration={
        "Role": ROLE, "Rules": [rule(Destination={"Bucket": "arn:aws:s3:::backup", "StorageClass": "STANDARD_IA"})]})
    written = client.put_object(Bucket="source", Key="docs/report.txt", Body=b"quarterly", Metadata={"team": "ops"},
                                Tagging="kind=report")
    assert client.head_object(Bucket="source", Key="docs/report.txt")["ReplicationStatus"] in ("PENDING", "COMPLETED")
    eventually(lambda: client.head_object(Bucket="source", Key="docs/report.txt")["ReplicationStatus"] == "COMPLETED",
               what="replication completed")
    replica = client.get_object(Bucket="backup", Key="docs/report.txt")
    assert replica["Body"].read() == b"quarterly"
    assert (replica["ReplicationStatus"], replica["VersionId"], replica["Metadata"], replica["StorageClass"]) == (
        "REPLICA", written["VersionId"], {"team": "ops"}, "STANDARD_IA")
    assert client.get_object_tagging(Bucket="backup", Key="docs/report.txt")["TagSet"] == [{"Key": "kind", "Value": "report"}]

    client.put_object(Bucket="source", Key="notes/todo", Body=b"not replicated")
    assert "ReplicationStatus" not in client.head_object(Bucket="source", Key="notes/todo")

    marker = client.delete_object(Bucket="source", Key="docs/report.txt")["VersionId"]
    eventually(lambda: [m["VersionId"] for m in client.list_object_versions(Bucket="backup").get("DeleteMarkers", [])] == [marker],
               what="delete marker replicated")
    assert error_of(lambda: client.head_object(Bucket="backup", Key="docs/report.txt"))["Status"] == 404
    # Deleting a version by its id stays in the source bucket.
    client.delete_object(Bucket="source", Key="docs/report.txt", VersionId=written["VersionId"])
    kept = client.list_object_versions(Bucket="backup", Prefix="docs/")
    assert [v["VersionId"] for v in kept["Versions"]] == [written["VersionId"]]
    assert [o["Key"] for o in client.list_object_versions(Bucket="backup").get("Versions", [])] == ["docs/report.txt"]


def test_replication_to_a_bucket_no_longer_versioned_fails(cloud):
    client = s3(cloud)
    versioned(client, "source", "backup")
    client.put_bucket_replication(Bucket="source", ReplicationConfiguration={
        "Role": ROLE, "Rules": [rule(DeleteMarkerReplication={"Status": "Disabled"})]})
    client.put_bucket_versioning(Bucket="backup", VersioningConfiguration={"Status": "Suspended"})
    client.put_object(Bucket="source", Key="docs/a", Body=b"a")
    eventually(lambda: client.head_object(Bucket="source", Key="docs/a")["ReplicationStatus"] == "FAILED",
               what="replication failed")
    assert "Contents" not in client.list_objects_v2(Bucket="backup")
