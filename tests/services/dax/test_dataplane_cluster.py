"""The official DAX client against clusters made with boto3: ``dax://<ClusterDiscoveryEndpoint>``
serves every data operation as DynamoDB answers it, with the cluster's role reaching DynamoDB;
TLS clusters on ``daxs://`` under the local CA; a client that fails over when its node's zone
goes down; callers whose credentials do not hold are refused."""

from __future__ import annotations

import json

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.services.dax.helpers import ACCOUNT, available, dax_role, wait_for
from tests.services.dax.node_fixture import dax_client

DYNAMODB_POLICY = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"}]})


def make_table(cloud, name: str = "dax-e2e"):
    ddb = cloud.client("dynamodb", account=ACCOUNT)
    ddb.create_table(TableName=name,
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                           {"AttributeName": "sk", "AttributeType": "N"}],
                     BillingMode="PAY_PER_REQUEST")
    ddb.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 0.2})
    return ddb


def make_cluster(cloud, name: str, allowed: bool = True, **options) -> dict:
    role = dax_role(cloud, f"{name}-role")
    if allowed:
        cloud.client("iam", account=ACCOUNT).put_role_policy(RoleName=f"{name}-role", PolicyName="ddb",
                                                             PolicyDocument=DYNAMODB_POLICY)
    control = cloud.client("dax", account=ACCOUNT)
    control.create_cluster(ClusterName=name, NodeType="dax.r5.large", IamRoleArn=role, **options)
    return available(control, name)


def url_of(cluster: dict) -> str:
    endpoint = cluster["ClusterDiscoveryEndpoint"]
    return f"{endpoint['URL'].split('://')[0]}://{endpoint['Address']}:{endpoint['Port']}"


def plain(response: dict) -> dict:
    return {k: v for k, v in response.items() if k != "ResponseMetadata"}


