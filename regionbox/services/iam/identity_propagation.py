"""Trusted identity propagation on OIDC and SAML providers: the context provider (which claim or
attribute of the IdP's token gives the subject, and which keys map into trusted context keys)
and the IAM Identity Center instance the provider is associated with.

Both kinds of provider take the same parameters on create and update (with the Remove flags on
update), under the same rules, so they are checked here once. Associating an Identity Center
instance needs IAM Identity Center, which regionbox does not serve: no instance exists, so a
well-formed instance ARN is answered as AWS answers one it cannot find.
"""

from __future__ import annotations

import re

from regionbox.core.errors import ServiceError

# ASCII letters, digits, single spaces and _ . : / = + - @ #, no space at either end.
_KEY = re.compile(r"[A-Za-z0-9_.:/=+\-@#]+( [A-Za-z0-9_.:/=+\-@#]+)*")
_INSTANCE_ARN = re.compile(r"arn:(aws|aws-us-gov|aws-cn|aws-iso|aws-iso-b):sso:::instance/(sso)?ins-[a-zA-Z0-9\-.]{16}")


def _invalid(message: str) -> ServiceError:
    return ServiceError("InvalidInput", message)


def _checked_key(name: str, value: str) -> str:
    if not _KEY.fullmatch(value):
        raise _invalid(f"{name} '{value}' is invalid: a key can contain only ASCII letters, numbers, single spaces "
                       "and the characters _ . : / = + - @ #, and can't start or end with a space.")
    return value


def checked_context_provider(provider: dict) -> dict:
    """The ContextProvider as stored and returned, after AWS's rules on it."""
    result = {"SubjectSourceKey": _checked_key("SubjectSourceKey", provider["SubjectSourceKey"])}
    if "SubjectTypeValue" in provider and "SubjectTypeSourceKey" in provider:
        raise _invalid("SubjectTypeValue and SubjectTypeSourceKey are mutually exclusive: specify one of them, not both.")
    if "SubjectTypeSourceKey" in provider:
        result["SubjectTypeSourceKey"] = _checked_key("SubjectTypeSourceKey", provider["SubjectTypeSourceKey"])
    if "SubjectTypeValue" in provider:
        result["SubjectTypeValue"] = provider["SubjectTypeValue"]
    definitions = []
    targets: set[str] = set()
    for definition in provider.get("KeyDefinitionList") or []:
        source = _checked_key("SourceKey", definition["SourceKey"])
        target = _checked_key("TargetKey", definition["TargetKey"])
        if target in targets:
            raise _invalid(f"TargetKey '{target}' is mapped more than once in KeyDefinitionList.")
        targets.add(target)
        definitions.append({"SourceKey": source, "TargetKey": target})
    result["KeyDefinitionList"] = definitions
    return result


def checked_instance_arn(arn: str) -> None:
    if not _INSTANCE_ARN.fullmatch(arn):
        raise _invalid(f"IdentityCenterInstanceArn '{arn}' is not a valid IAM Identity Center instance ARN.")
    raise ServiceError("NoSuchEntity", f"The IAM Identity Center instance {arn} does not exist.", status=404)


def on_create(params: dict) -> dict | None:
    """The context provider a new provider starts with (an instance can only be associated with
    a provider that has one)."""
    context = checked_context_provider(params["ContextProvider"]) if "ContextProvider" in params else None
    if "IdentityCenterInstanceArn" in params:
        if context is None:
            raise _invalid("An IAM Identity Center instance can be associated only with a provider that has a ContextProvider.")
        checked_instance_arn(params["IdentityCenterInstanceArn"])
    return context


def on_update(params: dict, context: dict | None) -> dict | None:
    """The context provider after an update, with AWS's rules: a value and its Remove flag never
    together, and one of the two configurations per request. (No instance is ever associated
    here, so removing the association has nothing to undo, and the context provider can always
    be removed.)"""
    sets_context, removes_context = "ContextProvider" in params, bool(params.get("RemoveContextProvider"))
    sets_instance, removes_instance = "IdentityCenterInstanceArn" in params, bool(params.get("RemoveIdentityCenterInstance"))
    if sets_context and removes_context:
        raise _invalid("ContextProvider and RemoveContextProvider are mutually exclusive: specify one of them, not both.")
    if sets_instance and removes_instance:
        raise _invalid("IdentityCenterInstanceArn and RemoveIdentityCenterInstance are mutually exclusive: "
                       "specify one of them, not both.")
    if (sets_context or removes_context) and (sets_instance or removes_instance):
        raise _invalid("A request can change either the context provider or the IAM Identity Center association, not both: "
                       "make separate requests.")
    if sets_context:
        return checked_context_provider(params["ContextProvider"])
    if removes_context:
        return None
    if sets_instance:
        if context is None:
            raise _invalid("An IAM Identity Center instance can be associated only with a provider that has a ContextProvider.")
        checked_instance_arn(params["IdentityCenterInstanceArn"])
    return context


def described(context: dict | None) -> dict:
    """The Get* output member for a provider's context provider (absent when not configured)."""
    return {"ContextProvider": context} if context is not None else {}
