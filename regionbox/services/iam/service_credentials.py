"""Service-specific credentials: a user name and password for CodeCommit's HTTPS Git and
Amazon Keyspaces, an API key for Amazon Bedrock; at most two per user and service."""

from __future__ import annotations

import secrets

from regionbox.core import clock, ids
from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError
from regionbox.services.iam.entities import Entities
from regionbox.services.iam.listing import Listing
from regionbox.services.iam.models import User
from regionbox.services.iam.users import named_or_calling_user

PER_USER_PER_SERVICE = 2
SERVICES = ("codecommit.amazonaws.com", "cassandra.amazonaws.com", "bedrock.amazonaws.com")
BEDROCK = "bedrock.amazonaws.com"


def _password() -> str:
    return secrets.token_urlsafe(33)[:44]


def _metadata(user: User, credential: dict) -> dict:
    shape = {k: v for k, v in credential.items() if k not in ("ServicePassword", "ServiceCredentialSecret")}
    return {"UserName": user.name, **shape}


class ServiceCredentials:
    def __init__(self, users: Entities[User], listing: Listing) -> None:
        self.users = users
        self.listing = listing

    @staticmethod
    def _credential(user: User, credential_id: str) -> dict:
        for found in user.service_credentials:
            if found["ServiceSpecificCredentialId"] == credential_id:
                return found
        raise ServiceError("NoSuchEntity", f"No such credential {credential_id} exists for user {user.name}.", status=404)

    def create_service_specific_credential(self, ctx: RequestContext, params: dict) -> dict:
        user = self.users.named(ctx, params)
        service = params["ServiceName"]
        if service not in SERVICES:
            raise ServiceError("NotSupportedService", "The specified service is not supported.", status=404)
        if sum(1 for c in user.service_credentials if c["ServiceName"] == service) >= PER_USER_PER_SERVICE:
            raise ServiceError("LimitExceeded", "Cannot exceed quota for ServiceSpecificCredentialsPerUserPerService: "
                               f"{PER_USER_PER_SERVICE}", status=409)
        now = clock.epoch()
        credential = {"ServiceSpecificCredentialId": ids.upper_id("ACCA", 17), "ServiceName": service,
                      "Status": "Active", "CreateDate": now}
        if service == BEDROCK:
            # Bedrock API keys: an alias and a secret, expiring after CredentialAgeDays (never when left out).
            credential["ServiceCredentialAlias"] = f"BedrockAPIKey-{ids.lower_alnum(4)}-at-{ctx.account_id}"
            credential["ServiceCredentialSecret"] = _password()
            if params.get("CredentialAgeDays"):
                credential["ExpirationDate"] = now + params["CredentialAgeDays"] * 86400
        else:
            credential["ServiceUserName"] = f"{user.name}-at-{ctx.account_id}"
            credential["ServicePassword"] = _password()
        user.service_credentials.append(credential)
        self.users.save(ctx, user)
        return {"ServiceSpecificCredential": {"UserName": user.name, **credential}}

    def list_service_specific_credentials(self, ctx: RequestContext, params: dict) -> dict:
        users = self.users.all(ctx) if params.get("AllUsers") else [named_or_calling_user(self.users, ctx, params)]
        found = [_metadata(u, c) for u in sorted(users, key=lambda u: u.name.lower()) for c in u.service_credentials
                 if not params.get("ServiceName") or c["ServiceName"] == params["ServiceName"]]
        return self.listing.page("ServiceSpecificCredentials", found, params)

    def reset_service_specific_credential(self, ctx: RequestContext, params: dict) -> dict:
        user = named_or_calling_user(self.users, ctx, params)
        credential = self._credential(user, params["ServiceSpecificCredentialId"])
        secret = "ServiceCredentialSecret" if credential["ServiceName"] == BEDROCK else "ServicePassword"
        credential[secret] = _password()
        self.users.save(ctx, user)
        return {"ServiceSpecificCredential": {"UserName": user.name, **credential}}

    def update_service_specific_credential(self, ctx: RequestContext, params: dict) -> dict:
        user = named_or_calling_user(self.users, ctx, params)
        self._credential(user, params["ServiceSpecificCredentialId"])["Status"] = params["Status"]
        self.users.save(ctx, user)
        return {}

    def delete_service_specific_credential(self, ctx: RequestContext, params: dict) -> dict:
        user = named_or_calling_user(self.users, ctx, params)
        user.service_credentials.remove(self._credential(user, params["ServiceSpecificCredentialId"]))
        self.users.save(ctx, user)
        return {}
