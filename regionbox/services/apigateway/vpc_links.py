"""VPC links: CreateVpcLink, GetVpcLink(s), UpdateVpcLink, DeleteVpcLink.

A VPC link names the load balancer private integrations reach (``connectionType`` VPC_LINK,
``connectionId`` the link's id or ``${stageVariables.x}``): the integration's URI still gives the
Host, port and path, but the connection goes to the load balancer. AWS's REST API links take a
Network Load Balancer; regionbox's ELBv2 serves application load balancers, so a link takes the
ARN of either, and the load balancer must be one of regionbox's. As on AWS a new link is PENDING,
then AVAILABLE (or FAILED with the reason in ``statusMessage``).
"""

from __future__ import annotations

from typing import Any, Callable

from regionbox.core.context import RequestContext
from regionbox.core.pagination import Paginator
from regionbox.core.store import Scope
from regionbox.core.tasks import Tasks
from regionbox.services.apigateway import patch
from regionbox.services.apigateway.models import VpcLink, new_id
from regionbox.services.apigateway.paging import listing
from regionbox.services.apigateway.state import ApiGatewayState, bad_request
from regionbox.services.apigateway.tags import checked_tags


class VpcLinks:
    def __init__(self, state: ApiGatewayState, paginator: Paginator, tasks: Tasks, elbv2: Callable[[], Any]) -> None:
        self.state = state
        self.paginator = paginator
        self.tasks = tasks
        self.elbv2 = elbv2  # () -> ELBv2's api, loaded when first needed

    def create_vpc_link(self, ctx: RequestContext, params: dict) -> dict:
        targets = params["targetArns"]
        if len(targets) != 1:
            raise bad_request("Exactly one target ARN must be specified.")
        if ":loadbalancer/net/" not in targets[0] and ":loadbalancer/app/" not in targets[0]:
            raise bad_request(f"NLB ARN is malformed: {targets[0]}")
        link_id = new_id(6)
        body = {"id": link_id, "name": params["name"], "targetArns": list(targets), "status": "PENDING",
                "statusMessage": "VPC link is provisioning ENIs"}
        if params.get("description") is not None:
            body["description"] = params["description"]
        if params.get("tags"):
            body["tags"] = checked_tags(params["tags"])
        self.state.vpc_links.put(ctx.scope, link_id, VpcLink(link_id, body))
        self.tasks.spawn(self._provision(ctx.scope, link_id), owner="apigateway", what=f"VPC link {link_id}")
        return dict(body)

    async def _provision(self, scope: Scope, link_id: str) -> None:
        link = self.state.vpc_links.get(scope, link_id)
        if link is None or link.body["status"] != "PENDING":
            return
        arn = link.body["targetArns"][0]
        if self.elbv2().load_balancer_address(scope[0], scope[1], arn) is None:
            link.body.update(status="FAILED", statusMessage=f"NLB ARN is not found: {arn}")
        else:
            link.body.update(status="AVAILABLE", statusMessage="Your VPC link is ready to route traffic")
        self.state.vpc_links.put(scope, link_id, link)

    def get_vpc_link(self, ctx: RequestContext, params: dict) -> dict:
        return dict(self.state.vpc_link(ctx.scope, params["vpcLinkId"]).body)

    def get_vpc_links(self, ctx: RequestContext, params: dict) -> dict:
        links = sorted(self.state.vpc_links.values(ctx.scope), key=lambda link: link.body["name"])
        return listing(self.paginator, [dict(link.body) for link in links], params)

    def update_vpc_link(self, ctx: RequestContext, params: dict) -> dict:
        link = self.state.vpc_link(ctx.scope, params["vpcLinkId"])
        link.body = patch.apply(dict(link.body), params.get("patchOperations"), "VpcLink", ("name", "description"))
        self.state.vpc_links.put(ctx.scope, link.id, link)
        return dict(link.body)

    def delete_vpc_link(self, ctx: RequestContext, params: dict) -> dict:
        link = self.state.vpc_link(ctx.scope, params["vpcLinkId"])
        self.state.vpc_links.delete(ctx.scope, link.id)
        return {}

    def address(self, scope: Scope, link_id: str) -> str | None:
        """The address a private integration through this link connects to (None: no such
        available link, or its load balancer is gone)."""
        link = self.state.vpc_links.get(scope, link_id)
        if link is None or link.body.get("status") != "AVAILABLE":
            return None
        return self.elbv2().load_balancer_address(scope[0], scope[1], link.body["targetArns"][0])
