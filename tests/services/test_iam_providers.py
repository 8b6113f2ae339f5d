"""Identity providers (OIDC with thumbprints and client ids, SAML with metadata documents) and
server certificates (real PEMs) through boto3, with their tags."""

from __future__ import annotations

import base64
import datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from tests.services.iam_support import error_of

ACCOUNT = "123456789012"
THUMBPRINT = "9e99a48a9960b14926bb7f3b02e22da2b0ab7280"
IDP = "https://idp.example.com/saml"


@pytest.fixture
def iam(cloud):
    return cloud.client("iam", account=ACCOUNT)


def self_signed(key, name: str, days: int = 365) -> x509.Certificate:
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    return (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=1))
            .not_valid_after(now + datetime.timedelta(days=days)).sign(key, hashes.SHA256()))


def saml_metadata(entity_id: str = IDP, valid_until: str | None = None) -> str:
    """An IdP's SAML metadata document, as Okta or ADFS export it."""
    cert = self_signed(rsa.generate_private_key(public_exponent=65537, key_size=2048), "idp.example.com")
    der = base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()
    until = f' validUntil="{valid_until}"' if valid_until else ""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="{entity_id}"{until}>
  <md:IDPSSODescriptor WantAuthnRequestsSigned="false" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing">
      <ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>{der}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>
    </md:KeyDescriptor>
    <md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</md:NameIDFormat>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://idp.example.com/sso"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>"""


def test_oidc_providers(iam):
    created = iam.create_open_id_connect_provider(Url="https://token.example.com/realms/dev", ClientIDList=["app", "app"],
                                                  ThumbprintList=[THUMBPRINT.upper()], Tags=[{"Key": "env", "Value": "dev"}])
    arn = created["OpenIDConnectProviderArn"]
    assert arn == f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.example.com/realms/dev"
    assert created["Tags"] == [{"Key": "env", "Value": "dev"}]
    got = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert (got["Url"], got["ClientIDList"], got["ThumbprintList"]) == ("token.example.com/realms/dev", ["app"], [THUMBPRINT])
    assert error_of(lambda: iam.create_open_id_connect_provider(Url="https://token.example.com/realms/dev")) == (
        "EntityAlreadyExists", "Provider with url https://token.example.com/realms/dev already exists.")
    assert error_of(lambda: iam.create_open_id_connect_provider(Url="http://insecure.example.com")) == (
        "InvalidInput", "Invalid Open ID Connect Provider URL")
    assert error_of(lambda: iam.create_open_id_connect_provider(Url="https://x.example.com", ThumbprintList=[THUMBPRINT] * 6)) == (
        "InvalidInput", "Thumbprint list must contain fewer than 5 entries.")
    iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="cli")
    iam.remove_client_id_from_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="app")
    iam.update_open_id_connect_provider_thumbprint(OpenIDConnectProviderArn=arn, ThumbprintList=["a" * 40])
    got = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert (got["ClientIDList"], got["ThumbprintList"]) == (["cli"], ["a" * 40])
    iam.tag_open_id_connect_provider(OpenIDConnectProviderArn=arn, Tags=[{"Key": "Env", "Value": "x"}])
    # keys of tags on providers are case sensitive
    assert iam.list_open_id_connect_provider_tags(OpenIDConnectProviderArn=arn)["Tags"] == [
        {"Key": "env", "Value": "dev"}, {"Key": "Env", "Value": "x"}]
    iam.untag_open_id_connect_provider(OpenIDConnectProviderArn=arn, TagKeys=["env"])
    assert [p["Arn"] for p in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]] == [arn]
    iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert error_of(lambda: iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)) == (
        "NoSuchEntity", f"OpenIDConnect Provider not found for arn {arn}")


