"""What the AppSync tests share as fixtures: boto3's AppSync client for the tests' account."""

from __future__ import annotations

import pytest

from tests.services.appsync.support import ACCOUNT


@pytest.fixture
def appsync(cloud):
    return cloud.client("appsync", account=ACCOUNT)
