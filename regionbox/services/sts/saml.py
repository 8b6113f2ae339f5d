"""AssumeRoleWithSAML: a role session for the subject of a SAML 2.0 assertion from an IdP the
role's account trusts (IAM's CreateSAMLProvider).

What is checked, in AWS's order: the assertion is base64 of a SAML Response (or Assertion);
PrincipalArn names a SAML provider of the account; an encrypted assertion decrypts with one of
the provider's private keys (saml_encryption.py), and a plain one is refused when the provider
requires encryption; the assertion's Issuer is that provider's
entityID (from its metadata); its Conditions hold now (NotBefore, NotOnOrAfter) and its
AudienceRestriction names AWS's sign-in endpoint; its Role attribute lists the pair (role,
provider) asked for; it has a RoleSessionName attribute; the role's trust policy allows the
provider (``"Federated"``) to perform sts:AssumeRoleWithSAML with the assertion's condition keys
(``SAML:aud``, ``SAML:iss``, ``SAML:sub``, ``SAML:sub_type``, ``SAML:namequalifier``). The XML
signature is not verified (it needs exclusive XML canonicalization, which regionbox does not
implement); the provider's signing certificates are kept for when it is.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import xml.etree.ElementTree as ElementTree
from datetime import datetime
from typing import TYPE_CHECKING, Callable

from regionbox.core import clock
from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError
from regionbox.services.sts.saml_encryption import DecryptionFailed, decrypt_assertion
from regionbox.services.sts.sessions import Sessions, access_denied, checked_role_arn

if TYPE_CHECKING:
    from regionbox.services.iam.api import IamApi, SamlProviderInfo

SAML = "{urn:oasis:names:tc:SAML:2.0:assertion}"
ROLE_ATTRIBUTE = "https://aws.amazon.com/SAML/Attributes/Role"
SESSION_NAME_ATTRIBUTE = "https://aws.amazon.com/SAML/Attributes/RoleSessionName"
DURATION_ATTRIBUTE = "https://aws.amazon.com/SAML/Attributes/SessionDuration"
AUDIENCES = ("https://signin.aws.amazon.com/saml", "urn:amazon:webservices")
FORMATS = {"urn:oasis:names:tc:SAML:2.0:nameid-format:persistent": "persistent",
           "urn:oasis:names:tc:SAML:2.0:nameid-format:transient": "transient"}


def invalid_token(message: str) -> ServiceError:
    return ServiceError("InvalidIdentityToken", message)


def _time(text: str | None) -> float | None:
    if not text:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def _attributes(assertion: ElementTree.Element) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for attribute in assertion.iter(f"{SAML}Attribute"):
        values = [(v.text or "").strip() for v in attribute.findall(f"{SAML}AttributeValue")]
        found.setdefault(attribute.get("Name", ""), []).extend(values)
    return found


def parse_response(encoded: str) -> ElementTree.Element:
    try:
        document = base64.b64decode(encoded, validate=False)
        root = ElementTree.fromstring(document)
    except (binascii.Error, ValueError, ElementTree.ParseError):
        raise invalid_token("Invalid SAML response: it is not base64-encoded SAML XML.") from None
    if root.tag != f"{SAML}Assertion" and root.find(f".//{SAML}Assertion") is None and root.find(f".//{SAML}EncryptedAssertion") is None:
        raise invalid_token("Invalid SAML response: no Assertion.")
    return root


def the_assertion(root: ElementTree.Element, provider: "SamlProviderInfo") -> ElementTree.Element:
    """The response's assertion, decrypted if it came encrypted, as the provider's settings allow."""
    encrypted = root.find(f".//{SAML}EncryptedAssertion")
    if encrypted is not None:
        try:
            return decrypt_assertion(encrypted, provider.private_keys)
        except DecryptionFailed:
            raise invalid_token("Unable to decrypt the SAML assertion with the private keys of the SAML provider.") from None
    if provider.encryption_required:
        raise invalid_token("The SAML provider requires encrypted assertions, and this assertion is not encrypted.")
    return root if root.tag == f"{SAML}Assertion" else root.find(f".//{SAML}Assertion")  # type: ignore[return-value]


class SamlFederation:
    def __init__(self, sessions: Sessions, iam: Callable[[], "IamApi"]) -> None:
        self.sessions = sessions
        self.iam = iam

    def assume_role_with_saml(self, ctx: RequestContext, params: dict) -> dict:
        role_arn = checked_role_arn(params["RoleArn"])
        provider_arn = params["PrincipalArn"]
        response = parse_response(params["SAMLAssertion"])
        iam = self.iam()
        provider = iam.saml_provider(provider_arn)
        if provider is None or provider_arn.split(":")[4] != role_arn.split(":")[4]:
            raise invalid_token("Specified provider doesn't exist.")
        assertion = the_assertion(response, provider)
        issuer = (assertion.findtext(f"{SAML}Issuer") or "").strip()
        if issuer != provider.entity_id:
            raise invalid_token("Issuer not present in metadata")
        now = clock.epoch()
        if provider.valid_until < now:
            raise invalid_token("Specified provider's metadata has expired.")
        conditions = assertion.find(f"{SAML}Conditions")
        audiences = [] if conditions is None else [(a.text or "").strip() for a in conditions.iter(f"{SAML}Audience")]
        if conditions is not None:
            not_before, not_after = _time(conditions.get("NotBefore")), _time(conditions.get("NotOnOrAfter"))
            if not_after is not None and not_after <= now:
                raise ServiceError("ExpiredTokenException", "Token is expired.")
            if not_before is not None and not_before > now + 300:  # AWS allows five minutes of clock skew
                raise ServiceError("IDPRejectedClaim", "Token is not yet valid.", status=403)
        if audiences and not any(a in AUDIENCES or a.endswith(".signin.aws.amazon.com/saml") for a in audiences):
            raise ServiceError("IDPRejectedClaim", "Invalid audience in SAML assertion.", status=403)
        attributes = _attributes(assertion)
        pairs = [{part.strip() for part in value.split(",")} for value in attributes.get(ROLE_ATTRIBUTE, [])]
        if {role_arn, provider_arn} not in pairs:
            raise access_denied("Not authorized to perform sts:AssumeRoleWithSAML")
        session_names = attributes.get(SESSION_NAME_ATTRIBUTE) or []
        if not session_names or not session_names[0]:
            raise invalid_token("RoleSessionName is required in AuthnResponse")
        name_id = assertion.find(f"{SAML}Subject/{SAML}NameID")
        subject = (name_id.text or "").strip() if name_id is not None else ""
        subject_format = name_id.get("Format", "") if name_id is not None else ""
        subject_type = FORMATS.get(subject_format, subject_format)
        qualifier = base64.b64encode(hashlib.sha1(f"{issuer}{role_arn.split(':')[4]}/{provider_arn.rsplit('/', 1)[-1]}".encode()).digest()).decode()  # noqa: S324 - AWS's NameQualifier
        audience = audiences[0] if audiences else AUDIENCES[0]
        context = {"SAML:aud": audience, "SAML:iss": issuer, "SAML:sub": subject, "SAML:sub_type": subject_type,
                   "SAML:namequalifier": qualifier}
        role = iam.role_by_arn(role_arn)
        if role is None or not iam.federated_trust_allows(role, ctx, provider_arn, "sts:AssumeRoleWithSAML", context):
            raise access_denied("Not authorized to perform sts:AssumeRoleWithSAML")
        session = dict(params)
        durations = attributes.get(DURATION_ATTRIBUTE)
        if not params.get("DurationSeconds") and durations and durations[0].isdigit():
            session["DurationSeconds"] = min(int(durations[0]), role.max_session_duration)
        result = self.sessions.start_role_session(ctx, role, session_names[0], session)
        result.update({"Subject": subject, "SubjectType": subject_type, "Issuer": issuer, "Audience": audience,
                       "NameQualifier": qualifier})
        return result
