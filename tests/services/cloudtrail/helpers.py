"""What CloudTrail tests share: clients per account, a bucket whose policy lets CloudTrail
deliver, reading log files back from S3, waiting for deliveries and queries."""

from __future__ import annotations

import gzip
import json
from typing import Callable

from botocore.config import Config as BotoConfig
from botocore.exceptions import ClientError

from regionbox.testing.waiting import eventually as wait_for

ACCOUNT = "123456789012"
OTHER = "210987654321"


def clients(cloud, *services: str, account: str = ACCOUNT, region: str = "us-east-1"):
    config = BotoConfig(retries={"max_attempts": 1}, s3={"addressing_style": "path"})
    return [cloud.client(s, account=account, region=region, config=config) for s in services]


def bucket_policy(bucket: str, account: str = ACCOUNT, prefix: str = "") -> str:
    """The policy AWS documents for a trail's bucket."""
    path = f"{prefix}/AWSLogs/{account}/*" if prefix else f"AWSLogs/{account}/*"
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "AWSCloudTrailAclCheck", "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
         "Action": "s3:GetBucketAcl", "Resource": f"arn:aws:s3:::{bucket}"},
        {"Sid": "AWSCloudTrailWrite", "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
         "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{bucket}/{path}",
         "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}}}]})


def trail_bucket(cloud, bucket: str = "trail-logs", account: str = ACCOUNT, prefix: str = "", region: str = "us-east-1"):
    (s3,) = clients(cloud, "s3", account=account, region=region)
    if region == "us-east-1":
        s3.create_bucket(Bucket=bucket)
    else:
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
    s3.put_bucket_policy(Bucket=bucket, Policy=bucket_policy(bucket, account, prefix))
    return s3


def error_of(call: Callable, *args, **kwargs) -> tuple[str, str]:
    try:
        call(*args, **kwargs)
    except ClientError as caught:
        return caught.response["Error"]["Code"], caught.response["Error"]["Message"]
    raise AssertionError("no error")


def log_keys(s3, bucket: str, folder: str = "CloudTrail/") -> list[str]:
    keys = [o["Key"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
            for o in page.get("Contents", [])]
    return [k for k in keys if f"/{folder}" in k]


def records(s3, bucket: str) -> list[dict]:
    """Every record of every log file in the bucket, in delivery order."""
    found = []
    for key in log_keys(s3, bucket):
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        found.extend(json.loads(gzip.decompress(body))["Records"])
    return found


def delivered(s3, bucket: str, wanted: Callable[[list[dict]], bool], timeout: float = 15.0) -> list[dict]:
    """The records once ``wanted(records)`` holds."""
    return wait_for(lambda: (lambda found: found if wanted(found) else None)(records(s3, bucket)), timeout)


def names(found: list[dict]) -> list[str]:
    return [r["eventName"] for r in found]


def finished(cloudtrail, query_id: str, timeout: float = 20.0) -> dict:
    return wait_for(lambda: (lambda d: d if d["QueryStatus"] not in ("QUEUED", "RUNNING") else None)(
        cloudtrail.describe_query(QueryId=query_id)), timeout)


def run_query(cloudtrail, statement: str) -> list[dict]:
    """A Lake query's rows as {column: value} dicts, every page."""
    query_id = cloudtrail.start_query(QueryStatement=statement)["QueryId"]
    described = finished(cloudtrail, query_id)
    assert described["QueryStatus"] == "FINISHED", described
    rows, token = [], None
    while True:
        page = cloudtrail.get_query_results(QueryId=query_id, **({"NextToken": token} if token else {}))
        rows.extend({k: v for column in row for k, v in column.items()} for row in page.get("QueryResultRows", []))
        token = page.get("NextToken")
        if not token:
            return rows
