"""Custom domain names: base path mappings really route calls whose Host is the domain name (or
its regional domain name) to the mapped API stage."""

from __future__ import annotations

import pytest
import requests
from botocore.exceptions import ClientError

from tests.services.apigateway.helpers import mock_api

CERT = "arn:aws:acm:us-east-1:000000000000:certificate/0c4c7ba8-5b0a-4d5c-9a4e-6e0c3b8f8a11"


def _call(cloud, host: str, path: str) -> requests.Response:
    return requests.get(f"{cloud.endpoint}{path}", headers={"Host": host})


def test_domain_name_routes_by_base_path(cloud):
    gw = cloud.client("apigateway")
    orders, _ = mock_api(gw, "ping", template='{"api": "orders"}')
    users, _ = mock_api(gw, "ping", template='{"api": "users"}')
    gw.create_stage(restApiId=users, stageName="beta", deploymentId=gw.get_deployments(restApiId=users)["items"][0]["id"])
    domain = gw.create_domain_name(domainName="api.shop.localhost", regionalCertificateArn=CERT,
                                   endpointConfiguration={"types": ["REGIONAL"]}, securityPolicy="TLS_1_2")
    assert domain["domainNameStatus"] == "AVAILABLE" and domain["endpointConfiguration"]["types"] == ["REGIONAL"]
    assert domain["regionalDomainName"].startswith("d-") and domain["regionalDomainName"].endswith(
        ".execute-api.us-east-1.amazonaws.com")
    assert domain["regionalHostedZoneId"] == "Z1UJRXOUMOOFQ8"
    gw.create_base_path_mapping(domainName="api.shop.localhost", restApiId=orders, stage="prod")
    gw.create_base_path_mapping(domainName="api.shop.localhost", basePath="v2/users", restApiId=users)
    assert _call(cloud, "api.shop.localhost", "/ping").json() == {"api": "orders"}
    assert _call(cloud, "api.shop.localhost:4566", "/v2/users/beta/ping").json() == {"api": "users"}
    assert _call(cloud, domain["regionalDomainName"], "/v2/users/prod/ping").json() == {"api": "users"}
    missing = _call(cloud, "api.shop.localhost", "/v2/users/nope/ping")
    assert (missing.status_code, missing.json()) == (403, {"message": "Forbidden"})

    mappings = gw.get_base_path_mappings(domainName="api.shop.localhost")["items"]
    assert mappings == [{"basePath": "(none)", "restApiId": orders, "stage": "prod"},
                        {"basePath": "v2/users", "restApiId": users}]
    gw.update_base_path_mapping(domainName="api.shop.localhost", basePath="v2/users",
                                patchOperations=[{"op": "replace", "path": "/stage", "value": "beta"}])
    assert _call(cloud, "api.shop.localhost", "/v2/users/ping").json() == {"api": "users"}
    gw.delete_base_path_mapping(domainName="api.shop.localhost", basePath="(none)")
    assert _call(cloud, "api.shop.localhost", "/ping").status_code == 403

    updated = gw.update_domain_name(domainName="api.shop.localhost", patchOperations=[
        {"op": "replace", "path": "/regionalCertificateArn", "value": CERT + "2"}])
    assert updated["regionalCertificateArn"] == CERT + "2"
    assert [d["domainName"] for d in gw.get_domain_names()["items"]] == ["api.shop.localhost"]
    gw.delete_domain_name(domainName="api.shop.localhost")
    assert _call(cloud, "api.shop.localhost", "/v2/users/ping").status_code != 200


def test_domain_name_errors(cloud):
    gw = cloud.client("apigateway")
    api, _ = mock_api(gw)
    with pytest.raises(ClientError) as missing_cert:
        gw.create_domain_name(domainName="a.shop.localhost", endpointConfiguration={"types": ["REGIONAL"]})
    assert missing_cert.value.response["Error"]["Code"] == "BadRequestException"
    edge = gw.create_domain_name(domainName="a.shop.localhost", certificateArn=CERT)
    assert edge["endpointConfiguration"]["types"] == ["EDGE"] and edge["distributionDomainName"].endswith(".cloudfront.net")
    with pytest.raises(ClientError) as duplicate:
        gw.create_domain_name(domainName="a.shop.localhost", certificateArn=CERT)
    assert duplicate.value.response["Error"]["Code"] == "ConflictException"
    with pytest.raises(ClientError) as bad_api:
        gw.create_base_path_mapping(domainName="a.shop.localhost", restApiId="nope", stage="prod")
    assert (bad_api.value.response["Error"]["Code"], bad_api.value.response["Error"]["Message"]) == (
        "BadRequestException", "Invalid REST API identifier specified")
    with pytest.raises(ClientError) as bad_stage:
        gw.create_base_path_mapping(domainName="a.shop.localhost", restApiId=api, stage="nope")
    assert bad_stage.value.response["Error"]["Message"] == "Invalid stage identifier specified"
    gw.create_base_path_mapping(domainName="a.shop.localhost", basePath="v1", restApiId=api, stage="prod")
    with pytest.raises(ClientError) as again:
        gw.create_base_path_mapping(domainName="a.shop.localhost", basePath="v1", restApiId=api, stage="prod")
    assert again.value.response["Error"]["Code"] == "ConflictException"
    for call in (lambda: gw.get_domain_name(domainName="b.shop.localhost"),
                 lambda: gw.get_base_path_mapping(domainName="a.shop.localhost", basePath="v9")):
        with pytest.raises(ClientError) as gone:
            call()
        assert gone.value.response["Error"]["Code"] == "NotFoundException"
        assert gone.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