def test_a_cluster_serves_the_official_client_as_dynamodb_answers(cloud):
    ddb = make_table(cloud)
    cluster = make_cluster(cloud, "e2e", ReplicationFactor=2)
    dax = dax_client(url_of(cluster), ACCOUNT, "secret")
    try:
        item = {"pk": {"S": "a"}, "sk": {"N": "1"}, "v": {"S": "one"}, "l": {"L": [{"N": "1"}, {"BOOL": True}]}}
        assert plain(dax.put_item(TableName="dax-e2e", Item=item)) == {}
        key = {"pk": {"S": "a"}, "sk": {"N": "1"}}
        assert dax.get_item(TableName="dax-e2e", Key=key) == plain(ddb.get_item(TableName="dax-e2e", Key=key))
        update = {"TableName": "dax-e2e", "Key": key, "UpdateExpression": "SET v = :v", "ReturnValues": "ALL_NEW",
                  "ExpressionAttributeValues": {":v": {"S": "two"}}}
        assert dax.update_item(**update) == plain(ddb.update_item(**update))
        query = {"TableName": "dax-e2e", "KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "a"}}}
        assert dax.query(**query) == plain(ddb.query(**query))
        assert dax.scan(TableName="dax-e2e") == plain(ddb.scan(TableName="dax-e2e"))
        batch = {"dax-e2e": {"Keys": [key, {"pk": {"S": "b"}, "sk": {"N": "2"}}]}}
        assert dax.batch_get_item(RequestItems=batch) == plain(ddb.batch_get_item(RequestItems=batch))
        assert dax.batch_write_item(RequestItems={"dax-e2e": [{"PutRequest": {"Item": {"pk": {"S": "b"}, "sk": {"N": "2"}}}}]}) \
            == {"UnprocessedItems": {}}
        gets = [{"Get": {"TableName": "dax-e2e", "Key": {"pk": {"S": "b"}, "sk": {"N": "2"}}}}]
        assert dax.transact_get_items(TransactItems=gets) == plain(ddb.transact_get_items(TransactItems=gets))
        assert dax.transact_write_items(TransactItems=[{"Delete": {"TableName": "dax-e2e", "Key": key}}]) == {}
        assert dax.delete_item(TableName="dax-e2e", Key={"pk": {"S": "b"}, "sk": {"N": "2"}}, ReturnValues="ALL_OLD") \
            == {"Attributes": {"pk": {"S": "b"}, "sk": {"N": "2"}}}
        assert plain(ddb.scan(TableName="dax-e2e"))["Count"] == 0
        # each node counts what it served
        metrics = cloud.cloud.services.api("dax").metrics(ACCOUNT, "us-east-1", "e2e")
        assert sum(m.get("TotalRequestCount", 0) for m in metrics.values()) >= 10
    finally:
        dax.close()


def test_dax_reaches_dynamodb_as_the_clusters_role(cloud):
    make_table(cloud)
    cluster = make_cluster(cloud, "norights", allowed=False, ReplicationFactor=1)
    dax = dax_client(url_of(cluster), ACCOUNT, "secret")
    try:
        with pytest.raises(ClientError) as denied:
            dax.get_item(TableName="dax-e2e", Key={"pk": {"S": "a"}, "sk": {"N": "1"}})
        assert denied.value.response["Error"]["Code"] == "AccessDeniedException"
        assert "assumed-role/norights-role/" in denied.value.response["Error"]["Message"]
    finally:
        dax.close()


def test_daxs_under_the_local_ca(cloud, monkeypatch):
    make_table(cloud)
    cluster = make_cluster(cloud, "secure", ReplicationFactor=1, ClusterEndpointEncryptionType="TLS")
    assert url_of(cluster).startswith("daxs://") and cluster["ClusterDiscoveryEndpoint"]["Port"] == 9111
    monkeypatch.setenv("SSL_CERT_FILE", str(cloud.cloud.ca.cert_path))  # the client trusts the default store
    dax = dax_client(url_of(cluster), ACCOUNT, "secret")
    try:
        dax.put_item(TableName="dax-e2e", Item={"pk": {"S": "tls"}, "sk": {"N": "1"}})
        assert dax.get_item(TableName="dax-e2e", Key={"pk": {"S": "tls"}, "sk": {"N": "1"}})["Item"]["pk"] == {"S": "tls"}
    finally:
        dax.close()
    monkeypatch.delenv("SSL_CERT_FILE")
    with pytest.raises(Exception):  # without the CA the certificate is not trusted
        dax_client(url_of(cluster), ACCOUNT, "secret")


def test_the_client_fails_over_when_a_zone_goes_down(cloud):
    make_table(cloud)
    cluster = make_cluster(cloud, "zones", ReplicationFactor=3, AvailabilityZones=["us-east-1b", "us-east-1c", "us-east-1d"])
    config = Config(retries={"max_attempts": 3}, connect_timeout=2, read_timeout=10)
    dax = dax_client(url_of(cluster), ACCOUNT, "secret", config=config)
    key = {"pk": {"S": "ha"}, "sk": {"N": "1"}}
    try:
        dax.put_item(TableName="dax-e2e", Item={**key, "v": {"S": "before"}})
        cloud.post("/_regionbox/az/us-east-1b/outage")        # the primary's zone
        try:
            def works(call):
                try:
                    return call() or True
                except (ClientError, OSError):  # the dropped connection, before the client moves on
                    return False
            wait_for(lambda: works(lambda: dax.put_item(TableName="dax-e2e", Item={**key, "v": {"S": "after"}})),
                     timeout=60)
            got = wait_for(lambda: works(lambda: dax.get_item(TableName="dax-e2e", Key=key, ConsistentRead=True)),
                           timeout=60)
            assert got["Item"]["v"] == {"S": "after"}
            live = {e.node_id for e in cloud.cloud.services.api("dax").endpoints(ACCOUNT, "us-east-1", "zones")}
            assert live == {"zones-b", "zones-c"}
        finally:
            cloud.post("/_regionbox/az/us-east-1b/restore")
    finally:
        dax.close()


def test_credentials_that_do_not_hold_are_refused(cloud):
    make_table(cloud)
    cluster = make_cluster(cloud, "guarded", ReplicationFactor=1)
    iam = cloud.client("iam", account=ACCOUNT)
    iam.create_user(UserName="app")
    key = iam.create_access_key(UserName="app")["AccessKey"]
    iam.put_user_policy(UserName="app", PolicyName="dax", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "dax:*", "Resource": cluster["ClusterArn"]}]}))
    allowed = dax_client(url_of(cluster), key["AccessKeyId"], key["SecretAccessKey"])
    assert allowed.get_item(TableName="dax-e2e", Key={"pk": {"S": "x"}, "sk": {"N": "1"}}) == {}
    allowed.close()
    with pytest.raises(ClientError) as refused:
        dax_client(url_of(cluster), key["AccessKeyId"], "wrong")
    assert refused.value.response["Error"]["Code"] == "InvalidSignatureException"
    iam.update_access_key(UserName="app", AccessKeyId=key["AccessKeyId"], Status="Inactive")
    with pytest.raises(ClientError) as inactive:
        dax_client(url_of(cluster), key["AccessKeyId"], key["SecretAccessKey"])
    assert inactive.value.response["Error"]["Code"] == "UnrecognizedClientException"
