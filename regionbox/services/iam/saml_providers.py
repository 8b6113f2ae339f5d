"""SAML 2.0 identity providers: their metadata document (the IdP's entityID, its signing
certificates, validUntil), checked as IAM checks it, and what STS's AssumeRoleWithSAML reads of it
(sts/saml.py: an assertion's Issuer must be the IdP's entityID); the private keys that decrypt the
IdP's encrypted assertions, and whether assertions must be encrypted; trusted identity
propagation (identity_propagation.py). ARN: ``arn:aws:iam::ACCOUNT:saml-provider/NAME``."""

from __future__ import annotations

import base64
import hashlib
import secrets
import uuid
import xml.etree.ElementTree as ElementTree
from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from regionbox.core import clock
from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError
from regionbox.services.iam import identity_propagation
from regionbox.services.iam.models import SamlProvider
from regionbox.services.iam.state import IamState
from regionbox.services.iam.tags import checked_tags

MD = "{urn:oasis:names:tc:SAML:2.0:metadata}"
DS = "{http://www.w3.org/2000/09/xmldsig#}"
PROVIDERS_PER_ACCOUNT = 100
# Without validUntil in the metadata, IAM keeps the provider valid for a hundred years.
DEFAULT_VALIDITY = 100 * 365 * 86400
SAML_RESOURCE = "AWS::IAM::SAMLProvider"
PRIVATE_KEYS_MAX = 2  # one in use and one being rotated in
_KEY_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def _unparseable() -> ServiceError:
    return ServiceError("InvalidInput", "Could not parse metadata")


def parse_metadata(document: str) -> tuple[str, list[str], float | None]:
    """(entityID, the IdP's signing certificates as base64 DER, validUntil) of a metadata document."""
    try:
        root = ElementTree.fromstring(document)
    except ElementTree.ParseError:
        raise _unparseable() from None
    descriptor = root if root.tag == f"{MD}EntityDescriptor" else root.find(f".//{MD}EntityDescriptor")
    if descriptor is None or not descriptor.get("entityID"):
        raise _unparseable()
    idp = descriptor.find(f"{MD}IDPSSODescriptor")
    if idp is None:
        raise ServiceError("InvalidInput", "Metadata document must contain an IDPSSODescriptor.")
    certificates = []
    for key in idp.findall(f"{MD}KeyDescriptor"):
        if key.get("use", "signing") != "signing":
            continue
        for element in key.iter(f"{DS}X509Certificate"):
            text = "".join((element.text or "").split())
            try:
                x509.load_der_x509_certificate(base64.b64decode(text))
            except ValueError:
                raise ServiceError("InvalidInput", "Metadata document contains an invalid X509 certificate.") from None
            certificates.append(text)
    if not certificates:
        raise ServiceError("InvalidInput", "Metadata document must contain at least one signing certificate.")
    valid_until = descriptor.get("validUntil") or root.get("validUntil")
    until = None
    if valid_until:
        try:
            until = datetime.fromisoformat(valid_until.replace("Z", "+00:00")).timestamp()
        except ValueError:
            raise _unparseable() from None
    return descriptor.get("entityID"), certificates, until


def _private_key(pem: str) -> dict:
    """A stored private key: the PEM as given, under a new key id. Assertions are encrypted to an
    RSA key (the key transport of XML encryption), so that is what IAM takes."""
    try:
        key = serialization.load_pem_private_key(pem.encode(), password=None)
    except (ValueError, TypeError):
        key = None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ServiceError("InvalidInput", "The private key is not a valid unencrypted PEM-encoded RSA private key.")
    key_id = "".join(secrets.choice(_KEY_ID_ALPHABET) for _ in range(26))
    return {"KeyId": key_id, "Timestamp": clock.epoch(), "Pem": pem}


def _with_keys_changed(provider: SamlProvider, params: dict) -> None:
    """AddPrivateKey, RemovePrivateKey and AssertionEncryptionMode, under IAM's rules: at most two
    keys, and Required only while a key can decrypt what the IdP sends. Nothing changes unless
    all of it holds."""
    keys = list(provider.private_keys)
    if params.get("RemovePrivateKey"):
        keys = [k for k in keys if k["KeyId"] != params["RemovePrivateKey"]]
        if len(keys) == len(provider.private_keys):
            raise ServiceError("InvalidInput", f"Private key with id {params['RemovePrivateKey']} does not exist.")
    if params.get("AddPrivateKey"):
        added = _private_key(params["AddPrivateKey"])
        if len(keys) >= PRIVATE_KEYS_MAX:
            raise ServiceError("LimitExceeded", f"Cannot exceed quota for PrivateKeysPerSamlProvider: {PRIVATE_KEYS_MAX}",
                               status=409)
        keys.append(added)
    mode = params.get("AssertionEncryptionMode") or provider.assertion_encryption_mode
    if mode == "Required" and not keys:
        raise ServiceError("InvalidInput", "AssertionEncryptionMode Required needs a private key to decrypt the assertions: "
                           "add one with AddPrivateKey.")
    provider.private_keys, provider.assertion_encryption_mode = keys, mode