def test_saml_providers(iam):
    created = iam.create_saml_provider(Name="okta", SAMLMetadataDocument=saml_metadata(valid_until="2099-01-01T00:00:00Z"),
                                       Tags=[{"Key": "idp", "Value": "okta"}])
    arn = created["SAMLProviderArn"]
    assert arn == f"arn:aws:iam::{ACCOUNT}:saml-provider/okta"
    got = iam.get_saml_provider(SAMLProviderArn=arn)
    assert got["ValidUntil"].year == 2099 and IDP in got["SAMLMetadataDocument"] and got["SAMLProviderUUID"]
    assert error_of(lambda: iam.create_saml_provider(Name="okta", SAMLMetadataDocument=saml_metadata()))[0] == "EntityAlreadyExists"
    assert error_of(lambda: iam.create_saml_provider(Name="bad", SAMLMetadataDocument="<not-xml" + " " * 1000)) == (
        "InvalidInput", "Could not parse metadata")
    no_idp = saml_metadata().replace("IDPSSODescriptor", "SPSSODescriptor")
    assert error_of(lambda: iam.create_saml_provider(Name="bad", SAMLMetadataDocument=no_idp)) == (
        "InvalidInput", "Metadata document must contain an IDPSSODescriptor.")
    iam.update_saml_provider(SAMLProviderArn=arn, SAMLMetadataDocument=saml_metadata("https://new.example.com/saml"))
    assert "https://new.example.com/saml" in iam.get_saml_provider(SAMLProviderArn=arn)["SAMLMetadataDocument"]
    assert iam.list_saml_provider_tags(SAMLProviderArn=arn)["Tags"] == [{"Key": "idp", "Value": "okta"}]
    iam.tag_saml_provider(SAMLProviderArn=arn, Tags=[{"Key": "owner", "Value": "sec"}])
    iam.untag_saml_provider(SAMLProviderArn=arn, TagKeys=["idp"])
    assert iam.list_saml_provider_tags(SAMLProviderArn=arn)["Tags"] == [{"Key": "owner", "Value": "sec"}]
    assert iam.get_saml_provider(SAMLProviderArn=arn)["Tags"] == [{"Key": "owner", "Value": "sec"}]
    assert [p["Arn"] for p in iam.list_saml_providers()["SAMLProviderList"]] == [arn]
    iam.delete_saml_provider(SAMLProviderArn=arn)
    assert error_of(lambda: iam.get_saml_provider(SAMLProviderArn=arn))[0] == "NoSuchEntity"


PROPAGATING = "210987654321"  # an account of their own: the tests above list every provider of theirs
CONTEXT = {"SubjectSourceKey": "sub", "SubjectTypeValue": "user",
           "KeyDefinitionList": [{"SourceKey": "email", "TargetKey": "identitystore:Email"}]}
INSTANCE = "arn:aws:sso:::instance/ssoins-1234567890abcdef"


def propagation_errors(update) -> None:
    """What UpdateOpenIDConnectProvider and UpdateSAMLProvider refuse alike."""
    assert error_of(lambda: update(ContextProvider=CONTEXT, RemoveContextProvider=True)) == (
        "InvalidInput", "ContextProvider and RemoveContextProvider are mutually exclusive: specify one of them, not both.")
    assert error_of(lambda: update(IdentityCenterInstanceArn=INSTANCE, RemoveIdentityCenterInstance=True))[0] == "InvalidInput"
    assert error_of(lambda: update(ContextProvider=CONTEXT, RemoveIdentityCenterInstance=True)) == (
        "InvalidInput", "A request can change either the context provider or the IAM Identity Center association, not both: "
                        "make separate requests.")
    assert error_of(lambda: update(ContextProvider={"SubjectSourceKey": " sub"}))[0] == "InvalidInput"
    assert error_of(lambda: update(ContextProvider={"SubjectSourceKey": "sub", "SubjectTypeValue": "user",
                                                    "SubjectTypeSourceKey": "typ"}))[0] == "InvalidInput"
    # IAM Identity Center is not served: no instance exists to associate
    assert error_of(lambda: update(IdentityCenterInstanceArn="arn:aws:sso:::instance/nope"))[0] == "InvalidInput"
    assert error_of(lambda: update(IdentityCenterInstanceArn=INSTANCE)) == (
        "NoSuchEntity", f"The IAM Identity Center instance {INSTANCE} does not exist.")


