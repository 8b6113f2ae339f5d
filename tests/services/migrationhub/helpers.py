"""Shared by the Migration Hub tests: the AWS CLI, error assertions, setting a home region."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from tests.services.test_cli_aws import aws

ACCOUNT = "123456789012"
HOME = "ap-northeast-1"


def error_of(call, *args, **kwargs) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as caught:
        call(*args, **kwargs)
    error = caught.value.response["Error"]
    return error["Code"], error.get("Message", ""), caught.value.response["ResponseMetadata"]["HTTPStatusCode"]


def set_home_region(cloud, region: str = HOME, account: str = ACCOUNT) -> dict:
    config = cloud.client("migrationhub-config", region=region, account=account)
    return config.create_home_region_control(HomeRegion=region, Target={"Type": "ACCOUNT"})["HomeRegionControl"]


def cli_json(cloud, *args: str, **kwargs) -> dict:
    out = aws(cloud, *args, **kwargs).stdout
    return json.loads(out) if out.strip() else {}
