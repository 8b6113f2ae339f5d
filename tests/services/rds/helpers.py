"""What the RDS tests share: waiting for a status, connecting to an instance's endpoint."""

from __future__ import annotations

import json
import time

import botocore.exceptions
import psycopg
import pytest

from regionbox.testing.waiting import eventually as wait_until  # noqa: F401 - tests import it from here

PASSWORD = "s3cret-Passw0rd"


def wait_status(rds, identifier: str, wanted: str = "available", timeout: float = 120) -> dict:
    return _wait(lambda: rds.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"][0], "DBInstanceStatus",
                 identifier, wanted, timeout)


def wait_cluster(rds, identifier: str, wanted: str = "available", timeout: float = 180) -> dict:
    return _wait(lambda: rds.describe_db_clusters(DBClusterIdentifier=identifier)["DBClusters"][0], "Status", identifier,
                 wanted, timeout)


def _wait(describe, key: str, identifier: str, wanted: str, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        found = describe()
        if found[key] == wanted:
            return found
        assert found[key] != "failed", found
        assert time.monotonic() < deadline, f"{identifier} still {found[key]}"
        time.sleep(0.1)


def connect(instance: dict, user: str = "app", password: str = PASSWORD, dbname: str = "postgres") -> psycopg.Connection:
    endpoint = instance["Endpoint"]
    return psycopg.connect(host=endpoint["Address"], port=endpoint["Port"], user=user, password=password, dbname=dbname,
                           autocommit=True, connect_timeout=5)


def create(rds, identifier: str, **extra) -> dict:
    rds.create_db_instance(DBInstanceIdentifier=identifier, Engine="postgres", MasterUsername="app",
                           MasterUserPassword=PASSWORD, AllocatedStorage=20, DBInstanceClass="db.t4g.micro", **extra)
    return wait_status(rds, identifier)


def error_of(call, **params) -> tuple[str, str]:
    """(code, message) of the AWS error a call answers."""
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        call(**params)
    return caught.value.response["Error"]["Code"], caught.value.response["Error"]["Message"]


def rds_role(iam, name: str) -> str:
    """An IAM role RDS may assume (instance features, a proxy's role): its ARN."""
    return iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "rds.amazonaws.com"},
                                                "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
