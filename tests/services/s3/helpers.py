"""Clients for S3 tests: path-style boto3 clients per account, and a way to read an error."""

from __future__ import annotations

from botocore.config import Config as BotoConfig
from botocore.exceptions import ClientError

OWNER = "111111111111"
OTHER = "222222222222"


def s3(cloud, account: str = OWNER, region: str = "us-east-1", **config):
    return cloud.client("s3", region=region, account=account,
                        config=BotoConfig(retries={"max_attempts": 1}, s3={"addressing_style": "path"}, **config))


def error_of(call) -> dict:
    try:
        call()
    except ClientError as caught:
        return {**caught.response["Error"], "Status": caught.response["ResponseMetadata"]["HTTPStatusCode"]}
    raise AssertionError("no error")
