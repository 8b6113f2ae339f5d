"""What every EC2 handler shares: DryRun, "does not exist" errors, Describe* selection and paging."""

from __future__ import annotations

from typing import Any, Sequence

from regionbox.core.errors import ServiceError, invalid
from regionbox.core.pagination import PageRule, Paginator
from regionbox.core.store import Scope
from regionbox.services.ec2 import filters
from regionbox.services.ec2.state import KINDS, Ec2State, resource_id


def check_dry_run(params: dict) -> None:
    """DryRun=true: EC2 answers that the request would have succeeded, and does nothing."""
    if params.get("DryRun"):
        raise ServiceError("DryRunOperation", "Request would have succeeded, but DryRun flag is set.", status=412)


# kind -> (code, message) of EC2's error for an id that does not exist in the caller's account and region
_NOT_FOUND: dict[str, tuple[str, str]] = {
    "vpc": ("InvalidVpcID.NotFound", "The vpc ID '{}' does not exist"),
    "subnet": ("InvalidSubnetID.NotFound", "The subnet ID '{}' does not exist"),
    "sg": ("InvalidGroup.NotFound", "The security group '{}' does not exist"),
    "sgr": ("InvalidSecurityGroupRuleId.NotFound", "The security group rule ID '{}' does not exist"),
    "rtb": ("InvalidRouteTableID.NotFound", "The routeTable ID '{}' does not exist"),
    "igw": ("InvalidInternetGatewayID.NotFound", "The internetGateway ID '{}' does not exist"),
    "dopt": ("InvalidDhcpOptionID.NotFound", "The dhcpOption ID '{}' does not exist"),
    "acl": ("InvalidNetworkAclID.NotFound", "The networkAcl ID '{}' does not exist"),
}


def not_found(kind: str, resource: str) -> ServiceError:
    code, message = _NOT_FOUND[kind]
    return ServiceError(code, message.format(resource))


def existing(state: Ec2State, kind: str, scope: Scope, resource: str | None) -> Any:
    """The resource of ``kind`` (an id prefix: vpc, subnet, sg ...) with this id in the account and
    region, or EC2's NotFound error for it."""
    found = getattr(state, KINDS[kind]).get(scope, resource or "")
    if found is None:
        raise not_found(kind, resource)
    return found


def dependency_violation(kind: str, resource: str) -> ServiceError:
    """``kind`` as EC2 spells it in this message: vpc, subnet, routeTable, internetGateway, dhcpOptions."""
    return ServiceError("DependencyViolation", f"The {kind} '{resource}' has dependencies and cannot be deleted.")


def _pages(maximum: int) -> PageRule:
    """EC2's MaxResults/NextToken: from 5 to ``maximum``; without MaxResults, everything in one page."""

    def out_of_range(size: int) -> ServiceError:
        bound = "greater than 5" if size < 5 else f"less than {maximum}"
        return invalid(f"Value ( {size} ) for parameter maxResults is invalid. Expecting a value {bound}.")

    def bad_token(token: str) -> ServiceError:
        return ServiceError("InvalidPaginationToken", "The specified pagination token is not valid or is expired.")

    return PageRule(out_of_range=out_of_range, bad_token=bad_token, default=1_000_000, minimum=5, maximum=maximum)


PAGES = _pages(1000)
ROUTE_TABLE_PAGES = _pages(100)


class Describer:
    """The shape of every Describe* of a resource: the ids asked for (each must exist), then
    ``Filters`` (with tag:KEY and tag-key), then MaxResults/NextToken."""

    def __init__(self, paginator: Paginator) -> None:
        self.paginator = paginator

    def select(self, items: Sequence[Any], params: dict, *, ids: str, kind: str, fields: filters.Fields,
               rule: PageRule = PAGES) -> tuple[list, str | None]:
        wanted = params.get(ids) or []
        if wanted:
            known = {resource_id(item) for item in items}
            missing = next((w for w in wanted if w not in known), None)
            if missing is not None:
                raise not_found(kind, missing)
            items = [item for item in items if resource_id(item) in wanted]
        items = filters.apply(items, params.get("Filters"), fields, tags=lambda item: item.tags)
        # A token is good only for the query that produced it.
        return self.paginator.paginate(items, params, rule, query=[wanted, params.get("Filters") or []])


def page(output: dict, token: str | None) -> dict:
    if token:
        output["NextToken"] = token
    return output


def one_attribute(params: dict, members: list[str]) -> str:
    """The one attribute a Modify*Attribute call changes: EC2 takes exactly one per call."""
    given = [member for member in members if params.get(member) is not None]
    if not given:
        raise ServiceError("MissingParameter", "The request must contain the parameter attribute")
    if len(given) > 1:
        raise ServiceError("InvalidParameterCombination", "Fields for multiple attribute types specified: "
                                                          + ", ".join(sorted(m[:1].lower() + m[1:] for m in given)))
    return given[0]


def boolean_value(attribute: dict) -> bool:
    """An AttributeBooleanValue ({"Value": bool}) given to a Modify*Attribute call."""
    if attribute.get("Value") is None:
        raise ServiceError("MissingParameter", "The request must contain the parameter value")
    return bool(attribute["Value"])
