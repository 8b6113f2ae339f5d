"""Shared by the discovery tests: the account, the home Region, signed agent-ingest calls."""

from __future__ import annotations

import json

import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

ACCOUNT = "111122223333"
HOME = "ap-northeast-1"


def discovery(cloud, region: str = HOME, account: str = ACCOUNT):
    return cloud.client("discovery", region=region, account=account)


def set_home(cloud, region: str = HOME, account: str = ACCOUNT) -> None:
    cloud.client("migrationhub-config", region=region, account=account).create_home_region_control(
        HomeRegion=region, Target={"Type": "ACCOUNT", "Id": account})


def ingest(cloud, action: str, document: dict, region: str = HOME, account: str = ACCOUNT,
           credentials: Credentials | None = None) -> tuple[int, dict]:
    """One signed call of the agent-ingest route, as the agent makes it."""
    url = f"{cloud.endpoint}/_discovery/agent/{action}"
    request = AWSRequest("POST", url, data=json.dumps(document).encode(), headers={"Content-Type": "application/json"})
    SigV4Auth(credentials or Credentials(account, "secret"), "discovery", region).add_auth(request)
    answer = requests.post(url, data=request.body, headers=dict(request.headers.items()), timeout=30)
    return answer.status_code, answer.json()
