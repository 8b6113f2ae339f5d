"""Bucket configurations kept by id (analytics, metrics, inventory, intelligent tiering) over boto3:
validation, Get/Delete errors, pages of 100 with a ContinuationToken; and inventory reports really
delivered to the destination bucket (manifest.json + gzipped CSV), with a short S3 day."""

from __future__ import annotations

import csv
import gzip
import io
import json


from regionbox.testing.waiting import eventually
from tests.services.s3.helpers import error_of, module_cloud, s3


def inventory(config_id: str = "weekly", **more) -> dict:
    return {"Id": config_id, "IsEnabled": True, "IncludedObjectVersions": "Current", "Schedule": {"Frequency": "Weekly"},
            "Destination": {"S3BucketDestination": {"Bucket": "arn:aws:s3:::reports", "Format": "CSV"}}, **more}


def test_metrics_configurations_page_by_100(cloud):
    client = s3(cloud)
    client.create_bucket(Bucket="metered")
    assert client.list_bucket_metrics_configurations(Bucket="metered")["IsTruncated"] is False
    error = error_of(lambda: client.get_bucket_metrics_configuration(Bucket="metered", Id="none"))
    assert (error["Code"], error["Message"], error["Status"]) == (
        "NoSuchConfiguration", "The specified configuration does not exist.", 404)
    assert error_of(lambda: client.delete_bucket_metrics_configuration(Bucket="metered", Id="none"))["Code"] == "NoSuchConfiguration"
    error = error_of(lambda: client.put_bucket_metrics_configuration(Bucket="metered", Id="a", MetricsConfiguration={"Id": "b"}))
    assert error["Code"] == "InvalidArgument"
    for n in range(150):
        client.put_bucket_metrics_configuration(Bucket="metered", Id=f"m{n:03}", MetricsConfiguration={
            "Id": f"m{n:03}", "Filter": {"Prefix": f"p{n}/"}})
    first = client.list_bucket_metrics_configurations(Bucket="metered")
    assert first["IsTruncated"] is True and len(first["MetricsConfigurationList"]) == 100
    second = client.list_bucket_metrics_configurations(Bucket="metered", ContinuationToken=first["NextContinuationToken"])
    assert second["IsTruncated"] is False and "NextContinuationToken" not in second
    assert [c["Id"] for c in first["MetricsConfigurationList"] + second["MetricsConfigurationList"]] == [
        f"m{n:03}" for n in range(150)]
    assert client.get_bucket_metrics_configuration(Bucket="metered", Id="m007")["MetricsConfiguration"] == {
        "Id": "m007", "Filter": {"Prefix": "p7/"}}
    client.delete_bucket_metrics_configuration(Bucket="metered", Id="m007")
    assert error_of(lambda: client.get_bucket_metrics_configuration(Bucket="metered", Id="m007"))["Code"] == "NoSuchConfiguration"


