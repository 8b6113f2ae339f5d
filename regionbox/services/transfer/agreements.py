"""AS2 agreements: on a server with the AS2 protocol, which local profile trades with which
partner profile, where received files go (BaseDirectory, or CustomDirectories for payloads,
MDNs, status, failed and temporary files) and the role used to write them (CreateAgreement,
DescribeAgreement, ListAgreements, UpdateAgreement, DeleteAgreement).

Only the configuration: regionbox does not exchange AS2 messages (see servers.py), so an
agreement never receives a file.
"""

from __future__ import annotations

import secrets

from regionbox.core.context import RequestContext
from regionbox.core.errors import invalid
from regionbox.core.pagination import PageRule, Paginator
from regionbox.services.transfer.models import Agreement
from regionbox.services.transfer.state import TransferState, bad_request, exists

RULE = PageRule(out_of_range=lambda n: invalid(f"MaxResults {n} is out of range [1, 1000]"), default=1000, maximum=1000)
KEY = "{}/{}"  # server id / agreement id


class Agreements:
    def __init__(self, state: TransferState, paginator: Paginator) -> None:
        self.state = state
        self.paginator = paginator

    def _check(self, ctx: RequestContext, agreement: Agreement) -> None:
        if self.state.profile(ctx.scope, agreement.local_profile_id).profile_type != "LOCAL":
            raise bad_request(f"Profile {agreement.local_profile_id} is not a LOCAL profile")
        if self.state.profile(ctx.scope, agreement.partner_profile_id).profile_type != "PARTNER":
            raise bad_request(f"Profile {agreement.partner_profile_id} is not a PARTNER profile")
        if bool(agreement.base_directory) == bool(agreement.custom_directories):
            raise bad_request("Specify either BaseDirectory or CustomDirectories")
        for other in self.state.agreements.values(ctx.scope):
            if other.server_id == agreement.server_id and other.agreement_id != agreement.agreement_id and \
                    (other.local_profile_id, other.partner_profile_id) == (agreement.local_profile_id,
                                                                           agreement.partner_profile_id):
                raise exists("An agreement between these profiles already exists on this server", other.agreement_id,
                             "Agreement")

    def _server(self, ctx: RequestContext, server_id: str):
        server = self.state.server(ctx.scope, server_id)
        if "AS2" not in server.protocols:
            raise bad_request(f"Server {server_id} does not have the AS2 protocol enabled")
        return server

    def create_agreement(self, ctx: RequestContext, params: dict) -> dict:
        server = self._server(ctx, params["ServerId"])
        agreement_id = f"a-{secrets.token_hex(9)[:17]}"
        agreement = Agreement(
            agreement_id=agreement_id, arn=ctx.arn("transfer", f"agreement/{server.server_id}/{agreement_id}"),
            server_id=server.server_id, local_profile_id=params["LocalProfileId"],
            partner_profile_id=params["PartnerProfileId"], access_role=params["AccessRole"],
            status=params.get("Status") or "ACTIVE", base_directory=params.get("BaseDirectory") or "",
            custom_directories=params.get("CustomDirectories"), description=params.get("Description") or "",
            preserve_filename=params.get("PreserveFilename") or "DISABLED",
            enforce_message_signing=params.get("EnforceMessageSigning") or "DISABLED", tags=list(params.get("Tags") or []))
        self._check(ctx, agreement)
        self.state.agreements.put(ctx.scope, KEY.format(server.server_id, agreement_id), agreement)
        ctx.touched("AWS::Transfer::Agreement", agreement_id)
        return {"AgreementId": agreement_id}

    def describe_agreement(self, ctx: RequestContext, params: dict) -> dict:
        a = self.state.agreement(ctx.scope, params["ServerId"], params["AgreementId"])
        shown = {"Arn": a.arn, "AgreementId": a.agreement_id, "Status": a.status, "ServerId": a.server_id,
                 "LocalProfileId": a.local_profile_id, "PartnerProfileId": a.partner_profile_id,
                 "AccessRole": a.access_role, "Tags": a.tags, "PreserveFilename": a.preserve_filename,
                 "EnforceMessageSigning": a.enforce_message_signing}
        optional = {"Description": a.description, "BaseDirectory": a.base_directory,
                    "CustomDirectories": a.custom_directories}
        shown.update({k: v for k, v in optional.items() if v})
        return {"Agreement": shown}

    def list_agreements(self, ctx: RequestContext, params: dict) -> dict:
        server = self.state.server(ctx.scope, params["ServerId"])
        mine = [a for a in self.state.agreements.values(ctx.scope) if a.server_id == server.server_id]
        page, token = self.paginator.paginate(mine, params, RULE, query=server.server_id)
        listed = []
        for a in page:
            item = {"Arn": a.arn, "AgreementId": a.agreement_id, "Status": a.status, "ServerId": a.server_id,
                    "LocalProfileId": a.local_profile_id, "PartnerProfileId": a.partner_profile_id}
            if a.description:
                item["Description"] = a.description
            listed.append(item)
        return {"Agreements": listed, **({"NextToken": token} if token else {})}

    def update_agreement(self, ctx: RequestContext, params: dict) -> dict:
        agreement = self.state.agreement(ctx.scope, params["ServerId"], params["AgreementId"])
        for member, attribute in (("Description", "description"), ("Status", "status"),
                                  ("LocalProfileId", "local_profile_id"), ("PartnerProfileId", "partner_profile_id"),
                                  ("AccessRole", "access_role"), ("PreserveFilename", "preserve_filename"),
                                  ("EnforceMessageSigning", "enforce_message_signing")):
            if member in params:
                setattr(agreement, attribute, params[member])
        # One or the other: giving one clears the other, as AWS does.
        if params.get("BaseDirectory"):
            agreement.base_directory, agreement.custom_directories = params["BaseDirectory"], None
        if params.get("CustomDirectories"):
            agreement.base_directory, agreement.custom_directories = "", params["CustomDirectories"]
        self._check(ctx, agreement)
        self.state.agreements.put(ctx.scope, KEY.format(agreement.server_id, agreement.agreement_id), agreement)
        return {"AgreementId": agreement.agreement_id}

    def delete_agreement(self, ctx: RequestContext, params: dict) -> dict:
        agreement = self.state.agreement(ctx.scope, params["ServerId"], params["AgreementId"])
        self.state.agreements.delete(ctx.scope, KEY.format(agreement.server_id, agreement.agreement_id))
        ctx.touched("AWS::Transfer::Agreement", agreement.agreement_id)
        return {}
