"""Data protection: a log group's policy (PutDataProtectionPolicy, GetDataProtectionPolicy,
DeleteDataProtectionPolicy), the account-wide one (PutAccountPolicy with DATA_PROTECTION_POLICY,
account_policies.py), and the masking both apply to what readers see.

A policy document has AWS's shape and is checked as AWS checks it: ``Version`` 2021-06-01,
exactly two statements (the first one's operation ``Audit``, the second ``Deidentify`` with
``MaskConfig``), the same data identifiers in both, identifiers that are AWS managed ones
(``arn:<partition>:dataprotection::aws:data-identifier/EmailAddress``) or custom ones declared
under ``Configuration.CustomDataIdentifier`` (at most 10, each a name and a regex).

Masking replaces each match with as many ``*`` as it had characters, in every read of the
group's events (GetLogEvents, FilterLogEvents, GetLogRecord, GetLogGroupFields, Live Tail, Logs
Insights, exports) unless the request says ``unmask`` (which needs logs:Unmask). Managed identifiers that AWS finds with
machine learning and context (names, addresses) are accepted but match nothing here. Audit
findings are not written: the Audit statement's destinations are stored and returned only.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any, Callable

from regionbox.core.context import RequestContext
from regionbox.core.errors import invalid
from regionbox.core.store import Scope
from regionbox.services.logs.models import GroupPolicy, LogGroup
from regionbox.services.logs.state import LogsState, not_found, now_ms

VERSION = "2021-06-01"
MAX_CUSTOM_IDENTIFIERS = 10
MAX_DOCUMENT_BYTES = 30_720
_MANAGED_PREFIX = re.compile(r"^arn:aws(-cn|-us-gov)?:dataprotection::aws:data-identifier/(.+)$")

# AWS managed data identifiers regionbox knows, with the pattern that finds them (None: AWS finds
# them with machine learning and context, which regionbox does not try).
MANAGED: dict[str, str | None] = {
    "EmailAddress": r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}",
    "IpAddress": r"\b(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)\b",
    "AwsSecretKey": r"(?<![A-Za-z0-9/+=])[A-Za-z0-9/+=]{40}(?![A-Za-z0-9/+=])",
    "CreditCardNumber": r"\b(?:4\d{3}|5[1-5]\d{2}|3[47]\d{2}|6011)[ -]?\d{4}[ -]?\d{4}[ -]?\d{1,4}\b",
    "CreditCardExpiration": r"\b(?:0[1-9]|1[0-2])/(?:\d{2}|\d{4})\b",
    "CreditCardSecurityCode": r"(?i)(?<=cvv[\s:=]{1,3})\d{3,4}\b",
    "Ssn-US": r"\b\d{3}-\d{2}-\d{4}\b",
    "PhoneNumber-US": r"(?<!\d)(?:\+1[ -]?)?\(?\d{3}\)?[ -.]?\d{3}[ -.]?\d{4}(?!\d)",
    "LatLong": r"[-+]?(?:[1-8]?\d(?:\.\d+)?|90(?:\.0+)?),\s*[-+]?(?:180(?:\.0+)?|(?:1[0-7]\d|[1-9]?\d)(?:\.\d+)?)",
    "VehicleIdentificationNumber": r"\b[A-HJ-NPR-Z0-9]{17}\b",
    "OpenSshPrivateKey": r"-----BEGIN OPENSSH PRIVATE KEY-----[\s\S]+?-----END OPENSSH PRIVATE KEY-----",
    "PgpPrivateKey": r"-----BEGIN PGP PRIVATE KEY BLOCK-----[\s\S]+?-----END PGP PRIVATE KEY BLOCK-----",
    "PkcsPrivateKey": r"-----BEGIN (?:RSA |EC )?PRIVATE KEY-----[\s\S]+?-----END (?:RSA |EC )?PRIVATE KEY-----",
    "PuttyPrivateKey": r"PuTTY-User-Key-File-\d+:[\s\S]+?Private-MAC: [0-9a-f]+",
    "JwtToken": r"\beyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+",
    "BankAccountNumber-US": r"(?i)(?<=account[\s#:]{1,3})\d{8,17}\b",
    "DriversLicense-US": None,
    "PassportNumber-US": None,
    "Address": None,
    "Name": None,
    "HealthInsuranceClaimNumber-US": None,
    "MedicareBeneficiaryNumber-US": None,
    "NationalDrugCode-US": None,
    "NationalProviderId-US": None,
    "IndividualTaxIdentificationNumber-US": r"\b9\d{2}-[78]\d-\d{4}\b",
}


def _bad(reason: str) -> Exception:
    return invalid(f"Invalid data protection policy document: {reason}")


def check_document(text: str) -> dict:
    """The policy as a dict, or InvalidParameterException saying what AWS would refuse."""
    if len(text.encode()) > MAX_DOCUMENT_BYTES:
        raise _bad(f"the policy document exceeds {MAX_DOCUMENT_BYTES} bytes.")
    try:
        policy = json.loads(text)
    except ValueError:
        raise _bad("the policy document is not valid JSON.") from None
    if not isinstance(policy, dict):
        raise _bad("the policy document must be a JSON object.")
    if policy.get("Version") != VERSION:
        raise _bad(f"Version must be {VERSION}.")
    statements = policy.get("Statement")
    if not isinstance(statements, list) or len(statements) != 2 or not all(isinstance(s, dict) for s in statements):
        raise _bad("a policy must have exactly two statements, the first with the Audit operation and the second "
                   "with the Deidentify operation.")
    audit, deidentify = (s.get("Operation") for s in statements)
    if not isinstance(audit, dict) or set(audit) != {"Audit"}:
        raise _bad("the first statement's Operation must be Audit.")
    if not isinstance(deidentify, dict) or set(deidentify) != {"Deidentify"} or \
            not isinstance(deidentify["Deidentify"], dict) or set(deidentify["Deidentify"]) != {"MaskConfig"}:
        raise _bad("the second statement's Operation must be Deidentify with a MaskConfig.")
    custom = _custom_identifiers(policy)
    identifiers = [s.get("DataIdentifier") for s in statements]
    for listed in identifiers:
        if not isinstance(listed, list) or not listed or not all(isinstance(i, str) for i in listed):
            raise _bad("each statement must list at least one DataIdentifier.")
        for identifier in listed:
            managed = _MANAGED_PREFIX.match(identifier)
            if managed is None and identifier not in custom:
                raise _bad(f"unknown data identifier {identifier}.")
            if managed is not None and managed.group(2) not in MANAGED:
                raise _bad(f"unknown managed data identifier {identifier}.")
    if set(identifiers[0]) != set(identifiers[1]):
        raise _bad("the DataIdentifier lists of the Audit and Deidentify statements must be the same.")
    return policy


def _custom_identifiers(policy: dict) -> dict[str, str]:
    declared = (policy.get("Configuration") or {}).get("CustomDataIdentifier") or []
    if not isinstance(declared, list) or len(declared) > MAX_CUSTOM_IDENTIFIERS:
        raise _bad(f"a policy can declare at most {MAX_CUSTOM_IDENTIFIERS} custom data identifiers.")
    custom: dict[str, str] = {}
    for item in declared:
        if not isinstance(item, dict) or not isinstance(item.get("Name"), str) or not isinstance(item.get("Regex"), str):
            raise _bad("a custom data identifier has a Name and a Regex.")
        try:
            re.compile(item["Regex"])
        except re.error:
            raise _bad(f"the Regex of custom data identifier {item['Name']} is not valid.") from None
        custom[item["Name"]] = item["Regex"]
    return custom


@lru_cache(maxsize=256)
def _masker(text: str) -> Callable[[str], str] | None:
    """One compiled pattern for a policy document's identifiers (None: nothing it can find)."""
    policy = json.loads(text)
    custom = _custom_identifiers(policy)
    patterns = []
    for identifier in policy["Statement"][1]["DataIdentifier"]:
        managed = _MANAGED_PREFIX.match(identifier)
        pattern = MANAGED.get(managed.group(2)) if managed else custom.get(identifier)
        if pattern:
            patterns.append(f"(?:{pattern})")
    if not patterns:
        return None
    compiled = re.compile("|".join(patterns))
    return lambda message: compiled.sub(lambda match: "*" * len(match.group(0)), message)


