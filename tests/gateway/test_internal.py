"""Internal endpoints, over a real socket."""

import json
import urllib.error
import urllib.request


def _get(cloud, path):
    with urllib.request.urlopen(cloud.endpoint + path) as response:
        return response.status, json.loads(response.read())


def test_health_answers_on_both_paths(cloud):
    status, body = _get(cloud, "/_regionbox/health")
    assert status == 200 and body["ready"] is True
    assert "sts" in body["services"] and body["services"]["sts"] == "running"
    assert _get(cloud, "/_localstack/health") == (status, body)


def test_status_names_state_dir_and_services(cloud):
    _, body = _get(cloud, "/_regionbox/status")
    assert body["ephemeral"] is True and body["state_dir"]
    # Services load on first use: each is running or waiting for its first request, none failed.
    assert all(state == "running" or state.startswith("not loaded") for state in body["services"].values()), body["services"]
    assert set(body["services"]) >= {"sts", "iam", "ec2", "logs", "cloudtrail", "elasticache", "dynamodb", "dynamodbstreams"}


def test_az_outage_and_restore(cloud):
    assert cloud.post("/_regionbox/az/us-east-1b/outage")["State"] == "outage"
    zones = {z["ZoneName"]: z["State"] for z in cloud.get("/_regionbox/az?region=us-east-1")["zones"]}
    assert zones["us-east-1b"] == "outage" and zones["us-east-1a"] == "available"
    assert cloud.post("/_regionbox/az/use1-az1/restore")["State"] == "available"


def test_unknown_zone_is_404(cloud):
    try:
        cloud.post("/_regionbox/az/us-east-1z/outage")
    except urllib.error.HTTPError as exc:
        assert exc.code == 404
    else:
        raise AssertionError("expected 404")


def test_reset_forgets_zone_outages(cloud):
    cloud.post("/_regionbox/az/us-east-1a/outage")
    cloud.reset()
    zones = {z["ZoneName"]: z["State"] for z in cloud.get("/_regionbox/az?region=us-east-1")["zones"]}
    assert zones["us-east-1a"] == "available"
