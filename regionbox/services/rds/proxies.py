"""RDS Proxy: CreateDBProxy, DescribeDBProxies, ModifyDBProxy, DeleteDBProxy; its target group
(DescribeDBProxyTargetGroups, ModifyDBProxyTargetGroup) and targets (RegisterDBProxyTargets,
DeregisterDBProxyTargets, DescribeDBProxyTargets); its additional endpoints (CreateDBProxyEndpoint,
DescribeDBProxyEndpoints, ModifyDBProxyEndpoint, DeleteDBProxyEndpoint).

A proxy is a real TCP server (``proxy_server.py``) on a loopback address of its own in an AZ of its
subnets, on PostgreSQL's port, as are its additional endpoints. Its one target group, ``default``,
takes one DB instance (RDS Proxy's rule for instances); a target's health is whether the proxy
reaches the instance's endpoint now. Only the POSTGRESQL engine family is served. ``Auth`` entries
are checked and kept but the proxy does not read their secrets (it does not authenticate clients
itself): clients log in with the database's own users, whose SCRAM exchange it passes through.
"""

from __future__ import annotations

import asyncio
import re
import secrets
from typing import Any, Callable

from regionbox.core import clock
from regionbox.core.errors import ServiceError, invalid
from regionbox.core.listeners import Listener, Listeners
from regionbox.core.pagination import Paginator
from regionbox.core.store import Scope
from regionbox.core.tasks import Tasks
from regionbox.services.rds import validation as check
from regionbox.services.rds.models import DBProxy, DBProxyEndpoint, RdsState
from regionbox.services.rds.proxy_server import ProxyServer, Target

NAME = re.compile(r"^[a-zA-Z](?!.*--)[a-zA-Z0-9-]{0,62}(?<!-)$")
SECRET = re.compile(r"^arn:aws[\w-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$")
FAMILIES = ("MYSQL", "POSTGRESQL", "SQLSERVER")
MAX_PROXIES = 20  # per account and region
MAX_ENDPOINTS = 20  # additional endpoints per proxy
DEFAULT_POOL = {"MaxConnectionsPercent": 100, "MaxIdleConnectionsPercent": 50, "ConnectionBorrowTimeout": 120,
                "SessionPinningFilters": []}
PORT = 5432


def proxy_not_found(name: str) -> ServiceError:
    return ServiceError("DBProxyNotFoundFault", f"DBProxy {name} not found.", 404)


def endpoint_not_found(name: str) -> ServiceError:
    return ServiceError("DBProxyEndpointNotFoundFault", f"DBProxyEndpoint {name} not found.", 404)


def hex_id(length: int = 17) -> str:
    return secrets.token_hex(length)[:length]


