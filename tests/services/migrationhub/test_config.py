"""Migration Hub Config: an account's home region, set once, read from any region."""

from __future__ import annotations

import re

from regionbox.testing import CloudProcess
from tests.services.migrationhub.helpers import ACCOUNT, HOME, cli_json, error_of
from tests.services.test_cli_aws import aws


def test_set_read_filter_and_delete_the_home_region(cloud):
    config = cloud.client("migrationhub-config", region="us-west-2", account=ACCOUNT)
    assert "HomeRegion" not in config.get_home_region()
    assert config.describe_home_region_controls()["HomeRegionControls"] == []

    control = config.create_home_region_control(HomeRegion=HOME, Target={"Type": "ACCOUNT", "Id": ACCOUNT})["HomeRegionControl"]
    assert re.fullmatch(r"hrc-[a-z0-9]{12}", control["ControlId"])
    assert control["HomeRegion"] == HOME and control["Target"] == {"Type": "ACCOUNT", "Id": ACCOUNT}
    assert control["RequestedTime"]

    # Global per account: every region answers the same home region; other accounts have none.
    for region in ("us-east-1", HOME, "eu-west-1"):
        assert cloud.client("migrationhub-config", region=region, account=ACCOUNT).get_home_region()["HomeRegion"] == HOME
    assert "HomeRegion" not in cloud.client("migrationhub-config", account="210987654321").get_home_region()

    # The same home region again is the same control; another one is refused.
    again = config.create_home_region_control(HomeRegion=HOME, Target={"Type": "ACCOUNT"})["HomeRegionControl"]
    assert again["ControlId"] == control["ControlId"]
    assert error_of(config.create_home_region_control, HomeRegion="us-east-1", Target={"Type": "ACCOUNT"}) == (
        "InvalidInputException", f"The home region for account {ACCOUNT} is already set to {HOME}.", 400)

    def ids(**filters):
        return [c["ControlId"] for c in config.describe_home_region_controls(**filters)["HomeRegionControls"]]

    assert ids() == [control["ControlId"]]
    assert ids(ControlId=control["ControlId"]) == [control["ControlId"]]
    assert ids(HomeRegion=HOME, Target={"Type": "ACCOUNT", "Id": ACCOUNT}) == [control["ControlId"]]
    assert ids(HomeRegion="us-east-1") == []
    assert ids(ControlId="hrc-000000000000") == []
    assert ids(Target={"Type": "ACCOUNT", "Id": "210987654321"}) == []
    assert ids(MaxResults=1) == [control["ControlId"]]

    config.delete_home_region_control(ControlId=control["ControlId"])
    assert "HomeRegion" not in config.get_home_region()
    assert error_of(config.delete_home_region_control, ControlId=control["ControlId"]) == (
        "InvalidInputException", f"The home region control {control['ControlId']} does not exist.", 400)
    # With the control gone, another home region may be chosen.
    assert config.create_home_region_control(HomeRegion="eu-west-1", Target={"Type": "ACCOUNT"})["HomeRegionControl"]["HomeRegion"] == "eu-west-1"


def test_refusals(cloud):
    config = cloud.client("migrationhub-config", account=ACCOUNT)
    assert error_of(config.create_home_region_control, HomeRegion=HOME, Target={"Type": "ACCOUNT", "Id": "210987654321"}) == (
        "InvalidInputException", f"The Target Id 210987654321 is not the calling account {ACCOUNT}: "
                                 "a home region control can only be created for the calling account.", 400)
    assert error_of(config.create_home_region_control, HomeRegion="mars-north-1", Target={"Type": "ACCOUNT"}) == (
        "InvalidInputException", "mars-north-1 is not a valid home region.", 400)
    # The model's constraints, with Coral's wording and the service's code.
    code, message, status = error_of(config.create_home_region_control, HomeRegion="Tokyo", Target={"Type": "ACCOUNT"})
    assert (code, status) == ("InvalidInputException", 400)
    assert message == ("1 validation error detected: Value 'Tokyo' at 'homeRegion' failed to satisfy constraint: "
                       "Member must satisfy regular expression pattern: ^([a-z]+)-([a-z]+)-([0-9]+)$")
    code, message, _ = error_of(config.delete_home_region_control, ControlId="control-1")
    assert code == "InvalidInputException" and "at 'controlId' failed to satisfy constraint" in message
    code, message, _ = error_of(config.describe_home_region_controls, MaxResults=101)
    assert code == "InvalidInputException" and "Member must have value less than or equal to 100" in message
    assert error_of(config.describe_home_region_controls, NextToken="bm90IGEgdG9rZW4=") == (
        "InvalidInputException", "The NextToken is not valid.", 400)

    # DryRun: permission checked, nothing set.
    assert error_of(config.create_home_region_control, HomeRegion=HOME, Target={"Type": "ACCOUNT"}, DryRun=True) == (
        "DryRunOperation", "Request would have succeeded, but DryRun flag is set.", 400)
    assert "HomeRegion" not in config.get_home_region()


def test_the_aws_cli(cloud):
    created = cli_json(cloud, "migrationhub-config", "create-home-region-control", "--home-region", HOME,
                       "--target", "Type=ACCOUNT", region=HOME)
    assert created["HomeRegionControl"]["HomeRegion"] == HOME
    assert cli_json(cloud, "migrationhub-config", "get-home-region", region="us-east-1") == {"HomeRegion": HOME}
    listed = cli_json(cloud, "migrationhub-config", "describe-home-region-controls", "--home-region", HOME)
    assert [c["ControlId"] for c in listed["HomeRegionControls"]] == [created["HomeRegionControl"]["ControlId"]]
    refused = aws(cloud, "migrationhub-config", "create-home-region-control", "--home-region", "eu-west-1",
                  "--target", "Type=ACCOUNT", check=False)
    assert refused.returncode != 0 and "(InvalidInputException)" in refused.stderr


def test_the_home_region_survives_kill_9(tmp_path):
    process = CloudProcess(tmp_path / "state").start()
    try:
        config = process.client("migrationhub-config", account=ACCOUNT)
        control = config.create_home_region_control(HomeRegion=HOME, Target={"Type": "ACCOUNT"})["HomeRegionControl"]
        process.kill9()
        process.start()
        config = process.client("migrationhub-config", account=ACCOUNT)
        assert config.get_home_region()["HomeRegion"] == HOME
        assert config.describe_home_region_controls()["HomeRegionControls"][0]["ControlId"] == control["ControlId"]
    finally:
        process.cleanup()
