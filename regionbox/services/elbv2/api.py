"""What ELBv2 offers other services (``cloud.services.api("elbv2")``).

- ``load_balancer_address``: the address a load balancer's DNS name stands for, which its serving
  nodes share: API Gateway's VPC links send private integrations there.
"""

from __future__ import annotations

from regionbox.services.elbv2.models import Elbv2State


class Elbv2Api:
    def __init__(self, state: Elbv2State) -> None:
        self._state = state

    def load_balancer_address(self, account: str, region: str, arn: str) -> str | None:
        lb = self._state.load_balancers.get((account, region), arn)
        return lb.dns_address if lb is not None else None