class DataProtection:
    """The three handlers, and ``mask`` for every reader of events."""

    def __init__(self, state: LogsState) -> None:
        self.state = state
        self.policies = state.data_protection

    def _account_policy(self, scope: Scope) -> str | None:
        found = self.state.account_policies_of(scope, "DATA_PROTECTION_POLICY")
        return found[0].document if found else None

    def active(self, scope: Scope, group: LogGroup) -> bool:
        return (scope, group.name) in self.policies or self._account_policy(scope) is not None

    def mask(self, scope: Scope, group: LogGroup, message: str) -> str:
        masker = self.reader(scope, group, unmask=False)
        return masker(message) if masker else message

    def reader(self, scope: Scope, group: LogGroup, unmask: bool) -> Callable[[str], str] | None:
        """What a read applies to each message (None: nothing is masked for it). It holds the
        policies as they are now, compiled, so a worker thread may use it (Insights queries)."""
        if unmask:
            return None
        documents = (self._document(scope, group.name), self._account_policy(scope))
        maskers = [m for m in (_masker(d) for d in documents if d is not None) if m is not None]
        if not maskers:
            return None
        if len(maskers) == 1:
            return maskers[0]
        return lambda message: maskers[1](maskers[0](message))

    def _document(self, scope: Scope, group: str) -> str | None:
        found = self.policies.get(scope, group)
        return found.document if found is not None else None

    # -- handlers --------------------------------------------------------------------------------
    def put_data_protection_policy(self, ctx: RequestContext, params: dict) -> dict:
        group = self.state.group_named(ctx, params)
        check_document(params["policyDocument"])
        now = now_ms()
        self.policies.put(ctx.scope, group.name, GroupPolicy(group.name, params["policyDocument"], now))
        return {"logGroupIdentifier": params["logGroupIdentifier"], "policyDocument": params["policyDocument"],
                "lastUpdatedTime": now}

    def get_data_protection_policy(self, ctx: RequestContext, params: dict) -> dict:
        group = self.state.group_named(ctx, params)
        found = self.policies.get(ctx.scope, group.name)
        result: dict[str, Any] = {"logGroupIdentifier": params["logGroupIdentifier"]}
        if found is not None:
            result.update(policyDocument=found.document, lastUpdatedTime=found.last_updated)
        return result

    def delete_data_protection_policy(self, ctx: RequestContext, params: dict) -> dict:
        group = self.state.group_named(ctx, params)
        if self.policies.delete(ctx.scope, group.name) is None:
            raise not_found(f"No data protection policy found for log group {group.name}.")
        return {}
