"""DescribeAccountLimits: the quotas of application load balancers that AWS reports by default."""

from __future__ import annotations

from regionbox.core.context import RequestContext

LIMITS = {
    "application-load-balancers": "50", "target-groups": "3000", "targets-per-application-load-balancer": "1000",
    "listeners-per-application-load-balancer": "50", "rules-per-application-load-balancer": "100",
    "certificates-per-application-load-balancer": "25", "condition-values-per-alb-rule": "5",
    "condition-wildcards-per-alb-rule": "5", "target-groups-per-action-on-application-load-balancer": "5",
    "target-groups-per-application-load-balancer": "100", "targets-per-target-group": "1000",
}


def describe_account_limits(ctx: RequestContext, params: dict) -> dict:
    return {"Limits": [{"Name": name, "Max": value} for name, value in LIMITS.items()]}
