"""Encoded authorization failure messages: what EC2 puts in its UnauthorizedOperation errors
(the gateway asks for one through ``StsApi``) and DecodeAuthorizationMessage reads back.

The message is the JSON AWS decodes to (allowed, explicitDeny, matchedStatements, failures,
context: principal, action, resource, conditions), encrypted and authenticated with a key kept
in the store, so it is as opaque as AWS's and decodes after a restart. Only the account the
failure happened in may decode it.
"""

from __future__ import annotations

import json

from cryptography.fernet import Fernet, InvalidToken

from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError
from regionbox.core.store import Store

KEY_NAME = "sts.authorization-message-key"


def _invalid() -> ServiceError:
    return ServiceError("InvalidAuthorizationMessageException", "Message is invalid or has been tampered with.")


class AuthorizationMessages:
    def __init__(self, store: Store) -> None:
        key = store.get_meta(KEY_NAME)
        if key is None:
            key = Fernet.generate_key()
            store.set_meta(KEY_NAME, key)
        self.fernet = Fernet(key)

    def encode(self, ctx: RequestContext, action: str, resource: str, reason: str) -> str:
        caller = ctx.caller
        explicit = reason.startswith("with an explicit deny")
        decoded = {
            "allowed": False,
            "explicitDeny": explicit,
            "matchedStatements": {"items": []},
            "failures": {"items": []},
            "context": {
                "principal": {"id": caller.user_id, "name": caller.arn.rsplit("/", 1)[-1], "arn": caller.arn},
                "action": action,
                "resource": resource,
                "conditions": {"items": [
                    {"key": key, "values": {"items": [{"value": value}]}}
                    for key, value in (("aws:Region", ctx.region), ("aws:Account", ctx.account_id),
                                       ("aws:Service", action.split(":", 1)[0]), ("aws:Resource", resource),
                                       ("aws:Type", "Resource"))]},
            },
        }
        return self.fernet.encrypt(json.dumps(decoded, separators=(",", ":")).encode()).decode()

    def decode_authorization_message(self, ctx: RequestContext, params: dict) -> dict:
        try:
            decoded = json.loads(self.fernet.decrypt(params["EncodedMessage"].strip().encode()))
        except (InvalidToken, ValueError):
            raise _invalid() from None
        account = next((c["values"]["items"][0]["value"] for c in decoded["context"]["conditions"]["items"]
                        if c["key"] == "aws:Account"), None)
        if account != ctx.account_id:
            raise _invalid()
        return {"DecodedMessage": json.dumps(decoded, separators=(",", ":"))}
