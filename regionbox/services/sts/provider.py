"""STS: GetCallerIdentity, AssumeRole, GetSessionToken, GetAccessKeyInfo.

Credentials minted here are registered in ``cloud.credentials``: requests signed with them run
as the assumed role in the role's account until they expire (then ``ExpiredToken``).

One deliberate difference from AWS: AWS refuses AssumeRole from an account's root user. Here
root is what every plain access key is (DESIGN: the account comes from the key), so root may
assume a role whenever the role's trust policy allows its account.
"""

from __future__ import annotations

import json
import time
from typing import ClassVar

from regionbox.core import clock, ids
from regionbox.core.arns import Arn
from regionbox.core.context import Caller, RequestContext
from regionbox.core.credentials import IssuedCredentials
from regionbox.core.errors import ServiceError
from regionbox.services.base import Provider
from regionbox.services.iam import policy
from regionbox.services.iam.models import Role

ROLE_CHAINING_MAX = 3600
SESSION_POLICY_MAX = 2048  # packed session policy budget: PackedPolicySize is a percentage of it


def validation_error(message: str) -> ServiceError:
    return ServiceError("ValidationError", message, status=400)


def access_denied(message: str) -> ServiceError:
    return ServiceError("AccessDenied", message, status=403)


class StsProvider(Provider):
    service: ClassVar[str] = "sts"

    def get_caller_identity(self, ctx: RequestContext, params: dict) -> dict:
        caller = ctx.caller
        return {"UserId": caller.user_id, "Account": caller.account_id, "Arn": caller.arn}

    def get_access_key_info(self, ctx: RequestContext, params: dict) -> dict:
        return {"Account": self.cloud.credentials.account_of(params["AccessKeyId"])}

    def assume_role(self, ctx: RequestContext, params: dict) -> dict:
        role_arn, session_name = params["RoleArn"], params["RoleSessionName"]
        caller = ctx.caller
        try:
            Arn.parse(role_arn)
        except ValueError:
            raise validation_error(f"{role_arn} is invalid") from None
        duration = params.get("DurationSeconds") or 3600
        role = self.cloud.services.api("iam").role_by_arn(role_arn)
        if role is None:
            # AWS does not say whether the role exists: a missing role is just "not authorized".
            raise self._denied(caller, "sts:AssumeRole", role_arn)
        trust = policy.parse(role.assume_role_policy_document, trust=True)
        # Session tags and a source identity need their own permissions in the trust policy.
        actions = ["sts:AssumeRole"]
        if params.get("Tags") or params.get("TransitiveTagKeys"):
            actions.append("sts:TagSession")
        if params.get("SourceIdentity"):
            actions.append("sts:SetSourceIdentity")
        for action in actions:
            if not policy.allows(trust, self._trust_request(ctx, params, action)):
                raise self._denied(caller, action, role_arn)
        if caller.type == "AssumedRole" and duration > ROLE_CHAINING_MAX:
            raise validation_error("The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
        if duration > role.max_session_duration:
            raise validation_error("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
        result: dict = {}
        if params.get("Policy"):
            policy.parse(params["Policy"], trust=False)
            packed = _packed_size(params["Policy"])
            if packed > 100:
                raise ServiceError("PackedPolicyTooLarge", f"Packed policy consumes {packed}% of allotted space, please use smaller policy for session.")
            result["PackedPolicySize"] = packed
        account = Arn.parse(role.arn).account
        session_arn = f"arn:aws:sts::{account}:assumed-role/{role.name}/{session_name}"
        assumed = Caller(account_id=account, arn=session_arn, user_id=f"{role.role_id}:{session_name}",
                         type="AssumedRole", role_arn=role.arn, session_name=session_name)
        result["Credentials"] = self._mint(assumed, duration, "ASIA")
        result["AssumedRoleUser"] = {"AssumedRoleId": assumed.user_id, "Arn": session_arn}
        if params.get("SourceIdentity"):
            result["SourceIdentity"] = params["SourceIdentity"]
        self._mark_used(role, ctx.region)
        ctx.touched("AWS::IAM::AccessKey", result["Credentials"]["AccessKeyId"])
        ctx.touched("AWS::IAM::Role", role.arn)
        if account != caller.account_id:
            # A cross-account AssumeRole is in both accounts' trails, as on AWS: the gateway records
            # it for the caller, this records it for the role's owner.
            self.cloud.audit.record(ctx, "sts.amazonaws.com", params, response=result, recipient_account=account)
        return result

    def get_session_token(self, ctx: RequestContext, params: dict) -> dict:
        caller = ctx.caller
        if caller.type == "AssumedRole":
            raise access_denied("Cannot call GetSessionToken with session credentials")
        duration = params.get("DurationSeconds") or 43200
        if caller.type == "Root":
            # Root sessions are capped at one hour (AWS shortens, it does not refuse).
            duration = min(duration, 3600)
        return {"Credentials": self._mint(caller, duration, "ASIA")}

    # -- helpers ------------------------------------------------------------------------------
    @staticmethod
    def _denied(caller: Caller, action: str, role_arn: str) -> ServiceError:
        return access_denied(f"User: {caller.arn} is not authorized to perform: {action} on resource: {role_arn}")

    def _trust_request(self, ctx: RequestContext, params: dict, action: str) -> policy.Request:
        caller = ctx.caller
        principal_arn = caller.role_arn or caller.arn
        context = {
            "aws:PrincipalAccount": caller.account_id,
            "aws:PrincipalArn": principal_arn,
            "aws:PrincipalType": caller.type,
            "aws:userid": caller.user_id,
            "aws:RequestedRegion": ctx.region,
            "aws:SourceIp": ctx.source_ip,
            "aws:SecureTransport": False,
            "aws:CurrentTime": clock.iso(clock.now()),
            "sts:RoleSessionName": params["RoleSessionName"],
        }
        if params.get("ExternalId"):
            context["sts:ExternalId"] = params["ExternalId"]
        if params.get("SourceIdentity"):
            context["aws:SourceIdentity"] = params["SourceIdentity"]
        for tag in params.get("Tags") or []:
            context[f"aws:RequestTag/{tag['Key']}"] = tag["Value"]
        aliases = [caller.role_arn] if caller.role_arn else []
        return policy.Request(account_id=caller.account_id, principal_arn=caller.arn, action=action,
                              aliases=aliases, context=context)

    def _mint(self, caller: Caller, duration: int, prefix: str) -> dict:
        expiration = int(time.time()) + duration
        credentials = IssuedCredentials(
            access_key_id=ids.access_key_id(prefix),
            secret_access_key=ids.secret_access_key(),
            session_token=ids.token(356),
            expiration=expiration,
            caller={"account_id": caller.account_id, "arn": caller.arn, "user_id": caller.user_id,
                    "type": caller.type, "role_arn": caller.role_arn, "session_name": caller.session_name},
        )
        self.cloud.credentials.register(credentials)
        return {"AccessKeyId": credentials.access_key_id, "SecretAccessKey": credentials.secret_access_key,
                "SessionToken": credentials.session_token, "Expiration": clock.from_epoch(expiration)}

    def _mark_used(self, role: Role, region: str) -> None:
        role.last_used, role.last_used_region = clock.epoch(), region
        iam = self.cloud.services.api("iam")
        iam.roles.put((Arn.parse(role.arn).account, ""), role.name.lower(), role)


def _packed_size(document: str) -> int:
    """Percentage of the packed-policy budget a session policy uses (compact JSON length)."""
    compact = json.dumps(json.loads(document), separators=(",", ":"))
    return max(1, -(-len(compact) * 100 // SESSION_POLICY_MAX))