def test_analytics_inventory_and_tiering_are_validated_and_kept(cloud):
    client = s3(cloud)
    client.create_bucket(Bucket="data")
    analytics = {"Id": "sca", "Filter": {"Prefix": "logs/"}, "StorageClassAnalysis": {"DataExport": {
        "OutputSchemaVersion": "V_1", "Destination": {"S3BucketDestination": {"Format": "CSV", "Bucket": "arn:aws:s3:::reports"}}}}}
    client.put_bucket_analytics_configuration(Bucket="data", Id="sca", AnalyticsConfiguration=analytics)
    assert client.get_bucket_analytics_configuration(Bucket="data", Id="sca")["AnalyticsConfiguration"] == analytics
    assert [c["Id"] for c in client.list_bucket_analytics_configurations(Bucket="data")["AnalyticsConfigurationList"]] == ["sca"]
    bad = json.loads(json.dumps(analytics))
    bad["StorageClassAnalysis"]["DataExport"]["Destination"]["S3BucketDestination"]["Bucket"] = "reports"
    assert error_of(lambda: client.put_bucket_analytics_configuration(Bucket="data", Id="sca", AnalyticsConfiguration=bad))[
        "Code"] == "InvalidArgument"

    error = error_of(lambda: client.put_bucket_inventory_configuration(Bucket="data", Id="weekly", InventoryConfiguration=inventory(
        Schedule={"Frequency": "Hourly"})))
    assert error["Code"] == "MalformedXML"
    client.put_bucket_inventory_configuration(Bucket="data", Id="weekly", InventoryConfiguration=inventory())
    assert client.get_bucket_inventory_configuration(Bucket="data", Id="weekly")["InventoryConfiguration"]["Schedule"] == {
        "Frequency": "Weekly"}
    assert len(client.list_bucket_inventory_configurations(Bucket="data")["InventoryConfigurationList"]) == 1
    client.delete_bucket_inventory_configuration(Bucket="data", Id="weekly")
    assert client.list_bucket_inventory_configurations(Bucket="data").get("InventoryConfigurationList", []) == []

    tiering = {"Id": "cold", "Status": "Enabled", "Tierings": [{"Days": 90, "AccessTier": "ARCHIVE_ACCESS"}]}
    error = error_of(lambda: client.put_bucket_intelligent_tiering_configuration(Bucket="data", Id="cold",
        IntelligentTieringConfiguration={**tiering, "Tierings": [{"Days": 30, "AccessTier": "ARCHIVE_ACCESS"}]}))
    assert error["Code"] == "InvalidArgument"
    client.put_bucket_intelligent_tiering_configuration(Bucket="data", Id="cold", IntelligentTieringConfiguration=tiering)
    assert client.get_bucket_intelligent_tiering_configuration(Bucket="data", Id="cold")[
        "IntelligentTieringConfiguration"] == tiering
    listed = client.list_bucket_intelligent_tiering_configurations(Bucket="data")
    assert [c["Id"] for c in listed["IntelligentTieringConfigurationList"]] == ["cold"]
    client.delete_bucket_intelligent_tiering_configuration(Bucket="data", Id="cold")


short_days = module_cloud(s3_day=1.0)


def test_inventory_report_is_delivered_to_the_destination(short_days):
    client = s3(short_days)
    client.create_bucket(Bucket="data")
    client.create_bucket(Bucket="reports")
    client.put_object(Bucket="data", Key="docs/a b.txt", Body=b"hello")
    client.put_object(Bucket="data", Key="docs/c.txt", Body=b"hi", StorageClass="STANDARD_IA")
    client.put_object(Bucket="data", Key="other/d.txt", Body=b"no")
    client.put_bucket_inventory_configuration(Bucket="data", Id="daily", InventoryConfiguration=inventory(
        "daily", Schedule={"Frequency": "Daily"}, Filter={"Prefix": "docs/"}, OptionalFields=["Size", "StorageClass", "ETag"],
        Destination={"S3BucketDestination": {"Bucket": "arn:aws:s3:::reports", "Format": "CSV", "Prefix": "inv"}}))
    manifests = eventually(lambda: [o["Key"] for o in client.list_objects_v2(Bucket="reports").get("Contents", [])
                                    if o["Key"].endswith("manifest.json")], what="an inventory manifest")
    assert manifests[0].startswith("inv/data/daily/")
    manifest = json.loads(client.get_object(Bucket="reports", Key=manifests[0])["Body"].read())
    assert (manifest["sourceBucket"], manifest["destinationBucket"], manifest["fileFormat"], manifest["fileSchema"]) == (
        "data", "arn:aws:s3:::reports", "CSV", "Bucket, Key, Size, StorageClass, ETag")
    data = client.get_object(Bucket="reports", Key=manifest["files"][0]["key"])["Body"].read()
    assert len(data) == manifest["files"][0]["size"]
    rows = list(csv.reader(io.StringIO(gzip.decompress(data).decode())))
    assert rows == [["data", "docs/a%20b.txt", "5", "STANDARD", "5d41402abc4b2a76b9719d911017c592"],
                    ["data", "docs/c.txt", "2", "STANDARD_IA", "49f68a5c8493ec2c0bf489821c21fc3b"]]