def test_oidc_identity_propagation(cloud):
    iam = cloud.client("iam", account=PROPAGATING)
    arn = iam.create_open_id_connect_provider(Url="https://login.example.org", ClientIDList=["app"], ThumbprintList=[THUMBPRINT],
                                              ContextProvider=CONTEXT)["OpenIDConnectProviderArn"]
    assert iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)["ContextProvider"] == CONTEXT
    update = lambda **kw: iam.update_open_id_connect_provider(OpenIDConnectProviderArn=arn, **kw)  # noqa: E731
    replaced = {"SubjectSourceKey": "preferred_username", "SubjectTypeSourceKey": "kind", "KeyDefinitionList": []}
    update(ContextProvider=replaced)
    got = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert got["ContextProvider"] == replaced and got["ThumbprintList"] == [THUMBPRINT]  # thumbprints untouched
    propagation_errors(update)
    update(RemoveContextProvider=True)
    assert "ContextProvider" not in iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    # an instance needs a context provider to propagate into it
    assert error_of(lambda: update(IdentityCenterInstanceArn=INSTANCE))[0] == "InvalidInput"
    assert error_of(lambda: iam.update_open_id_connect_provider(OpenIDConnectProviderArn=arn.replace("login", "nope"),
                                                                RemoveContextProvider=True))[0] == "NoSuchEntity"
    iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn)


def rsa_pem(key) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()


def test_saml_private_keys_and_identity_propagation(cloud):
    iam = cloud.client("iam", account=PROPAGATING)
    first, second, third = (rsa_pem(rsa.generate_private_key(public_exponent=65537, key_size=2048)) for _ in range(3))
    assert error_of(lambda: iam.create_saml_provider(Name="enc", SAMLMetadataDocument=saml_metadata(),
                                                     AssertionEncryptionMode="Required"))[0] == "InvalidInput"
    arn = iam.create_saml_provider(Name="enc", SAMLMetadataDocument=saml_metadata(), AssertionEncryptionMode="Required",
                                   AddPrivateKey=first, ContextProvider=CONTEXT)["SAMLProviderArn"]
    got = iam.get_saml_provider(SAMLProviderArn=arn)
    assert got["AssertionEncryptionMode"] == "Required" and got["ContextProvider"] == CONTEXT
    [key] = got["PrivateKeyList"]
    assert len(key["KeyId"]) >= 22 and key["KeyId"].isupper() and key["Timestamp"]
    assert [h["IssuerURL"] for h in got["SAMLKeyHashes"]] == [IDP] and len(got["SAMLKeyHashes"][0]["KeyHashes"][0]) == 64
    update = lambda **kw: iam.update_saml_provider(SAMLProviderArn=arn, **kw)  # noqa: E731
    # rotation: a second key, then no third
    update(AddPrivateKey=second)
    assert len(iam.get_saml_provider(SAMLProviderArn=arn)["PrivateKeyList"]) == 2
    assert error_of(lambda: update(AddPrivateKey=third)) == ("LimitExceeded", "Cannot exceed quota for PrivateKeysPerSamlProvider: 2")
    assert error_of(lambda: update(AddPrivateKey="-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----")) == (
        "InvalidInput", "The private key is not a valid unencrypted PEM-encoded RSA private key.")
    assert error_of(lambda: update(RemovePrivateKey="A" * 26)) == ("InvalidInput", f"Private key with id {'A' * 26} does not exist.")
    update(RemovePrivateKey=key["KeyId"])
    [left] = iam.get_saml_provider(SAMLProviderArn=arn)["PrivateKeyList"]
    assert left["KeyId"] != key["KeyId"]
    # Required needs a key left to decrypt with
    assert error_of(lambda: update(RemovePrivateKey=left["KeyId"]))[0] == "InvalidInput"
    update(RemovePrivateKey=left["KeyId"], AssertionEncryptionMode="Allowed")
    got = iam.get_saml_provider(SAMLProviderArn=arn)
    assert (got["PrivateKeyList"], got["AssertionEncryptionMode"]) == ([], "Allowed")
    propagation_errors(update)
    update(RemoveContextProvider=True)
    assert "ContextProvider" not in iam.get_saml_provider(SAMLProviderArn=arn)
    iam.delete_saml_provider(SAMLProviderArn=arn)


