"""IAM on API Gateway's management calls: the HTTP verb as the action, on the resource path."""

from __future__ import annotations

import botocore.exceptions
import pytest

from tests.services.test_iam_enforcement import allow, as_session, session

ACCOUNT = "111111111111"


def test_verbs_on_resource_paths(cloud):
    admin = cloud.client("apigateway", account=ACCOUNT)
    api = admin.create_rest_api(name="guarded")
    credentials = session(cloud, "reader", ACCOUNT, inline=[
        allow("apigateway:GET", ["arn:aws:apigateway:us-east-1::/restapis", "arn:aws:apigateway:us-east-1::/restapis/*"])])
    reader = as_session(cloud, "apigateway", credentials)
    assert reader.get_rest_api(restApiId=api["id"])["name"] == "guarded"
    assert [a["id"] for a in reader.get_rest_apis()["items"]] == [api["id"]]
    with pytest.raises(botocore.exceptions.ClientError) as denied:
        reader.create_resource(restApiId=api["id"], parentId=api["rootResourceId"], pathPart="x")
    error = denied.value.response["Error"]
    assert error["Code"] == "AccessDeniedException"
    assert f"apigateway:POST on resource: arn:aws:apigateway:us-east-1::/restapis/{api['id']}/resources/" \
           f"{api['rootResourceId']}" in error["Message"]
    with pytest.raises(botocore.exceptions.ClientError) as denied:
        reader.get_api_keys()
    assert "arn:aws:apigateway:us-east-1::/apikeys" in denied.value.response["Error"]["Message"]
