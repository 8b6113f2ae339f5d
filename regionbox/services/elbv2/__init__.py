"""Elastic Load Balancing v2: application load balancers that really balance.

Load balancers in the subnets' AZs with a node per AZ on its own loopback address (nodes.py; SetSubnets
moves them), target groups of local processes with real HTTP health checks (health.py), HTTP and HTTPS
listeners (certificates of the local CA, as there is no ACM; the security policy's protocols and
ciphers, ssl_policies.py; mutual TLS with trust stores from S3, trust_stores.py) whose
rules route by path, host, header, method, query string and source address to forward,
fixed-response and redirect actions (routing.py), sticky sessions with AWS's cookies, and a
proxy that streams requests to the targets with X-Forwarded-* headers (proxy.py), heads rewritten as
the listener's attributes say (listener_attributes.py). LCU reservations are kept (capacity.py).
"""

import functools
import inspect

from regionbox.core.service import Service
from regionbox.services.elbv2.api import Elbv2Api
from regionbox.services.elbv2.capacity import CapacityReservations
from regionbox.services.elbv2.health import Health
from regionbox.services.elbv2.limits import describe_account_limits
from regionbox.services.elbv2.listener_attributes import ListenerAttributes
from regionbox.services.elbv2.listeners import Listeners
from regionbox.services.elbv2.load_balancers import LoadBalancers
from regionbox.services.elbv2.models import Elbv2State
from regionbox.services.elbv2.nodes import Nodes
from regionbox.services.elbv2.routing import Router
from regionbox.services.elbv2.rules import Rules
from regionbox.services.elbv2.ssl_policies import describe_ssl_policies
from regionbox.services.elbv2.tags import Tags
from regionbox.services.elbv2.trust_stores import TrustStores
from regionbox.services.elbv2.target_groups import TargetGroups

NOT_IMPLEMENTED = {
    "DeleteSharedTrustStoreAssociation": "trust stores are shared through RAM, which regionbox does not serve: "
                                         "a trust store has no associations in other accounts",
    "ModifyIpPools": "load balancer addresses from IPAM pools need EC2's IPAM, which regionbox does not serve",
}


def load(cloud) -> Service:
    state = Elbv2State(cloud.store)
    ec2 = lambda: cloud.services.api("ec2")  # noqa: E731 - EC2 loads when first needed
    health = Health(state, cloud.tasks)
    router = Router(state, health, cloud.paginator)
    nodes = Nodes(state, router, cloud.tasks, cloud.addresses, cloud.listeners, cloud.ca, cloud.state_dir / "elbv2")
    load_balancers = LoadBalancers(state, nodes, health, ec2, cloud.paginator)
    target_groups = TargetGroups(state, health, ec2, cloud.paginator)
    listeners = Listeners(state, nodes, health, cloud.paginator)
    rules = Rules(state, health, cloud.paginator)
    tags = Tags(state)
    capacity = CapacityReservations(state, cloud.tasks)
    listener_attributes = ListenerAttributes(state, nodes.header_settings)
    trust_stores = TrustStores(state, nodes, lambda: cloud.services.api("s3"), cloud.paginator,
                               lambda: cloud.config.endpoint_url)

    async def start() -> None:
        await nodes.restore()
        for scope, _, tg in state.target_groups.all():
            health.sync(scope, tg.arn)

    async def stop() -> None:
        health.reset()
        nodes.close_all()
        router.changed()

    operations = {
        "CreateLoadBalancer": load_balancers.create_load_balancer,
        "DescribeLoadBalancers": load_balancers.describe_load_balancers,
        "DeleteLoadBalancer": load_balancers.delete_load_balancer,
        "DescribeLoadBalancerAttributes": load_balancers.describe_load_balancer_attributes,
        "ModifyLoadBalancerAttributes": load_balancers.modify_load_balancer_attributes,
        "SetSecurityGroups": load_balancers.set_security_groups,
        "SetSubnets": load_balancers.set_subnets,
        "SetIpAddressType": load_balancers.set_ip_address_type,
        "DescribeCapacityReservation": capacity.describe_capacity_reservation,
        "ModifyCapacityReservation": capacity.modify_capacity_reservation,
        "GetResourcePolicy": trust_stores.get_resource_policy,
        "CreateTargetGroup": target_groups.create_target_group,
        "DescribeTargetGroups": target_groups.describe_target_groups,
        "ModifyTargetGroup": target_groups.modify_target_group,
        "DeleteTargetGroup": target_groups.delete_target_group,
        "DescribeTargetGroupAttributes": target_groups.describe_target_group_attributes,
        "ModifyTargetGroupAttributes": target_groups.modify_target_group_attributes,
        "RegisterTargets": target_groups.register_targets,
        "DeregisterTargets": target_groups.deregister_targets,
        "DescribeTargetHealth": target_groups.describe_target_health,
        "CreateListener": listeners.create_listener,
        "DescribeListeners": listeners.describe_listeners,
        "ModifyListener": listeners.modify_listener,
        "DeleteListener": listeners.delete_listener,
        "DescribeListenerAttributes": listener_attributes.describe_listener_attributes,
        "ModifyListenerAttributes": listener_attributes.modify_listener_attributes,
        "DescribeListenerCertificates": listeners.describe_listener_certificates,
        "AddListenerCertificates": listeners.add_listener_certificates,
        "RemoveListenerCertificates": listeners.remove_listener_certificates,
        "CreateRule": rules.create_rule,
        "DescribeRules": rules.describe_rules,
        "ModifyRule": rules.modify_rule,
        "DeleteRule": rules.delete_rule,
        "SetRulePriorities": rules.set_rule_priorities,
        "AddTags": tags.add_tags,
        "RemoveTags": tags.remove_tags,
        "DescribeTags": tags.describe_tags,
        "DescribeAccountLimits": describe_account_limits,
        "DescribeSSLPolicies": describe_ssl_policies(cloud.paginator),
        "CreateTrustStore": trust_stores.create_trust_store,
        "DescribeTrustStores": trust_stores.describe_trust_stores,
        "ModifyTrustStore": trust_stores.modify_trust_store,
        "DeleteTrustStore": trust_stores.delete_trust_store,
        "AddTrustStoreRevocations": trust_stores.add_trust_store_revocations,
        "RemoveTrustStoreRevocations": trust_stores.remove_trust_store_revocations,
        "DescribeTrustStoreRevocations": trust_stores.describe_trust_store_revocations,
        "DescribeTrustStoreAssociations": trust_stores.describe_trust_store_associations,
        "GetTrustStoreCaCertificatesBundle": trust_stores.get_trust_store_ca_certificates_bundle,
        "GetTrustStoreRevocationContent": trust_stores.get_trust_store_revocation_content,
    }
    return Service(
        name="elbv2",
        # The nodes route by a copy of each listener's rules: every operation that writes renews it.
        operations={name: handler if name.startswith("Describe") else _renewing(router, handler)
                    for name, handler in operations.items()},
        not_implemented=NOT_IMPLEMENTED,
        iam_prefix="elasticloadbalancing",
        api=Elbv2Api(state),
        start=start,
        stop=stop,
        reset=stop,
    )


def _renewing(router: Router, handler):
    """``handler``, after which (and before, for one that waits midway) the router looks rules up again."""
    @functools.wraps(handler)
    def run(ctx, params):
        router.changed()
        result = handler(ctx, params)
        if not inspect.isawaitable(result):
            router.changed()
            return result

        async def finish():
            try:
                return await result
            finally:
                router.changed()
        return finish()
    return run