def _key_hashes(provider: SamlProvider) -> list[dict]:
    """The IdP's signing keys, as SHA-256 hashes of their certificates, under its issuer."""
    if not provider.certificates:
        return []
    return [{"IssuerURL": provider.entity_id,
             "KeyHashes": [hashlib.sha256(base64.b64decode(c)).hexdigest() for c in provider.certificates]}]


class SamlProviders:
    def __init__(self, state: IamState) -> None:
        self.providers = state.saml_providers

    def find(self, ctx: RequestContext, params: dict) -> SamlProvider:
        arn = params["SAMLProviderArn"]
        found = self.providers.get(ctx.global_scope, arn.rsplit("/", 1)[-1].lower())
        if found is None or found.arn != arn:
            raise ServiceError("NoSuchEntity", f"SAMLProvider not found for arn {arn}", status=404)
        return found

    def save(self, ctx: RequestContext, provider: SamlProvider) -> None:
        self.providers.put(ctx.global_scope, provider.name.lower(), provider)
        ctx.touched(SAML_RESOURCE, provider.arn)

    def create_saml_provider(self, ctx: RequestContext, params: dict) -> dict:
        name = params["Name"]
        if (ctx.global_scope, name.lower()) in self.providers:
            raise ServiceError("EntityAlreadyExists", f"SAMLProvider {name} already exists.", status=409)
        if len(self.providers.values(ctx.global_scope)) >= PROVIDERS_PER_ACCOUNT:
            raise ServiceError("LimitExceeded", f"Cannot exceed quota for SamlProvidersPerAccount: {PROVIDERS_PER_ACCOUNT}",
                               status=409)
        entity_id, certificates, until = parse_metadata(params["SAMLMetadataDocument"])
        now = clock.epoch()
        provider = SamlProvider(name=name, arn=ctx.arn("iam", f"saml-provider/{name}", regional=False),
                                uuid=str(uuid.uuid4()), metadata=params["SAMLMetadataDocument"], create_date=now,
                                valid_until=until or now + DEFAULT_VALIDITY, entity_id=entity_id, certificates=certificates,
                                tags=checked_tags(params.get("Tags") or [], (), False),
                                context_provider=identity_propagation.on_create(params))
        _with_keys_changed(provider, params)
        self.save(ctx, provider)
        result: dict = {"SAMLProviderArn": provider.arn}
        if provider.tags:
            result["Tags"] = provider.tags
        return result

    def get_saml_provider(self, ctx: RequestContext, params: dict) -> dict:
        provider = self.find(ctx, params)
        result = {"SAMLProviderUUID": provider.uuid, "SAMLMetadataDocument": provider.metadata,
                  "CreateDate": provider.create_date, "ValidUntil": provider.valid_until,
                  "AssertionEncryptionMode": provider.assertion_encryption_mode,
                  "PrivateKeyList": [{"KeyId": k["KeyId"], "Timestamp": k["Timestamp"]} for k in provider.private_keys],
                  **identity_propagation.described(provider.context_provider)}
        hashes = _key_hashes(provider)
        if hashes:
            result["SAMLKeyHashes"] = hashes
        if provider.tags:
            result["Tags"] = provider.tags
        return result

    def update_saml_provider(self, ctx: RequestContext, params: dict) -> dict:
        provider = self.find(ctx, params)
        # every check before any change: the provider is the stored one
        metadata = parse_metadata(params["SAMLMetadataDocument"]) if params.get("SAMLMetadataDocument") else None
        context = identity_propagation.on_update(params, provider.context_provider)
        _with_keys_changed(provider, params)
        if metadata is not None:
            provider.entity_id, provider.certificates, until = metadata
            provider.metadata = params["SAMLMetadataDocument"]
            provider.valid_until = until or clock.epoch() + DEFAULT_VALIDITY
        provider.context_provider = context
        self.save(ctx, provider)
        return {"SAMLProviderArn": provider.arn}

    def list_saml_providers(self, ctx: RequestContext, params: dict) -> dict:
        return {"SAMLProviderList": [{"Arn": p.arn, "ValidUntil": p.valid_until, "CreateDate": p.create_date}
                                     for p in self.providers.values(ctx.global_scope)]}

    def delete_saml_provider(self, ctx: RequestContext, params: dict) -> dict:
        provider = self.find(ctx, params)
        self.providers.delete(ctx.global_scope, provider.name.lower())
        ctx.touched(SAML_RESOURCE, provider.arn)
        return {}
