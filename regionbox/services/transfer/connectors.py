"""SFTP connectors: CreateConnector, DescribeConnector, ListConnectors, UpdateConnector,
DeleteConnector and TestConnection, which really connects to the remote server (remote_sftp.py)
and reports the host key it presented. What a connector does with files is connector_runs.py.

AS2 connectors (As2Config) need AS2 message exchange, which regionbox does not serve: asking for
one answers 501.
"""

from __future__ import annotations

import secrets

from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError, invalid
from regionbox.core.pagination import PageRule, Paginator
from regionbox.services.transfer.models import Connector
from regionbox.services.transfer.remote_sftp import Remote, RemoteError, host_and_port, openssh_line, public_key
from regionbox.services.transfer.state import TransferState, bad_request

RULE = PageRule(out_of_range=lambda n: invalid(f"MaxResults {n} is out of range [1, 1000]"), default=1000, maximum=1000)
POLICIES = ("TransferSFTPConnectorSecurityPolicy-2023-07", "TransferSFTPConnectorSecurityPolicy-2024-03",
            "TransferSFTPConnectorSecurityPolicy-FIPS-2024-10")
DEFAULT_POLICY = "TransferSFTPConnectorSecurityPolicy-2024-03"


def as2_not_served() -> ServiceError:
    return ServiceError("NotImplemented", "AS2 connectors need AS2 message exchange, which regionbox does not serve",
                        status=501, sender_fault=False)


class Connectors:
    def __init__(self, state: TransferState, paginator: Paginator, remote: Remote) -> None:
        self.state = state
        self.paginator = paginator
        self.remote = remote

    @staticmethod
    def _check(connector: Connector) -> None:
        try:
            host_and_port(connector.url)
        except ValueError:
            raise bad_request(f"Invalid URL {connector.url}: an SFTP connector's URL is sftp://host[:port]") from None
        for line in connector.sftp_config.get("TrustedHostKeys") or []:
            try:
                public_key(line)
            except ValueError:
                raise bad_request(f"Invalid trusted host key: {line[:100]}") from None
        if connector.security_policy not in POLICIES:
            raise bad_request(f"Invalid security policy name {connector.security_policy}")
        if (connector.sftp_config.get("MaxConcurrentConnections") or 1) > 5:
            raise bad_request("MaxConcurrentConnections must be between 1 and 5")

    def create_connector(self, ctx: RequestContext, params: dict) -> dict:
        if params.get("As2Config"):
            raise as2_not_served()
        if not params.get("SftpConfig"):
            raise bad_request("SftpConfig is required for an SFTP connector")
        if not params.get("Url"):
            raise bad_request("Url is required")
        if params.get("EgressConfig"):
            raise bad_request("VPC_LATTICE egress needs VPC Lattice, which regionbox does not serve")
        connector_id = f"c-{secrets.token_hex(9)[:17]}"
        connector = Connector(connector_id=connector_id, arn=ctx.arn("transfer", f"connector/{connector_id}"),
                              url=params["Url"], access_role=params["AccessRole"], sftp_config=dict(params["SftpConfig"]),
                              logging_role=params.get("LoggingRole") or "",
                              security_policy=params.get("SecurityPolicyName") or DEFAULT_POLICY,
                              tags=list(params.get("Tags") or []))
        self._check(connector)
        self.state.connectors.put(ctx.scope, connector_id, connector)
        ctx.touched("AWS::Transfer::Connector", connector_id)
        return {"ConnectorId": connector_id}

    def describe_connector(self, ctx: RequestContext, params: dict) -> dict:
        connector = self.state.connector(ctx.scope, params["ConnectorId"])
        shown = {"Arn": connector.arn, "ConnectorId": connector.connector_id, "Url": connector.url,
                 "AccessRole": connector.access_role, "SftpConfig": connector.sftp_config, "Tags": connector.tags,
                 "SecurityPolicyName": connector.security_policy, "EgressType": "SERVICE_MANAGED", "Status": "ACTIVE",
                 "ServiceManagedEgressIpAddresses": ["127.0.0.1"], "IpAddressType": "IPV4"}
        if connector.logging_role:
            shown["LoggingRole"] = connector.logging_role
        return {"Connector": shown}

    def list_connectors(self, ctx: RequestContext, params: dict) -> dict:
        page, token = self.paginator.paginate(self.state.connectors.values(ctx.scope), params, RULE)
        return {"Connectors": [{"Arn": c.arn, "ConnectorId": c.connector_id, "Url": c.url} for c in page],
                **({"NextToken": token} if token else {})}

    def update_connector(self, ctx: RequestContext, params: dict) -> dict:
        connector = self.state.connector(ctx.scope, params["ConnectorId"])
        if params.get("As2Config"):
            raise as2_not_served()
        if params.get("EgressConfig"):
            raise bad_request("VPC_LATTICE egress needs VPC Lattice, which regionbox does not serve")
        for member, attribute in (("Url", "url"), ("AccessRole", "access_role"), ("LoggingRole", "logging_role"),
                                  ("SecurityPolicyName", "security_policy")):
            if member in params:
                setattr(connector, attribute, params[member])
        if "SftpConfig" in params:  # the members given replace theirs; the others stay
            connector.sftp_config = {**connector.sftp_config, **params["SftpConfig"]}
        self._check(connector)
        self.state.connectors.put(ctx.scope, connector.connector_id, connector)
        ctx.touched("AWS::Transfer::Connector", connector.connector_id)
        return {"ConnectorId": connector.connector_id}

    def delete_connector(self, ctx: RequestContext, params: dict) -> dict:
        connector = self.state.connector(ctx.scope, params["ConnectorId"])
        with self.state.store.transaction():
            for key, transfer in self.state.file_transfers.items(ctx.scope):
                if transfer.connector_id == connector.connector_id:
                    self.state.file_transfers.delete(ctx.scope, key)
            self.state.connectors.delete(ctx.scope, connector.connector_id)
        ctx.touched("AWS::Transfer::Connector", connector.connector_id)
        return {}

    async def test_connection(self, ctx: RequestContext, params: dict) -> dict:
        """Connect, check the host key, log in: Status OK or ERROR with what went wrong, and the
        key the server presented whenever it was reached (so that it can be trusted)."""
        connector = self.state.connector(ctx.scope, params["ConnectorId"])
        answer = {"ConnectorId": connector.connector_id}
        try:
            presented = await self.remote.host_key(connector)
            answer["SftpConnectionDetails"] = {"HostKey": openssh_line(presented)}
            async with self.remote.sftp(ctx.scope, connector) as client:
                await client.getcwd()
        except RemoteError as failure:
            return {**answer, "Status": "ERROR", "StatusMessage": failure.message}
        return {**answer, "Status": "OK", "StatusMessage": "Connection succeeded"}
