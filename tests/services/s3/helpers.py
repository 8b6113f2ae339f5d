"""Clients for S3 tests: path-style boto3 clients per account, a way to read an error, and a cloud of\na test module's own with shortened settings."""

from __future__ import annotations

import pytest
from botocore.config import Config as BotoConfig
from botocore.exceptions import ClientError

from regionbox.config import Config
from regionbox.testing import RunningCloud

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


def module_cloud(**settings):
    """A pytest fixture: one cloud for the module, with ``settings`` (``s3_day=1.0`` ...)."""
    @pytest.fixture(scope="module")
    def running():
        started = RunningCloud(Config(ephemeral=True, **settings)).start()
        yield started
        started.stop()
    return running
