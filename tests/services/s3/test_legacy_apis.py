"""The deprecated lifecycle and notification APIs over boto3: an old SDK's calls read and write the
same configurations as the current ones, as on S3; and the registered adapters map the shapes."""

from __future__ import annotations

from regionbox.core.context import Caller, RequestContext
from tests.services.s3.helpers import OWNER, s3

TOPIC = "arn:aws:sns:us-east-1:111111111111:uploads"
FUNCTION = "arn:aws:lambda:us-east-1:111111111111:function:cleanup"


def test_old_lifecycle_api_shares_the_configuration(cloud):
    client = s3(cloud)
    client.create_bucket(Bucket="old-sdk")
    client.put_bucket_lifecycle(Bucket="old-sdk", LifecycleConfiguration={"Rules": [
        {"ID": "tmp", "Prefix": "tmp/", "Status": "Enabled", "Expiration": {"Days": 3}}]})
    assert client.get_bucket_lifecycle(Bucket="old-sdk")["Rules"] == [
        {"ID": "tmp", "Prefix": "tmp/", "Status": "Enabled", "Expiration": {"Days": 3}}]
    assert client.get_bucket_lifecycle_configuration(Bucket="old-sdk")["Rules"][0]["Prefix"] == "tmp/"
    client.put_bucket_lifecycle_configuration(Bucket="old-sdk", LifecycleConfiguration={"Rules": [
        {"ID": "logs", "Filter": {"Prefix": "logs/"}, "Status": "Enabled", "Expiration": {"Days": 7}}]})
    assert [r["ID"] for r in client.get_bucket_lifecycle(Bucket="old-sdk")["Rules"]] == ["logs"]


def test_old_notification_api_shares_the_configuration(cloud):
    client = s3(cloud)
    client.create_bucket(Bucket="old-sdk")
    client.put_bucket_notification(Bucket="old-sdk", NotificationConfiguration={
        "TopicConfiguration": {"Id": "t", "Events": ["s3:ObjectCreated:*"], "Topic": TOPIC},
        "CloudFunctionConfiguration": {"Id": "f", "Event": "s3:ObjectRemoved:*", "CloudFunction": FUNCTION}})
    current = client.get_bucket_notification_configuration(Bucket="old-sdk")
    assert current["TopicConfigurations"] == [{"Id": "t", "TopicArn": TOPIC, "Events": ["s3:ObjectCreated:*"]}]
    assert current["LambdaFunctionConfigurations"] == [{"Id": "f", "LambdaFunctionArn": FUNCTION, "Events": ["s3:ObjectRemoved:*"]}]
    old = client.get_bucket_notification(Bucket="old-sdk")
    assert old["TopicConfiguration"]["Topic"] == TOPIC and old["CloudFunctionConfiguration"]["CloudFunction"] == FUNCTION


def test_registered_adapters_map_the_old_shapes(cloud):
    s3(cloud).create_bucket(Bucket="old-sdk")
    operations = cloud.cloud.services.load("s3").operations
    ctx = RequestContext(caller=Caller.root(OWNER, access_key_id=OWNER), region="us-east-1", request_id="r",
                         service="s3", operation="PutBucketNotification")
    operations["PutBucketNotification"](ctx, {"Bucket": "old-sdk", "NotificationConfiguration": {
        "QueueConfiguration": {"Id": "q", "Event": "s3:ObjectCreated:Put", "Queue": "arn:aws:sqs:us-east-1:111111111111:q"}}})
    assert operations["GetBucketNotification"](ctx, {"Bucket": "old-sdk"}) == {"QueueConfiguration": {
        "Id": "q", "Queue": "arn:aws:sqs:us-east-1:111111111111:q", "Events": ["s3:ObjectCreated:Put"],
        "Event": "s3:ObjectCreated:Put"}}
    operations["PutBucketLifecycle"](ctx, {"Bucket": "old-sdk", "LifecycleConfiguration": {"Rules": [
        {"ID": "a", "Filter": {"Prefix": "a/"}, "Status": "Enabled", "Expiration": {"Days": 1}}]}})
    assert operations["GetBucketLifecycle"](ctx, {"Bucket": "old-sdk"})["Rules"][0]["Prefix"] == "a/"
