"""Cache security groups: the EC2-Classic way of admitting EC2 instances, which AWS has retired.

Every account regionbox serves is a VPC account (clusters take VPC security group ids), so these
operations answer as AWS answers such an account: creating one is refused with its message, none
exists to describe, change or delete.
"""

from __future__ import annotations

from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError
from regionbox.core.pagination import Paginator
from regionbox.services.elasticache import validation as check


def _not_found(name: str) -> ServiceError:
    return ServiceError("CacheSecurityGroupNotFound", f"CacheSecurityGroup {name} not found.", status=404)


class CacheSecurityGroups:
    def __init__(self, paginator: Paginator) -> None:
        self.paginator = paginator

    def create_cache_security_group(self, ctx: RequestContext, params: dict) -> dict:
        raise check.invalid("Use of cache security groups is not permitted in this API version for your account.")

    def describe_cache_security_groups(self, ctx: RequestContext, params: dict) -> dict:
        if params.get("CacheSecurityGroupName"):
            raise _not_found(params["CacheSecurityGroupName"])
        return check.paged(self.paginator, "CacheSecurityGroups", [], params)

    def delete_cache_security_group(self, ctx: RequestContext, params: dict) -> dict:
        raise _not_found(params["CacheSecurityGroupName"])

    def authorize_cache_security_group_ingress(self, ctx: RequestContext, params: dict) -> dict:
        raise _not_found(params["CacheSecurityGroupName"])

    def revoke_cache_security_group_ingress(self, ctx: RequestContext, params: dict) -> dict:
        raise _not_found(params["CacheSecurityGroupName"])
