"""Servers: CreateServer with AWS's rules, Describe/List/Update/Delete, Start/Stop with their
states. A server's endpoints (endpoints.py) listen while it is ONLINE.

AS2 is accepted as a protocol so that a server can hold AS2 agreements (agreements.py), but
regionbox does not exchange AS2 messages: nothing listens for AS2 (S/MIME signature checks need
CMS verification, which the cryptography package does not offer).

States as AWS shows them: a new server is STARTING until its endpoints listen, then ONLINE;
StopServer makes it STOPPING, then OFFLINE; StartServer STARTING again. A failure to listen is
START_FAILED (and StartServer may be tried again).
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from regionbox.core import clock
from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError, invalid
from regionbox.core.pagination import PageRule, Paginator
from regionbox.services.transfer import host_keys
from regionbox.services.transfer.models import Server
from regionbox.services.transfer.security_policies import DEFAULT as DEFAULT_POLICY, POLICIES
from regionbox.services.transfer.state import TransferState, bad_request

if TYPE_CHECKING:
    from regionbox.core.tasks import Tasks
    from regionbox.services.transfer.endpoints import Endpoints

RULE = PageRule(out_of_range=lambda n: invalid(f"MaxResults {n} is out of range [1, 1000]"), default=1000, maximum=1000)
CUSTOM_PROVIDERS = ("AWS_DIRECTORY_SERVICE", "AWS_LAMBDA", "API_GATEWAY")
# AWS's passive port range for FTP and FTPS data connections.
DEFAULT_PROTOCOL_DETAILS = {"PassiveIp": "AUTO", "TlsSessionResumptionMode": "ENFORCED", "SetStatOption": "DEFAULT"}


class ServerRules:
    """CreateServer's and UpdateServer's checks, over the server as it would be after the call.

    Protocols: FTP or FTPS only with a VPC endpoint and a custom identity provider; FTPS needs a
    certificate, and a certificate is only for FTPS (or AS2); SERVICE_MANAGED serves SFTP only.
    The identity provider's details must name what its type needs (a function for AWS_LAMBDA,
    a URL and invocation role for API_GATEWAY, a directory for AWS_DIRECTORY_SERVICE)."""

    def __init__(self, ec2) -> None:
        self.ec2 = ec2  # () -> Ec2Api, for the subnets of a VPC endpoint

    def check(self, ctx: RequestContext, server: Server) -> None:
        protocols = server.protocols
        if not protocols:
            raise bad_request("At least one protocol must be specified")
        if len(set(protocols)) != len(protocols):
            raise bad_request("Protocols must not repeat")
        if "AS2" in protocols and server.endpoint_type != "VPC":
            raise bad_request("AS2 protocol is only supported with the VPC endpoint type")
        if "AS2" in protocols and server.domain != "S3":
            raise bad_request("AS2 protocol is only supported with the S3 domain")
        if server.domain == "EFS":
            raise ServiceError("NotImplemented", "EFS-backed servers need Amazon EFS, which regionbox does not serve",
                               status=501, sender_fault=False)
        ftp_like = {"FTP", "FTPS"} & set(protocols)
        if ftp_like and server.endpoint_type != "VPC":
            raise bad_request("FTP and FTPS protocols are only supported with the VPC endpoint type")
        if ftp_like and server.identity_provider_type not in CUSTOM_PROVIDERS:
            raise bad_request("FTP and FTPS protocols require AWS_DIRECTORY_SERVICE, AWS_LAMBDA or API_GATEWAY as the "
                              "identity provider type")
        if "FTPS" in protocols and not server.certificate:
            raise bad_request("A certificate is required for FTPS")
        if server.certificate and "FTPS" not in protocols:
            raise bad_request("A certificate can only be associated with a server that has FTPS enabled")
        if "FTP" in protocols and (server.endpoint_details or {}).get("AddressAllocationIds"):
            raise bad_request("Address allocations (Elastic IPs) cannot be associated with a server that has FTP enabled")
        if server.certificate and not (server.certificate.startswith("arn:") and ":acm:" in server.certificate):
            raise bad_request(f"Invalid certificate ARN {server.certificate}")
        self._identity_provider(server)
        for destination in server.structured_log_destinations:
            parts = destination.split(":")
            if len(parts) < 7 or parts[0] != "arn" or parts[2] != "logs" or parts[5] != "log-group":
                raise bad_request(f"Invalid structured log destination {destination}: a CloudWatch Logs log group ARN")
        if server.security_policy not in POLICIES:
            raise bad_request(f"Invalid security policy name {server.security_policy}")
        self._endpoint(ctx, server)

    @staticmethod
    def _identity_provider(server: Server) -> None:
        details, kind = server.identity_provider_details, server.identity_provider_type
        if kind == "AWS_LAMBDA" and not details.get("Function"):
            raise bad_request("Function is required for the AWS_LAMBDA identity provider type")
        if kind == "API_GATEWAY" and not (details.get("Url") and details.get("InvocationRole")):
            raise bad_request("Url and InvocationRole are required for the API_GATEWAY identity provider type")
        if kind == "AWS_DIRECTORY_SERVICE" and not details.get("DirectoryId"):
            raise bad_request("DirectoryId is required for the AWS_DIRECTORY_SERVICE identity provider type")
        if kind == "SERVICE_MANAGED" and (details.get("Function") or details.get("Url") or details.get("DirectoryId")):
            raise bad_request("IdentityProviderDetails of a custom identity provider cannot be given for SERVICE_MANAGED")
        method = details.get("SftpAuthenticationMethods")
        if method and kind not in ("AWS_LAMBDA", "API_GATEWAY"):
            raise bad_request("SftpAuthenticationMethods can only be set for custom identity providers")

    def _endpoint(self, ctx: RequestContext, server: Server) -> None:
        details = server.endpoint_details or {}
        if server.endpoint_type == "PUBLIC":
            if details:
                raise bad_request("EndpointDetails cannot be specified for the PUBLIC endpoint type")
            return
        if server.endpoint_type == "VPC_ENDPOINT":
            if not details.get("VpcEndpointId"):
                raise bad_request("VpcEndpointId is required for the VPC_ENDPOINT endpoint type")
            return
        if not details.get("VpcId") or not details.get("SubnetIds"):
            raise bad_request("VpcId and SubnetIds are required for the VPC endpoint type")
        ec2 = self.ec2()
        for subnet_id in details["SubnetIds"]:
            subnet = ec2.subnet(ctx.account_id, ctx.region, subnet_id)
            if subnet is None:
                raise bad_request(f"The subnet ID '{subnet_id}' does not exist")
            if subnet.vpc_id != details["VpcId"]:
                raise bad_request(f"Subnet {subnet_id} does not belong to VPC {details['VpcId']}")
        for group_id in details.get("SecurityGroupIds") or []:
            if ec2.security_group(ctx.account_id, ctx.region, group_id) is None:
                raise bad_request(f"The security group '{group_id}' does not exist")

    def zones(self, scope, server: Server, topology) -> list[str]:
        """The AZs the server's endpoints are in: its subnets' for a VPC endpoint, else every AZ
        of the region (a public endpoint is AWS's, spread over the region)."""
        details = server.endpoint_details or {}
        if server.endpoint_type == "VPC" and details.get("SubnetIds"):
            ec2 = self.ec2()
            found = [ec2.subnet(scope[0], scope[1], s) for s in details["SubnetIds"]]
            return list(dict.fromkeys(s.availability_zone for s in found if s is not None))
        return [zone.name for zone in topology.zones(scope[1])]


class Servers:
    def __init__(self, state: TransferState, paginator: Paginator, rules: ServerRules, endpoints: "Endpoints",
                 tasks: "Tasks", topology) -> None:
        self.state = state
        self.paginator = paginator
        self.rules = rules
        self.endpoints = endpoints
        self.tasks = tasks
        self.topology = topology

    # -- create ----------------------------------------------------------------------------------
    async def create_server(self, ctx: RequestContext, params: dict) -> dict:
        if params.get("IdentityProviderDetails") and not params.get("IdentityProviderType"):
            raise bad_request("Must specify IdentityProviderType with IdentityProviderDetails")
        if params.get("HostKeyStorageType") == "SECRETS_MANAGER":
            raise bad_request("Host keys stored in AWS Secrets Manager need Secrets Manager, which regionbox does not serve")
        server_id = f"s-{secrets.token_hex(9)[:17]}"
        server = Server(
            server_id=server_id, arn=ctx.arn("transfer", f"server/{server_id}"), created=clock.epoch(),
            protocols=list(params.get("Protocols") or ["SFTP"]),
            identity_provider_type=params.get("IdentityProviderType") or "SERVICE_MANAGED",
            identity_provider_details=dict(params.get("IdentityProviderDetails") or {}),
            endpoint_type=params.get("EndpointType") or "PUBLIC", endpoint_details=params.get("EndpointDetails"),
            domain=params.get("Domain") or "S3", security_policy=params.get("SecurityPolicyName") or DEFAULT_POLICY,
            state="STARTING", logging_role=params.get("LoggingRole") or "",
            protocol_details={**DEFAULT_PROTOCOL_DETAILS, **(params.get("ProtocolDetails") or {})},
            certificate=params.get("Certificate") or "", pre_banner=params.get("PreAuthenticationLoginBanner") or "",
            post_banner=params.get("PostAuthenticationLoginBanner") or "", tags=list(params.get("Tags") or []),
            workflow_details=params.get("WorkflowDetails"),
            structured_log_destinations=list(params.get("StructuredLogDestinations") or []),
            s3_storage_options=params.get("S3StorageOptions") or {"DirectoryListingOptimization": "DISABLED"},
            ip_address_type=params.get("IpAddressType") or "IPV4")
        self.rules.check(ctx, server)
        self._check_workflows(ctx, server)
        if params.get("HostKey"):
            server.host_keys.append(host_keys.host_key(params["HostKey"]))
        else:
            server.host_keys.append(await host_keys.generated_key())
        zones = self.rules.zones(ctx.scope, server, self.topology)
        self.state.servers.put(ctx.scope, server_id, server)
        ctx.touched("AWS::Transfer::Server", server_id)
        self._bring_online(ctx.scope, server, zones)
        return {"ServerId": server_id}

    def _check_workflows(self, ctx: RequestContext, server: Server) -> None:
        details = server.workflow_details or {}
        for entry in (details.get("OnUpload") or []) + (details.get("OnPartialUpload") or []):
            self.state.workflow(ctx.scope, entry["WorkflowId"])

    def _bring_online(self, scope, server: Server, zones: list[str] | None = None) -> None:
        self._transition(scope, server.server_id, lambda: self.endpoints.start(scope, server.server_id, zones),
                         "STARTING", "ONLINE", "START_FAILED", "starting")

    def _transition(self, scope, server_id: str, work, during: str, after: str, failed: str, what: str) -> None:
        """Run ``work()`` in the background; the server goes from ``during`` to ``after``, or to
        ``failed`` (AWS's START_FAILED, STOP_FAILED) when the work fails."""

        def mark(state: str) -> None:
            current = self.state.servers.get(scope, server_id)
            if current is not None and (state == failed or current.state == during):
                current.state = state
                self.state.servers.put(scope, server_id, current)

        async def run() -> None:
            await work()
            mark(after)

        self.tasks.spawn(run(), owner="transfer", what=f"{what} Transfer server {server_id}",
                         on_failure=lambda error: mark(failed))

    # -- read ------------------------------------------------------------------------------------
    def described(self, scope, server: Server) -> dict:
        shape = {
            "Arn": server.arn, "ServerId": server.server_id, "Domain": server.domain,
            "EndpointType": server.endpoint_type, "IdentityProviderType": server.identity_provider_type,
            "Protocols": server.protocols, "SecurityPolicyName": server.security_policy, "State": server.state,
            "Tags": server.tags, "UserCount": len(self.state.users_of(scope, server.server_id)),
            "ProtocolDetails": server.protocol_details, "S3StorageOptions": server.s3_storage_options,
            "StructuredLogDestinations": server.structured_log_destinations, "IpAddressType": server.ip_address_type,
            "As2ServiceManagedEgressIpAddresses": [],
        }
        optional = {"Certificate": server.certificate, "LoggingRole": server.logging_role,
                    "PreAuthenticationLoginBanner": server.pre_banner, "PostAuthenticationLoginBanner": server.post_banner,
                    "HostKeyFingerprint": host_keys.fingerprint(server),
                    "IdentityProviderDetails": server.identity_provider_details or None,
                    "WorkflowDetails": server.workflow_details}
        shape.update({k: v for k, v in optional.items() if v})
        if server.endpoint_details:
            # DescribeServer leaves SecurityGroupIds out, as AWS does (they live on the VPC endpoint).
            shape["EndpointDetails"] = {k: v for k, v in server.endpoint_details.items() if k != "SecurityGroupIds"}
        return shape

    def describe_server(self, ctx: RequestContext, params: dict) -> dict:
        return {"Server": self.described(ctx.scope, self.state.server(ctx.scope, params["ServerId"]))}

    def list_servers(self, ctx: RequestContext, params: dict) -> dict:
        page, token = self.paginator.paginate(self.state.servers.values(ctx.scope), params, RULE)
        listed = []
        for server in page:
            item = {"Arn": server.arn, "ServerId": server.server_id, "Domain": server.domain,
                    "IdentityProviderType": server.identity_provider_type, "EndpointType": server.endpoint_type,
                    "State": server.state, "UserCount": len(self.state.users_of(ctx.scope, server.server_id))}
            if server.logging_role:
                item["LoggingRole"] = server.logging_role
            listed.append(item)
        return {"Servers": listed, **({"NextToken": token} if token else {})}

    # -- update ----------------------------------------------------------------------------------
    async def update_server(self, ctx: RequestContext, params: dict) -> dict:
        server = self.state.server(ctx.scope, params["ServerId"])
        if server.state in ("STARTING", "STOPPING"):
            raise ServiceError("ConflictException", f"Server {server.server_id} is {server.state} and cannot be updated now")
        before = (server.protocols, server.endpoint_type, server.endpoint_details)
        simple = {"Protocols": "protocols", "EndpointType": "endpoint_type", "SecurityPolicyName": "security_policy",
                  "IdentityProviderType": "identity_provider_type", "WorkflowDetails": "workflow_details",
                  "IpAddressType": "ip_address_type"}
        for member, attribute in simple.items():
            if member in params:
                setattr(server, attribute, params[member])
        for member, attribute in {"Certificate": "certificate", "LoggingRole": "logging_role",
                                  "PreAuthenticationLoginBanner": "pre_banner",
                                  "PostAuthenticationLoginBanner": "post_banner"}.items():
            if member in params:
                setattr(server, attribute, params[member] or "")
        if "EndpointDetails" in params:
            server.endpoint_details = params["EndpointDetails"]
        if server.endpoint_type == "PUBLIC":
            server.endpoint_details = None
        if "IdentityProviderDetails" in params:
            server.identity_provider_details = {**server.identity_provider_details, **params["IdentityProviderDetails"]}
        if "ProtocolDetails" in params:
            server.protocol_details = {**server.protocol_details, **params["ProtocolDetails"]}
        if "StructuredLogDestinations" in params:
            server.structured_log_destinations = list(params["StructuredLogDestinations"])
        if "S3StorageOptions" in params:
            server.s3_storage_options = {**server.s3_storage_options, **params["S3StorageOptions"]}
        if server.workflow_details is not None and not (server.workflow_details.get("OnUpload")
                                                        or server.workflow_details.get("OnPartialUpload")):
            server.workflow_details = None  # an empty OnUpload list removes the workflows, as on AWS
        self.rules.check(ctx, server)
        self._check_workflows(ctx, server)
        if params.get("HostKey"):
            host_keys.add(server, host_keys.host_key(params["HostKey"]))
        moved = before[1:] != (server.endpoint_type, server.endpoint_details)
        self.state.servers.put(ctx.scope, server.server_id, server)
        if server.state == "ONLINE":
            if moved:  # other subnets, other AZs: the endpoints are placed again
                await self.endpoints.stop(ctx.scope, server.server_id, forget=True)
                await self.endpoints.start(ctx.scope, server.server_id, self.rules.zones(ctx.scope, server, self.topology))
            else:
                await self.endpoints.restart(ctx.scope, server.server_id)
        elif moved:
            await self.endpoints.stop(ctx.scope, server.server_id, forget=True)
        ctx.touched("AWS::Transfer::Server", server.server_id)
        return {"ServerId": server.server_id}

    # -- delete ----------------------------------------------------------------------------------
    async def delete_server(self, ctx: RequestContext, params: dict) -> dict:
        server = self.state.server(ctx.scope, params["ServerId"])
        await self.endpoints.stop(ctx.scope, server.server_id, forget=True)
        with self.state.store.transaction():
            for user in self.state.users_of(ctx.scope, server.server_id):
                self.state.users.delete(ctx.scope, f"{server.server_id}/{user.user_name}")
            for access in self.state.accesses.values(ctx.scope):
                if access.server_id == server.server_id:
                    self.state.accesses.delete(ctx.scope, f"{server.server_id}/{access.external_id}")
            for agreement in self.state.agreements.values(ctx.scope):
                if agreement.server_id == server.server_id:
                    self.state.agreements.delete(ctx.scope, f"{server.server_id}/{agreement.agreement_id}")
            self.state.servers.delete(ctx.scope, server.server_id)
        ctx.touched("AWS::Transfer::Server", server.server_id)
        return {}

    # -- start and stop --------------------------------------------------------------------------
    def start_server(self, ctx: RequestContext, params: dict) -> dict:
        server = self.state.server(ctx.scope, params["ServerId"])
        if server.state in ("ONLINE", "STARTING"):
            return {}
        if server.state == "STOPPING":
            raise bad_request(f"Server {server.server_id} is stopping; start it once it is OFFLINE")
        server.state = "STARTING"
        self.state.servers.put(ctx.scope, server.server_id, server)
        zones = None if server.endpoints else self.rules.zones(ctx.scope, server, self.topology)
        self._bring_online(ctx.scope, server, zones)
        return {}

    def stop_server(self, ctx: RequestContext, params: dict) -> dict:
        server = self.state.server(ctx.scope, params["ServerId"])
        if server.state in ("OFFLINE", "STOPPING"):
            return {}
        if server.state == "STARTING":
            raise bad_request(f"Server {server.server_id} is starting; stop it once it is ONLINE")
        server.state = "STOPPING"
        self.state.servers.put(ctx.scope, server.server_id, server)
        self._transition(ctx.scope, server.server_id, lambda: self.endpoints.stop(ctx.scope, server.server_id),
                         "STOPPING", "OFFLINE", "STOP_FAILED", "stopping")
        return {}

    # -- restart of regionbox --------------------------------------------------------------------
    def restore(self) -> None:
        """After a restart: servers that were ONLINE (or on their way) listen again on their
        recorded addresses; those that were stopping are OFFLINE."""
        for scope, server_id, server in list(self.state.servers.all()):
            if server.state in ("ONLINE", "STARTING"):
                server.state = "STARTING"
                self.state.servers.put(scope, server_id, server)
                self._bring_online(scope, server, None if server.endpoints else
                                   self.rules.zones(scope, server, self.topology))
            elif server.state == "STOPPING":
                server.state = "OFFLINE"
                self.state.servers.put(scope, server_id, server)

