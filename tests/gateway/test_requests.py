"""The gateway over a real socket: signed requests from botocore, and the mistakes clients make.
A client mistake is answered with the service's own error, never a 500 or a traceback."""

from __future__ import annotations

import gzip
import http.client
import json
from urllib.parse import urlsplit

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ACCOUNT = "123456789012"


def send(cloud, service: str, body: bytes, headers: dict[str, str], method: str = "POST", path: str = "/",
         region: str = "us-east-1") -> tuple[int, dict[str, str], bytes]:
    """A request signed as botocore signs it, sent as is (no client-side validation)."""
    request = AWSRequest(method, cloud.endpoint + path, data=body, headers=headers)
    SigV4Auth(Credentials(ACCOUNT, "secret"), service, region).add_auth(request)
    url = urlsplit(cloud.endpoint)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=dict(request.headers.items()))
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


FORM = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
DYNAMODB_JSON = {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "DynamoDB_20120810.ListTables"}


def test_gzip_encoded_body_is_accepted(cloud):
    body = gzip.compress(b"Action=GetCallerIdentity&Version=2011-06-15")
    status, _, answer = send(cloud, "sts", body, {**FORM, "Content-Encoding": "gzip"})
    assert status == 200 and f"<Account>{ACCOUNT}</Account>".encode() in answer


def test_botocore_request_compression_reaches_the_provider(cloud):
    # botocore gzips bodies above request_min_compression_size_bytes for operations that allow it
    # (CloudWatch PutMetricData), so a tiny threshold makes it compress a Logs-sized request too.
    logs = cloud.client("logs", account=ACCOUNT, config=Config(request_min_compression_size_bytes=1))
    logs.create_log_group(logGroupName="gz")
    assert [g["logGroupName"] for g in logs.describe_log_groups()["logGroups"]] == ["gz"]


def test_corrupt_gzip_body_is_a_client_error(cloud):
    status, _, answer = send(cloud, "sts", b"not gzip at all", {**FORM, "Content-Encoding": "gzip"})
    assert 400 <= status < 500, answer


def test_operation_without_provider_method_is_501_naming_it(cloud):
    logs = cloud.client("logs", account=ACCOUNT)
    with pytest.raises(ClientError) as caught:
        logs.list_integrations()  # an OpenSearch integration: OpenSearch is not served
    error = caught.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 501
    assert error["Error"]["Code"] == "NotImplemented"
    assert "logs" in error["Error"]["Message"] and "ListIntegrations" in error["Error"]["Message"]

    iam = cloud.client("iam", account=ACCOUNT)
    with pytest.raises(ClientError) as caught:
        iam.list_organizations_features()
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 501
    assert "ListOrganizationsFeatures" in caught.value.response["Error"]["Message"]


def test_unknown_operations(cloud):
    status, _, answer = send(cloud, "sts", b"Action=GetEverything&Version=2011-06-15", FORM)
    assert status == 400 and b"<Code>InvalidAction</Code>" in answer
    status, _, answer = send(cloud, "dynamodb", b"{}", {**DYNAMODB_JSON, "X-Amz-Target": "DynamoDB_20120810.DropEverything"})
    assert status == 400 and json.loads(answer)["__type"].endswith("UnknownOperationException")


def test_malformed_bodies_get_the_services_errors(cloud):
    status, _, answer = send(cloud, "dynamodb", b'{"Limit": ', DYNAMODB_JSON)
    assert status == 400 and json.loads(answer)["__type"].endswith("SerializationException")
    status, _, answer = send(cloud, "dynamodb", b'{"Limit": "ten"}', DYNAMODB_JSON)
    assert status == 400 and json.loads(answer)["__type"].endswith("SerializationException")
    status, _, answer = send(cloud, "dynamodb", b'{"Limit": 0}', DYNAMODB_JSON)
    assert status == 400 and json.loads(answer)["__type"].endswith("ValidationException")
    status, _, answer = send(cloud, "iam", b"Action=CreateRole&Version=2010-05-08&RoleName=r", FORM)
    assert status == 400 and b"<Code>ValidationError</Code>" in answer
    assert b"Value null at 'assumeRolePolicyDocument' failed to satisfy constraint: Member must not be null" in answer


def test_regions_come_from_the_credential_scope(cloud):
    logs_tokyo = cloud.client("logs", account=ACCOUNT, region="ap-northeast-1")
    logs_tokyo.create_log_group(logGroupName="tokyo-only")
    assert logs_tokyo.describe_log_groups()["logGroups"][0]["arn"].startswith(f"arn:aws:logs:ap-northeast-1:{ACCOUNT}:")
    assert cloud.client("logs", account=ACCOUNT, region="eu-west-1").describe_log_groups()["logGroups"] == []


# Garbage in every place a client can put it: the answer is always a 4xx from the service.
TARGETS = [
    ("sts", FORM),
    ("iam", FORM),
    ("ec2", FORM),
    ("elasticache", FORM),
    ("dynamodb", DYNAMODB_JSON),
    ("logs", {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "Logs_20140328.PutLogEvents"}),
    ("cloudtrail", {"Content-Type": "application/x-amz-json-1.1",
                    "X-Amz-Target": "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents"}),
]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(target=st.sampled_from(TARGETS),
       body=st.one_of(st.binary(max_size=200),
                      st.text(max_size=200).map(str.encode),
                      st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
                                   lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
                                   max_leaves=20).map(lambda value: json.dumps(value).encode()),
                      st.lists(st.tuples(st.sampled_from(["Action", "Version", "RoleName", "Filters.1.Name", "MaxResults", "x"]),
                                         st.text(max_size=12)), max_size=5)
                      .map(lambda pairs: "&".join(f"{k}={v}" for k, v in pairs).encode())))
def test_garbage_is_never_a_server_error(cloud, target, body):
    service, headers = target
    status, response_headers, answer = send(cloud, service, body, headers)
    assert status < 500, (service, body, answer)
    assert b"Traceback" not in answer


@pytest.mark.parametrize("service, call", [
    ("sns", lambda client: client.list_topics()),                      # query: an XML error
    ("route53", lambda client: client.list_hosted_zones()),            # rest-xml
    ("fis", lambda client: client.list_experiments()),                 # rest-json
    ("sqs", lambda client: client.list_queues()),                      # json
    ("keyspaces", lambda client: client.list_keyspaces()),             # signs as "cassandra"
    ("eventbridgev2", lambda client: client.list_event_buses()),       # CBOR only, signs as EventBridge does
])
def test_a_service_regionbox_does_not_serve_answers_501_in_its_own_protocol(cloud, service, call):
    with pytest.raises(ClientError) as caught:
        call(cloud.client(service, account=ACCOUNT))
    error = caught.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 501
    assert error["Error"]["Code"] == "NotImplemented"
    assert "regionbox does not serve" in error["Error"]["Message"] and "dynamodb" in error["Error"]["Message"]