class Proxies:
    def __init__(self, state: RdsState, listeners: Listeners, tasks: Tasks, ec2: Callable[[], Any], iam: Callable[[], Any],
                 paginator: Paginator) -> None:
        self.state = state
        self.listeners = listeners
        self.tasks = tasks
        self.ec2 = ec2
        self.iam = iam
        self.paginator = paginator
        self.servers: dict[tuple[Scope, str], ProxyServer] = {}
        self.open: dict[str, Listener] = {}  # proxy or endpoint ARN -> its listener

    # -- the data plane ------------------------------------------------------------------------------
    def _server(self, scope: Scope, name: str) -> ProxyServer:
        key = (scope, name)
        if key not in self.servers:
            def settings() -> tuple[bool, float]:
                proxy = self.state.proxies.get(scope, name)
                return (proxy.require_tls, float(proxy.idle_timeout)) if proxy else (False, 1800.0)
            self.servers[key] = ProxyServer(name, settings, lambda: self._target(scope, name))
        return self.servers[key]

    def _target(self, scope: Scope, name: str) -> Target | None:
        proxy = self.state.proxies.get(scope, name)
        group = proxy.target_groups.get("default") if proxy else None
        for identifier in (group or {}).get("targets", []):
            instance = self.state.instances.get(scope, identifier)
            if instance is not None and instance.status == "available" and instance.endpoint_address:
                # The group's max_connections, or the server's own default (100) the instance runs with.
                max_connections = int(self._parameter(scope, instance, "max_connections", "100"))
                pool = group["pool"]
                limit = max(1, max_connections * pool["MaxConnectionsPercent"] // 100)
                return Target(instance.endpoint_address, instance.port, limit, float(pool["ConnectionBorrowTimeout"]))
        return None

    def _parameter(self, scope: Scope, instance, name: str, default: str) -> str:
        group = self.state.parameter_groups.get(scope, instance.parameter_group)
        return (group.values.get(name) if group else None) or default

    async def _listen(self, scope: Scope, arn: str, proxy_name: str, zone: str, address: str, port: int) -> None:
        if arn not in self.open:
            self.open[arn] = await self.listeners.open_tcp(owner="rds-proxy", zone=zone, port=port, address=address,
                                                           handle=self._server(scope, proxy_name).handle)

    async def _unlisten(self, arn: str) -> None:
        listener = self.open.pop(arn, None)
        if listener is not None:
            await self.listeners.close(listener)

    async def start(self) -> None:
        """After a restart: every proxy and endpoint listens again on its address."""
        for scope, name, proxy in list(self.state.proxies.all()):
            if proxy.status == "deleting":
                self.tasks.spawn(self._delete(scope, name), owner="rds", what=f"deleting proxy {name}")
                continue
            await self._listen(scope, proxy.arn, name, proxy.zone, proxy.address, proxy.port)
            if proxy.status == "creating":
                proxy.status = "available"
                self.state.proxies.put(scope, name, proxy)
        for scope, name, endpoint in list(self.state.proxy_endpoints.all()):
            await self._listen(scope, endpoint.arn, endpoint.proxy, endpoint.zone, endpoint.address, endpoint.port)
            if endpoint.status == "creating":
                endpoint.status = "available"
                self.state.proxy_endpoints.put(scope, name, endpoint)

    async def stop(self) -> None:
        for arn in list(self.open):
            await self._unlisten(arn)
        self.servers.clear()

    # -- checks ----------------------------------------------------------------------------------------
    def _proxy(self, ctx, name: str) -> DBProxy:
        proxy = self.state.proxies.get(ctx.scope, name.lower())
        if proxy is None:
            raise proxy_not_found(name)
        return proxy

    @staticmethod
    def _name(value: str, parameter: str) -> str:
        if not NAME.match(value):
            raise invalid(f"The parameter {parameter} is not a valid identifier. Identifiers must begin with a letter; must "
                          "contain only ASCII letters, digits, and hyphens; and must not end with a hyphen or contain two "
                          "consecutive hyphens.")
        return value.lower()

    def _subnets(self, scope: Scope, subnet_ids: list[str]) -> tuple[str, list[str], list[str]]:
        """(VPC, subnet ids, their AZs): every subnet in one VPC, in at least two AZs."""
        found = []
        for subnet_id in dict.fromkeys(subnet_ids):
            subnet = self.ec2().subnet(scope[0], scope[1], subnet_id)
            if subnet is None:
                raise ServiceError("InvalidSubnet", f"The subnet ID '{subnet_id}' does not exist")
            found.append(subnet)
        if len({s.vpc_id for s in found}) != 1:
            raise ServiceError("InvalidSubnet", "Subnets must all be in the same VPC")
        zones = list(dict.fromkeys(s.availability_zone for s in found))
        if len(zones) < 2:
            raise invalid("The DB proxy requires subnets in at least two Availability Zones.")
        return found[0].vpc_id, [s.subnet_id for s in found], zones

    def _role(self, role_arn: str) -> str:
        parts = role_arn.split(":")
        if len(parts) != 6 or parts[2] != "iam" or not parts[5].startswith("role/") or \
                self.iam().role(parts[4], parts[5].rsplit("/", 1)[-1]) is None:
            raise invalid(f"IAM role ARN value is invalid or does not exist: {role_arn}")
        return role_arn

    @staticmethod
    def _auth(entries: list[dict]) -> list[dict]:
        kept = []
        for entry in entries:
            if entry.get("AuthScheme", "SECRETS") != "SECRETS":
                raise invalid(f"Invalid AuthScheme: {entry.get('AuthScheme')}")
            if entry.get("SecretArn") is not None and not SECRET.match(entry["SecretArn"]):
                raise invalid(f"Invalid SecretArn: {entry['SecretArn']}")
            if entry.get("ClientPasswordAuthType") not in (None, "POSTGRES_SCRAM_SHA_256", "POSTGRES_MD5"):
                raise invalid(f"ClientPasswordAuthType {entry['ClientPasswordAuthType']} is not valid for engine family "
                              "POSTGRESQL.")
            kept.append({"AuthScheme": "SECRETS", "IAMAuth": entry.get("IAMAuth", "DISABLED"),
                         "ClientPasswordAuthType": entry.get("ClientPasswordAuthType", "POSTGRES_SCRAM_SHA_256"),
                         **{k: entry[k] for k in ("Description", "UserName", "SecretArn") if entry.get(k) is not None}})
        return kept

    # -- describing --------------------------------------------------------------------------------------
    @staticmethod
    def describe(proxy: DBProxy) -> dict:
        return {"DBProxyName": proxy.name, "DBProxyArn": proxy.arn, "Status": proxy.status, "EngineFamily": proxy.engine_family,
                "VpcId": proxy.vpc_id, "VpcSecurityGroupIds": proxy.security_groups, "VpcSubnetIds": proxy.subnets,
                "DefaultAuthScheme": proxy.default_auth_scheme, "Auth": proxy.auth, "RoleArn": proxy.role_arn,
                "Endpoint": proxy.address, "RequireTLS": proxy.require_tls, "IdleClientTimeout": proxy.idle_timeout,
                "DebugLogging": proxy.debug_logging, "CreatedDate": clock.from_epoch(proxy.created_at),
                "UpdatedDate": clock.from_epoch(proxy.updated_at), "EndpointNetworkType": "IPV4",
                "TargetConnectionNetworkType": "IPV4"}

    @staticmethod
    def describe_endpoint(endpoint: DBProxyEndpoint) -> dict:
        return {"DBProxyEndpointName": endpoint.name, "DBProxyEndpointArn": endpoint.arn, "DBProxyName": endpoint.proxy,
                "Status": endpoint.status, "VpcId": endpoint.vpc_id, "VpcSecurityGroupIds": endpoint.security_groups,
                "VpcSubnetIds": endpoint.subnets, "Endpoint": endpoint.address, "CreatedDate": clock.from_epoch(endpoint.created_at),
                "TargetRole": endpoint.target_role, "IsDefault": False, "EndpointNetworkType": "IPV4"}

    # -- proxies -------------------------------------------------------------------------------------------
    def create_db_proxy(self, ctx, params: dict) -> dict:
        name = self._name(params["DBProxyName"], "DBProxyName")
        family = params["EngineFamily"]
        if family not in FAMILIES:
            raise invalid(f"Invalid EngineFamily: {family}. Valid values: {', '.join(FAMILIES)}")
        if family != "POSTGRESQL":
            raise invalid(f"Engine family {family} is not served by regionbox: it runs PostgreSQL instances.")
        vpc_id, subnets, zones = self._subnets(ctx.scope, params["VpcSubnetIds"])
        role_arn = self._role(params["RoleArn"])
        auth = self._auth(params.get("Auth") or [])
        if (ctx.scope, name) in self.state.proxies:
            raise ServiceError("DBProxyAlreadyExistsFault", f"DBProxy {name} already exists.")
        if len(self.state.proxies.values(ctx.scope)) >= MAX_PROXIES:
            raise ServiceError("DBProxyQuotaExceededFault", f"You can't create more than {MAX_PROXIES} DB proxies.")
        timeout = params.get("IdleClientTimeout", 1800)
        if not 1 <= timeout <= 28800:
            raise invalid(f"Invalid IdleClientTimeout: {timeout}. Valid values are 1-28800 seconds.")
        now = clock.epoch()
        address, port = self.listeners.addresses.allocate(PORT)  # held from now; the listener opens on it
        proxy = DBProxy(name=name, arn=ctx.arn("rds", f"db-proxy:prx-{hex_id()}"), engine_family=family, role_arn=role_arn,
                        vpc_id=vpc_id, subnets=subnets, zone=zones[0], address=address, port=port, created_at=now,
                        updated_at=now, security_groups=params.get("VpcSecurityGroupIds") or [], auth=auth,
                        default_auth_scheme=params.get("DefaultAuthScheme") or "NONE",
                        require_tls=bool(params.get("RequireTLS")), idle_timeout=timeout,
                        debug_logging=bool(params.get("DebugLogging")), tags=params.get("Tags") or [],
                        target_groups={"default": {"arn": ctx.arn("rds", f"target-group:prx-tg-{hex_id()}"), "created_at": now,
                                                   "updated_at": now, "pool": dict(DEFAULT_POOL), "targets": []}})
        self.state.proxies.put(ctx.scope, name, proxy)
        self.tasks.spawn(self._create(ctx.scope, name), owner="rds", what=f"creating proxy {name}",
                         on_failure=lambda error: self._status(ctx.scope, name, "incompatible-network"))
        return {"DBProxy": self.describe(proxy)}

    async def _create(self, scope: Scope, name: str) -> None:
        proxy = self.state.proxies.get(scope, name)
        await self._listen(scope, proxy.arn, name, proxy.zone, proxy.address, proxy.port)
        self._status(scope, name, "available")

    def _status(self, scope: Scope, name: str, status: str) -> None:
        proxy = self.state.proxies.get(scope, name)
        if proxy is not None and proxy.status != "deleting":
            proxy.status = status
            self.state.proxies.put(scope, name, proxy)

    def describe_db_proxies(self, ctx, params: dict) -> dict:
        name = params.get("DBProxyName")
        proxies = [self._proxy(ctx, name)] if name else self.state.proxies.values(ctx.scope)
        return check.paged(self.paginator, "DBProxies", [self.describe(p) for p in proxies], params)

    def modify_db_proxy(self, ctx, params: dict) -> dict:
        proxy = self._proxy(ctx, params["DBProxyName"])
        if proxy.status != "available":
            raise ServiceError("InvalidDBProxyStateFault", f"DBProxy {proxy.name} is not in available state.")
        if params.get("NewDBProxyName"):
            raise invalid("Renaming a DB proxy (NewDBProxyName) is not built in regionbox.")
        if params.get("Auth") is not None:
            proxy.auth = self._auth(params["Auth"])
        if params.get("RoleArn") is not None:
            proxy.role_arn = self._role(params["RoleArn"])
        if params.get("IdleClientTimeout") is not None:
            if not 1 <= params["IdleClientTimeout"] <= 28800:
                raise invalid(f"Invalid IdleClientTimeout: {params['IdleClientTimeout']}. Valid values are 1-28800 seconds.")
            proxy.idle_timeout = params["IdleClientTimeout"]
        for member, attribute in (("RequireTLS", "require_tls"), ("DebugLogging", "debug_logging"),
                                  ("SecurityGroups", "security_groups"), ("DefaultAuthScheme", "default_auth_scheme")):
            if params.get(member) is not None:
                setattr(proxy, attribute, params[member])
        proxy.updated_at = clock.epoch()
        self.state.proxies.put(ctx.scope, proxy.name, proxy)
        return {"DBProxy": self.describe(proxy)}

    def delete_db_proxy(self, ctx, params: dict) -> dict:
        proxy = self._proxy(ctx, params["DBProxyName"])
        if proxy.status == "deleting":
            raise ServiceError("InvalidDBProxyStateFault", f"DBProxy {proxy.name} is already being deleted.")
        proxy.status = "deleting"
        self.state.proxies.put(ctx.scope, proxy.name, proxy)
        self.tasks.spawn(self._delete(ctx.scope, proxy.name), owner="rds", what=f"deleting proxy {proxy.name}")
        return {"DBProxy": self.describe(proxy)}

    async def _delete(self, scope: Scope, name: str) -> None:
        proxy = self.state.proxies.get(scope, name)
        endpoints = [e for e in self.state.proxy_endpoints.values(scope) if e.proxy == name]
        for endpoint in endpoints:
            await self._unlisten(endpoint.arn)
        await self._unlisten(proxy.arn)
        self.servers.pop((scope, name), None)
        with self.state.store.transaction():
            for endpoint in endpoints:
                self.state.proxy_endpoints.delete(scope, endpoint.name)
            self.state.proxies.delete(scope, name)

    # -- target groups and targets ------------------------------------------------------------------------
    def _group(self, proxy: DBProxy, name: str | None) -> dict:
        group = proxy.target_groups.get(name or "default")
        if group is None:
            raise ServiceError("DBProxyTargetGroupNotFoundFault", f"DBProxyTargetGroup {name} not found for DBProxy "
                               f"{proxy.name}.", 404)
        return group

    def describe_group(self, proxy: DBProxy, name: str, group: dict) -> dict:
        return {"DBProxyName": proxy.name, "TargetGroupName": name, "TargetGroupArn": group["arn"], "IsDefault": name == "default",
                "Status": "available", "ConnectionPoolConfig": group["pool"], "CreatedDate": clock.from_epoch(group["created_at"]),
                "UpdatedDate": clock.from_epoch(group["updated_at"])}

    def describe_db_proxy_target_groups(self, ctx, params: dict) -> dict:
        proxy = self._proxy(ctx, params["DBProxyName"])
        names = [params["TargetGroupName"]] if params.get("TargetGroupName") else list(proxy.target_groups)
        rows = [self.describe_group(proxy, name, self._group(proxy, name)) for name in names]
        return check.paged(self.paginator, "TargetGroups", rows, params)

    def modify_db_proxy_target_group(self, ctx, params: dict) -> dict:
        proxy = self._proxy(ctx, params["DBProxyName"])
        group = self._group(proxy, params["TargetGroupName"])
        if params.get("NewName") and params["NewName"] != params["TargetGroupName"]:
            raise invalid("The default target group of a DB proxy cannot be renamed.")
        pool = dict(group["pool"])
        given = params.get("ConnectionPoolConfig") or {}
        if given.get("MaxConnectionsPercent") is not None and not 1 <= given["MaxConnectionsPercent"] <= 100:
            raise invalid(f"Invalid MaxConnectionsPercent: {given['MaxConnectionsPercent']}. Valid values are 1-100.")
        if given.get("MaxIdleConnectionsPercent") is not None and \
                not 0 <= given["MaxIdleConnectionsPercent"] <= given.get("MaxConnectionsPercent", pool["MaxConnectionsPercent"]):
            raise invalid("MaxIdleConnectionsPercent must be between 0 and MaxConnectionsPercent.")
        if given.get("ConnectionBorrowTimeout") is not None and not 0 <= given["ConnectionBorrowTimeout"] <= 3600:
            raise invalid(f"Invalid ConnectionBorrowTimeout: {given['ConnectionBorrowTimeout']}. Valid values are 0-3600.")
        for key in ("MaxConnectionsPercent", "MaxIdleConnectionsPercent", "ConnectionBorrowTimeout", "SessionPinningFilters",
                    "InitQuery"):
            if given.get(key) is not None:
                pool[key] = given[key]
        group["pool"], group["updated_at"] = pool, clock.epoch()
        self.state.proxies.put(ctx.scope, proxy.name, proxy)
        return {"DBProxyTargetGroup": self.describe_group(proxy, params["TargetGroupName"], group)}

    def register_db_proxy_targets(self, ctx, params: dict) -> dict:
        proxy = self._proxy(ctx, params["DBProxyName"])
        group = self._group(proxy, params.get("TargetGroupName"))
        if params.get("DBClusterIdentifiers"):
            raise ServiceError("DBClusterNotFoundFault", f"DBCluster {params['DBClusterIdentifiers'][0]} not found.", 404)
        identifiers = [i.lower() for i in params.get("DBInstanceIdentifiers") or []]
        if not identifiers:
            raise invalid("One of DBInstanceIdentifiers or DBClusterIdentifiers must be specified.")
        for identifier in identifiers:
            instance = self.state.instances.get(ctx.scope, identifier)
            if instance is None:
                raise check.instance_not_found(identifier)
            if instance.replica_source:
                raise invalid(f"DB instance {identifier} is a read replica: a proxy's target is a primary instance.")
            if identifier in group["targets"]:
                raise ServiceError("DBProxyTargetAlreadyRegisteredFault", f"DB instance {identifier} is already registered "
                                   f"with DBProxy {proxy.name}.")
        if len(set(group["targets"]) | set(identifiers)) > 1:
            raise invalid("A DB proxy target group for RDS DB instances can have only one DB instance target.")
        group["targets"] = group["targets"] + identifiers
        self.state.proxies.put(ctx.scope, proxy.name, proxy)
        return {"DBProxyTargets": [self._target_row(ctx.scope, proxy, i, "REGISTERING") for i in identifiers]}

    def deregister_db_proxy_targets(self, ctx, params: dict) -> dict:
        proxy = self._proxy(ctx, params["DBProxyName"])
        group = self._group(proxy, params.get("TargetGroupName"))
        for identifier in [i.lower() for i in params.get("DBInstanceIdentifiers") or []]:
            if identifier not in group["targets"]:
                raise ServiceError("DBProxyTargetNotFoundFault", f"DB instance {identifier} is not a target of DBProxy "
                                   f"{proxy.name}.", 404)
            group["targets"].remove(identifier)
        self.state.proxies.put(ctx.scope, proxy.name, proxy)
        return {}

    def _target_row(self, scope: Scope, proxy: DBProxy, identifier: str, state: str, reason: str | None = None,
                    description: str | None = None) -> dict:
        instance = self.state.instances.get(scope, identifier)
        health: dict = {"State": state}
        if reason:
            health["Reason"] = reason
        if description:
            health["Description"] = description
        return {"TargetArn": instance.arn if instance else "", "Endpoint": instance.endpoint_address if instance else "",
                "RdsResourceId": identifier, "Port": instance.port if instance else PORT, "Type": "RDS_INSTANCE",
                "Role": "READ_WRITE", "TargetHealth": health}

    async def describe_db_proxy_targets(self, ctx, params: dict) -> dict:
        proxy = self._proxy(ctx, params["DBProxyName"])
        group = self._group(proxy, params.get("TargetGroupName"))
        rows = []
        for identifier in list(group["targets"]):
            instance = self.state.instances.get(ctx.scope, identifier)
            if instance is None:  # a deleted instance leaves its proxies' target groups
                group["targets"].remove(identifier)
                self.state.proxies.put(ctx.scope, proxy.name, proxy)
                continue
            if instance.status != "available":
                rows.append(self._target_row(ctx.scope, proxy, identifier, "UNAVAILABLE", "CONNECTION_FAILED",
                                             f"DB instance {identifier} is {instance.status}"))
            elif await self._reachable(instance.endpoint_address, instance.port):
                rows.append(self._target_row(ctx.scope, proxy, identifier, "AVAILABLE"))
            else:
                rows.append(self._target_row(ctx.scope, proxy, identifier, "UNAVAILABLE", "UNREACHABLE",
                                             "The proxy could not reach the DB instance's endpoint"))
        return check.paged(self.paginator, "Targets", rows, params)

    @staticmethod
    async def _reachable(address: str, port: int) -> bool:
        try:
            _, writer = await asyncio.wait_for(asyncio.open_connection(address, port), timeout=2)
        except (OSError, asyncio.TimeoutError):
            return False
        writer.close()
        return True

    # -- additional endpoints ---------------------------------------------------------------------------------
    def _endpoint(self, ctx, name: str) -> DBProxyEndpoint:
        endpoint = self.state.proxy_endpoints.get(ctx.scope, name.lower())
        if endpoint is None:
            raise endpoint_not_found(name)
        return endpoint

    def create_db_proxy_endpoint(self, ctx, params: dict) -> dict:
        proxy = self._proxy(ctx, params["DBProxyName"])
        name = self._name(params["DBProxyEndpointName"], "DBProxyEndpointName")
        if proxy.status != "available":
            raise ServiceError("InvalidDBProxyStateFault", f"DBProxy {proxy.name} is not in available state.")
        role = params.get("TargetRole") or "READ_WRITE"
        if role == "READ_ONLY":
            raise check.combination("READ_ONLY proxy endpoints are supported only for proxies of Aurora DB clusters.")
        vpc_id, subnets, zones = self._subnets(ctx.scope, params["VpcSubnetIds"])
        if (ctx.scope, name) in self.state.proxy_endpoints or (ctx.scope, name) in self.state.proxies:
            raise ServiceError("DBProxyEndpointAlreadyExistsFault", f"DBProxyEndpoint {name} already exists.")
        if len([e for e in self.state.proxy_endpoints.values(ctx.scope) if e.proxy == proxy.name]) >= MAX_ENDPOINTS:
            raise ServiceError("DBProxyEndpointQuotaExceededFault", f"A DB proxy can have at most {MAX_ENDPOINTS} endpoints.")
        address, port = self.listeners.addresses.allocate(PORT)
        endpoint = DBProxyEndpoint(name=name, arn=ctx.arn("rds", f"db-proxy-endpoint:prx-endpoint-{hex_id()}"), proxy=proxy.name,
                                   vpc_id=vpc_id, subnets=subnets, zone=zones[0], address=address, port=port,
                                   created_at=clock.epoch(), target_role=role,
                                   security_groups=params.get("VpcSecurityGroupIds") or proxy.security_groups,
                                   tags=params.get("Tags") or [])
        self.state.proxy_endpoints.put(ctx.scope, name, endpoint)
        self.tasks.spawn(self._open_endpoint(ctx.scope, name), owner="rds", what=f"creating proxy endpoint {name}")
        return {"DBProxyEndpoint": self.describe_endpoint(endpoint)}

    async def _open_endpoint(self, scope: Scope, name: str) -> None:
        endpoint = self.state.proxy_endpoints.get(scope, name)
        await self._listen(scope, endpoint.arn, endpoint.proxy, endpoint.zone, endpoint.address, endpoint.port)
        endpoint = self.state.proxy_endpoints.get(scope, name)
        if endpoint is not None and endpoint.status == "creating":
            endpoint.status = "available"
            self.state.proxy_endpoints.put(scope, name, endpoint)

    def describe_db_proxy_endpoints(self, ctx, params: dict) -> dict:
        rows = []
        if params.get("DBProxyEndpointName"):
            endpoints = [self._endpoint(ctx, params["DBProxyEndpointName"])]
        else:
            endpoints = self.state.proxy_endpoints.values(ctx.scope)
        if params.get("DBProxyName"):
            proxy = self._proxy(ctx, params["DBProxyName"])
            endpoints = [e for e in endpoints if e.proxy == proxy.name]
            if not params.get("DBProxyEndpointName"):  # the proxy's own endpoint is listed first, as its default
                rows.append({"DBProxyEndpointName": "default", "DBProxyEndpointArn": proxy.arn, "DBProxyName": proxy.name,
                             "Status": proxy.status, "VpcId": proxy.vpc_id, "VpcSecurityGroupIds": proxy.security_groups,
                             "VpcSubnetIds": proxy.subnets, "Endpoint": proxy.address,
                             "CreatedDate": clock.from_epoch(proxy.created_at), "TargetRole": "READ_WRITE", "IsDefault": True,
                             "EndpointNetworkType": "IPV4"})
        rows += [self.describe_endpoint(e) for e in endpoints]
        return check.paged(self.paginator, "DBProxyEndpoints", rows, params)

    def modify_db_proxy_endpoint(self, ctx, params: dict) -> dict:
        endpoint = self._endpoint(ctx, params["DBProxyEndpointName"])
        if params.get("NewDBProxyEndpointName"):
            new = self._name(params["NewDBProxyEndpointName"], "NewDBProxyEndpointName")
            if new != endpoint.name and (ctx.scope, new) in self.state.proxy_endpoints:
                raise ServiceError("DBProxyEndpointAlreadyExistsFault", f"DBProxyEndpoint {new} already exists.")
            with self.state.store.transaction():
                self.state.proxy_endpoints.delete(ctx.scope, endpoint.name)
                endpoint.name = new
                self.state.proxy_endpoints.put(ctx.scope, new, endpoint)
        if params.get("VpcSecurityGroupIds") is not None:
            endpoint.security_groups = params["VpcSecurityGroupIds"]
            self.state.proxy_endpoints.put(ctx.scope, endpoint.name, endpoint)
        return {"DBProxyEndpoint": self.describe_endpoint(endpoint)}

    def delete_db_proxy_endpoint(self, ctx, params: dict) -> dict:
        endpoint = self._endpoint(ctx, params["DBProxyEndpointName"])
        self.state.proxy_endpoints.delete(ctx.scope, endpoint.name)
        self.tasks.spawn(self._unlisten(endpoint.arn), owner="rds", what=f"deleting proxy endpoint {endpoint.name}")
        endpoint.status = "deleting"
        return {"DBProxyEndpoint": self.describe_endpoint(endpoint)}
