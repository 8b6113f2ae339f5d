"""What the DAX control-plane tests share: a role DAX may assume, and waiting on states."""

from __future__ import annotations

import json
import socket

from tests.services.cloudtrail.helpers import wait_for

ACCOUNT = "123456789012"
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "dax.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


def dax_role(cloud, name: str = "DAXServiceRole", account: str = ACCOUNT) -> str:
    iam = cloud.client("iam", account=account)
    try:
        return iam.get_role(RoleName=name)["Role"]["Arn"]
    except iam.exceptions.NoSuchEntityException:
        return iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]


def cluster_of(dax, name: str) -> dict | None:
    try:
        return dax.describe_clusters(ClusterNames=[name])["Clusters"][0]
    except dax.exceptions.ClusterNotFoundFault:
        return None


def available(dax, name: str) -> dict:
    return wait_for(lambda: (c := cluster_of(dax, name)) and c["Status"] == "available"
                    and all(n["NodeStatus"] == "available" for n in c["Nodes"]) and c, timeout=60)


def gone(dax, name: str) -> None:
    wait_for(lambda: cluster_of(dax, name) is None, timeout=60)


def accepts(address: str, port: int) -> bool:
    try:
        with socket.create_connection((address, port), timeout=2):
            return True
    except OSError:
        return False
