"""CreateHomeRegionControl, DescribeHomeRegionControls, GetHomeRegion, DeleteHomeRegionControl.

An account has at most one control. AWS does not document its wording for the refusals below;
the codes are the ones its model lists (InvalidInputException, DryRunOperation).
"""

from __future__ import annotations

from regionbox.core import clock, ids
from regionbox.core.errors import ServiceError
from regionbox.core.pagination import PageRule, Paginator
from regionbox.core.topology import REGION_NAMES
from regionbox.services.migrationhub_config.models import ConfigState, HomeRegionControl


def invalid(message: str) -> ServiceError:
    return ServiceError("InvalidInputException", message)


def bad_token(token: str) -> ServiceError:
    return invalid("The NextToken is not valid.")


CONTROLS = PageRule(default=100, minimum=1, maximum=100, bad_token=bad_token, base64_token=True,
                    out_of_range=lambda n: invalid("MaxResults must be between 1 and 100."))


class Controls:
    def __init__(self, state: ConfigState, paginator: Paginator) -> None:
        self.state = state
        self.paginator = paginator

    def create_home_region_control(self, ctx, params: dict) -> dict:
        region, target = params["HomeRegion"], params["Target"]
        account = ctx.account_id
        if target.get("Id") is not None and target["Id"] != account:
            raise invalid(f"The Target Id {target['Id']} is not the calling account {account}: "
                          "a home region control can only be created for the calling account.")
        if region not in REGION_NAMES:
            raise invalid(f"{region} is not a valid home region.")
        existing = self.state.control_of(account)
        if existing is not None and existing.home_region != region:
            raise invalid(f"The home region for account {account} is already set to {existing.home_region}.")
        if params.get("DryRun"):
            raise ServiceError("DryRunOperation", "Request would have succeeded, but DryRun flag is set.")
        if existing is not None:
            # Setting the same home region again changes nothing and answers the control it has.
            return {"HomeRegionControl": existing.describe()}
        control = HomeRegionControl(control_id="hrc-" + ids.lower_alnum(12), home_region=region,
                                    target_type="ACCOUNT", target_id=account, requested_time=clock.epoch())
        self.state.controls.put(ctx.global_scope, control.control_id, control)
        return {"HomeRegionControl": control.describe()}

    def describe_home_region_controls(self, ctx, params: dict) -> dict:
        target = params.get("Target") or {}
        controls = [c for c in self.state.controls.values(ctx.global_scope)
                    if params.get("ControlId") in (None, c.control_id)
                    and params.get("HomeRegion") in (None, c.home_region)
                    and target.get("Type") in (None, c.target_type)
                    and target.get("Id") in (None, c.target_id)]
        query = [params.get("ControlId"), params.get("HomeRegion"), target]
        page, following = self.paginator.paginate(controls, params, CONTROLS, query=query)
        result: dict = {"HomeRegionControls": [c.describe() for c in page]}
        if following:
            result["NextToken"] = following
        return result

    def get_home_region(self, ctx, params: dict) -> dict:
        control = self.state.control_of(ctx.account_id)
        return {"HomeRegion": control.home_region} if control else {}

    def delete_home_region_control(self, ctx, params: dict) -> dict:
        control_id = params["ControlId"]
        if self.state.controls.delete(ctx.global_scope, control_id) is None:
            raise invalid(f"The home region control {control_id} does not exist.")
        return {}
