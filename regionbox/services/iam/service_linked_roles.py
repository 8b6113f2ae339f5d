"""Service-linked roles: roles an AWS service creates and owns, with the service's own name, path
(``/aws-service-role/<service principal>/``), trust policy and AWS managed policy. IAM refuses to
change or delete them except through DeleteServiceLinkedRole (roles.py's ``protect``)."""

from __future__ import annotations

import json
import uuid

from regionbox.core import clock, ids
from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError
from regionbox.core.store import Store
from regionbox.services.iam.entities import Entities
from regionbox.services.iam.models import DeletionTask, Role
from regionbox.services.iam.roles import role_shape
from regionbox.services.iam.state import IamState

# service principal -> (role name, AWS managed policy (path and name), custom suffix allowed)
SERVICES: dict[str, tuple[str, str, bool]] = {
    "elasticache.amazonaws.com": ("AWSServiceRoleForElastiCache", "/aws-service-role/ElastiCacheServiceRolePolicy", False),
    "rds.amazonaws.com": ("AWSServiceRoleForRDS", "/aws-service-role/AmazonRDSServiceRolePolicy", False),
    "replication.dynamodb.amazonaws.com": ("AWSServiceRoleForDynamoDBReplication",
                                           "/aws-service-role/DynamoDBReplicationServiceRolePolicy", False),
    "dax.amazonaws.com": ("AWSServiceRoleForDAX", "/aws-service-role/AmazonDAXServiceRolePolicy", False),
    "elasticloadbalancing.amazonaws.com": ("AWSServiceRoleForElasticLoadBalancing",
                                           "/aws-service-role/AWSElasticLoadBalancingServiceRolePolicy", False),
    "autoscaling.amazonaws.com": ("AWSServiceRoleForAutoScaling", "/aws-service-role/AutoScalingServiceRolePolicy", True),
    "transfer.amazonaws.com": ("AWSServiceRoleForAWSTransfer", "/aws-service-role/AWSTransferServiceRolePolicy", False),
    "ecs.amazonaws.com": ("AWSServiceRoleForECS", "/aws-service-role/AmazonECSServiceRolePolicy", False),
    "transitgateway.amazonaws.com": ("AWSServiceRoleForVPCTransitGateway",
                                     "/aws-service-role/AWSVPCTransitGatewayServiceRolePolicy", False),
    "network-firewall.amazonaws.com": ("AWSServiceRoleForNetworkFirewall",
                                       "/aws-service-role/AWSNetworkFirewallServiceRolePolicy", False),
    "appsync.amazonaws.com": ("AWSServiceRoleForAppSync", "/aws-service-role/AWSAppSyncServiceRolePolicy", False),
    "apigateway.amazonaws.com": ("AWSServiceRoleForAPIGateway", "/aws-service-role/APIGatewayServiceRolePolicy", False),
    "organizations.amazonaws.com": ("AWSServiceRoleForOrganizations",
                                    "/aws-service-role/AWSOrganizationsServiceTrustPolicy", False),
    "cloudtrail.amazonaws.com": ("AWSServiceRoleForCloudTrail", "/aws-service-role/CloudTrailServiceRolePolicy", False),
    "ram.amazonaws.com": ("AWSServiceRoleForResourceAccessManager",
                          "/aws-service-role/AWSResourceAccessManagerServiceRolePolicy", False),
    "pi.amazonaws.com": ("AWSServiceRoleForPerformanceInsights",
                         "/aws-service-role/AWSServiceRoleForPerformanceInsightsPolicy", False),
    "lambda.amazonaws.com": ("AWSServiceRoleForLambda", "/aws-service-role/AWSLambdaServiceRolePolicy", False),
    "ec2.amazonaws.com": ("AWSServiceRoleForEC2", "/aws-service-role/AmazonEC2ServiceRolePolicy", False),
}


class ServiceLinkedRoles:
    def __init__(self, roles: Entities[Role], state: IamState, store: Store) -> None:
        self.roles = roles
        self.state = state
        self.store = store

    def create_service_linked_role(self, ctx: RequestContext, params: dict) -> dict:
        service = params["AWSServiceName"]
        if service not in SERVICES:
            raise ServiceError("InvalidInput", f"Invalid service name: {service}")
        name, policy, suffix_allowed = SERVICES[service]
        if params.get("CustomSuffix"):
            if not suffix_allowed:
                raise ServiceError("InvalidInput", f"Custom suffix is not allowed for {service}")
            name = f"{name}_{params['CustomSuffix']}"
        if self.roles.exists(ctx, name):
            raise ServiceError("InvalidInput", f"Service role name {name} has been taken in this account, please try a "
                               "different suffix.")
        path = f"/aws-service-role/{service}/"
        trust = json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]})
        role = Role(name=name, role_id=ids.upper_id("AROA", 17), arn=ctx.arn("iam", f"role{path}{name}", regional=False),
                    path=path, assume_role_policy_document=trust, create_date=clock.epoch(),
                    description=params.get("Description"), service_linked=service,
                    attached_policies=[f"arn:{ctx.partition}:iam::aws:policy{policy}"])
        self.roles.save(ctx, role)
        return {"Role": role_shape(role)}

    def delete_service_linked_role(self, ctx: RequestContext, params: dict) -> dict:
        role = self.roles.named(ctx, params)
        if not role.service_linked:
            raise ServiceError("InvalidInput", f"Role {role.name} is not a service-linked role.")
        task = DeletionTask(task_id=f"task{role.path}{role.name}/{uuid.uuid4()}", role_name=role.name, status="SUCCEEDED")
        if self.state.profiles_with_role(ctx.global_scope, role.name):
            # A role still in an instance profile stays: the task fails, as AWS reports it.
            task.status, task.reason = "FAILED", {"Reason": "The role is in use by an instance profile."}
        with self.store.transaction():
            if task.status == "SUCCEEDED":
                self.roles.collection.delete(ctx.global_scope, role.name.lower())
                ctx.touched(self.roles.kind.resource_type, role.name)
            self.state.deletion_tasks.put(ctx.global_scope, task.task_id, task)
        return {"DeletionTaskId": task.task_id}

    def get_service_linked_role_deletion_status(self, ctx: RequestContext, params: dict) -> dict:
        task = self.state.deletion_tasks.get(ctx.global_scope, params["DeletionTaskId"])
        if task is None:
            raise ServiceError("NoSuchEntity", f"Deletion task {params['DeletionTaskId']} not found.", status=404)
        result: dict = {"Status": task.status}
        if task.reason:
            result["Reason"] = task.reason
        return result