def test_server_certificates(iam):
    key = ec.generate_private_key(ec.SECP256R1())
    cert = self_signed(key, "www.example.com", days=90)
    body = cert.public_bytes(serialization.Encoding.PEM).decode()
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    chain = self_signed(ec.generate_private_key(ec.SECP256R1()), "ca").public_bytes(serialization.Encoding.PEM).decode()
    uploaded = iam.upload_server_certificate(ServerCertificateName="www", Path="/cloudfront/", CertificateBody=body,
                                             PrivateKey=private, CertificateChain=chain, Tags=[{"Key": "site", "Value": "www"}])
    metadata = uploaded["ServerCertificateMetadata"]
    assert metadata["Arn"] == f"arn:aws:iam::{ACCOUNT}:server-certificate/cloudfront/www"
    assert metadata["ServerCertificateId"].startswith("ASCA")
    assert metadata["Expiration"].replace(microsecond=0) == cert.not_valid_after_utc.replace(microsecond=0)
    got = iam.get_server_certificate(ServerCertificateName="www")["ServerCertificate"]
    assert got["CertificateBody"] == body.strip() and got["CertificateChain"] == chain.strip()
    other_key = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    assert error_of(lambda: iam.upload_server_certificate(ServerCertificateName="x", CertificateBody=body, PrivateKey=other_key)) == (
        "KeyPairMismatch", "Public key certificate and private key doesn't match.")
    assert error_of(lambda: iam.upload_server_certificate(ServerCertificateName="x", CertificateBody="garbage", PrivateKey=private))[0] == (
        "MalformedCertificate")
    assert error_of(lambda: iam.upload_server_certificate(ServerCertificateName="www", CertificateBody=body, PrivateKey=private)) == (
        "EntityAlreadyExists", "The Server Certificate with name www already exists.")
    iam.upload_server_certificate(ServerCertificateName="api", CertificateBody=body, PrivateKey=private)
    page = iam.list_server_certificates(MaxItems=1)
    assert [c["ServerCertificateName"] for c in page["ServerCertificateMetadataList"]] == ["api"] and page["IsTruncated"]
    assert [c["ServerCertificateName"] for c in iam.list_server_certificates(PathPrefix="/cloudfront/")["ServerCertificateMetadataList"]] == ["www"]
    iam.update_server_certificate(ServerCertificateName="www", NewServerCertificateName="web", NewPath="/")
    assert iam.get_server_certificate(ServerCertificateName="web")["ServerCertificate"]["ServerCertificateMetadata"]["Arn"] == (
        f"arn:aws:iam::{ACCOUNT}:server-certificate/web")
    assert iam.list_server_certificate_tags(ServerCertificateName="web")["Tags"] == [{"Key": "site", "Value": "www"}]
    iam.tag_server_certificate(ServerCertificateName="web", Tags=[{"Key": "team", "Value": "edge"}, {"Key": "site", "Value": "web"}])
    iam.untag_server_certificate(ServerCertificateName="web", TagKeys=["team"])
    assert iam.list_server_certificate_tags(ServerCertificateName="web")["Tags"] == [{"Key": "site", "Value": "web"}]
    assert error_of(lambda: iam.tag_server_certificate(ServerCertificateName="gone", Tags=[{"Key": "a", "Value": "b"}]))[0] == (
        "NoSuchEntity")
    iam.delete_server_certificate(ServerCertificateName="web")
    assert error_of(lambda: iam.get_server_certificate(ServerCertificateName="web")) == (
        "NoSuchEntity", "The Server Certificate with name web cannot be found.")
