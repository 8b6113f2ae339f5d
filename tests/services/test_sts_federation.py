"""STS beyond AssumeRole, through boto3: web identity and SAML federation against the account's
identity providers, federation tokens, scoped-down sessions, EC2's encoded authorization
messages and their decoding, JWTs for outside services, and RoleArn validation."""

from __future__ import annotations

import base64
import datetime
import json
import os
import time
import uuid

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from tests.services.iam_support import error_of
from tests.services.test_iam_providers import IDP, saml_metadata

ACCOUNT = "111111111111"
OTHER = "222222222222"
ISSUER = "https://oidc.example.com/id"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def jwt(**claims) -> str:
    now = int(time.time())
    body = {"iss": ISSUER, "sub": "user-42", "aud": "my-app", "iat": now, "exp": now + 600, **claims}
    return ".".join([b64(json.dumps({"alg": "RS256", "kid": "k1"}).encode()), b64(json.dumps(body).encode()), b64(b"signature")])


def session_client(cloud, service, credentials, **kwargs):
    return cloud.client(service, access_key=credentials["AccessKeyId"], secret_key=credentials["SecretAccessKey"],
                        session_token=credentials["SessionToken"], **kwargs)


def federated_role(cloud, name, principal, action, condition=None, policy="arn:aws:iam::aws:policy/IAMReadOnlyAccess"):
    statement = {"Effect": "Allow", "Principal": {"Federated": principal}, "Action": action}
    if condition:
        statement["Condition"] = condition
    iam = cloud.client("iam", account=ACCOUNT)
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [statement]}))["Role"]
    iam.attach_role_policy(RoleName=name, PolicyArn=policy)
    return role


# -- web identity ----------------------------------------------------------------------------
def test_assume_role_with_web_identity(cloud):
    iam = cloud.client("iam", account=ACCOUNT)
    provider = iam.create_open_id_connect_provider(Url=ISSUER, ClientIDList=["my-app"])["OpenIDConnectProviderArn"]
    role = federated_role(cloud, "web", provider, "sts:AssumeRoleWithWebIdentity",
                          {"StringEquals": {"oidc.example.com/id:aud": "my-app", "oidc.example.com/id:sub": "user-42"}})
    sts = cloud.client("sts")  # no credentials of the account: the token is the credential
    result = sts.assume_role_with_web_identity(RoleArn=role["Arn"], RoleSessionName="app-session", WebIdentityToken=jwt())
    assert (result["SubjectFromWebIdentityToken"], result["Provider"], result["Audience"]) == ("user-42", "oidc.example.com/id", "my-app")
    assert result["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/web/app-session"
    identity = session_client(cloud, "sts", result["Credentials"]).get_caller_identity()
    assert identity["Arn"] == result["AssumedRoleUser"]["Arn"]
    assert session_client(cloud, "iam", result["Credentials"]).list_roles()["Roles"]
    # what is checked, in order
    assert error_of(lambda: sts.assume_role_with_web_identity(RoleArn=role["Arn"], RoleSessionName="s1", WebIdentityToken="not-a-jwt")) == (
        "InvalidIdentityToken", "The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)")
    assert error_of(lambda: sts.assume_role_with_web_identity(RoleArn=role["Arn"], RoleSessionName="s1",
                                                              WebIdentityToken=jwt(iss="https://other.example.com"))) == (
        "InvalidIdentityToken", "No OpenIDConnect provider found in your account for https://other.example.com")
    assert error_of(lambda: sts.assume_role_with_web_identity(RoleArn=role["Arn"], RoleSessionName="s1",
                                                              WebIdentityToken=jwt(aud="someone-else"))) == (
        "InvalidIdentityToken", "Incorrect token audience")
    code, message = error_of(lambda: sts.assume_role_with_web_identity(RoleArn=role["Arn"], RoleSessionName="s1",
                                                                       WebIdentityToken=jwt(exp=1000)))
    assert code == "ExpiredTokenException" and message.startswith("Token expired: current date/time ")
    assert error_of(lambda: sts.assume_role_with_web_identity(RoleArn=role["Arn"], RoleSessionName="s1",
                                                              WebIdentityToken=jwt(sub="user-43"))) == (
        "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity")
    assert error_of(lambda: sts.assume_role_with_web_identity(RoleArn="arn:aws:iam::1111:role/web", RoleSessionName="s1",
                                                              WebIdentityToken=jwt())) == ("ValidationError", "Request ARN is invalid")


# -- SAML ------------------------------------------------------------------------------------
def assertion(role_arn: str, provider_arn: str, issuer: str = IDP, minutes: int = 5, audience: str = "https://signin.aws.amazon.com/saml",
              session_name: str | None = "jane@example.com", encrypt_to=None, cipher: str = "aes256-gcm") -> str:
    now = datetime.datetime.now(datetime.timezone.utc)
    stamp = lambda t: t.strftime("%Y-%m-%dT%H:%M:%SZ")  # noqa: E731
    session = (f'<saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/RoleSessionName"><saml:AttributeValue>'
               f'{session_name}</saml:AttributeValue></saml:Attribute>') if session_name else ""
    inner = f"""<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_{uuid.uuid4().hex}" Version="2.0" IssueInstant="{stamp(now)}">
  <saml:Issuer>{issuer}</saml:Issuer>
  <saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent">jane</saml:NameID></saml:Subject>
  <saml:Conditions NotBefore="{stamp(now - datetime.timedelta(minutes=1))}" NotOnOrAfter="{stamp(now + datetime.timedelta(minutes=minutes))}">
   <saml:AudienceRestriction><saml:Audience>{audience}</saml:Audience></saml:AudienceRestriction>
  </saml:Conditions>
  <saml:AttributeStatement>
   <saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/Role"><saml:AttributeValue>{role_arn},{provider_arn}</saml:AttributeValue></saml:Attribute>
   {session}
  </saml:AttributeStatement>
 </saml:Assertion>"""
    if encrypt_to is not None:
        inner = encrypted_assertion(inner, encrypt_to, cipher)
    xml = f"""<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"
 ID="_{uuid.uuid4().hex}" Version="2.0" IssueInstant="{stamp(now)}" Destination="https://signin.aws.amazon.com/saml">
 <saml:Issuer>{issuer}</saml:Issuer>
 {inner}
</samlp:Response>"""
    return base64.b64encode(xml.encode()).decode()


def encrypted_assertion(assertion_xml: str, public_key, cipher: str) -> str:
    """The assertion as an IdP encrypts it (XML Encryption): AES content, its key wrapped with RSA-OAEP."""
    key = os.urandom(32)
    if cipher == "aes256-gcm":
        iv = os.urandom(12)
        data = iv + AESGCM(key).encrypt(iv, assertion_xml.encode(), None)
        algorithm = "http://www.w3.org/2009/xmlenc11#aes256-gcm"
    else:
        iv, plain = os.urandom(16), assertion_xml.encode()
        pad = 16 - len(plain) % 16
        encryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
        data = iv + encryptor.update(plain + os.urandom(pad - 1) + bytes([pad])) + encryptor.finalize()
        algorithm = "http://www.w3.org/2001/04/xmlenc#aes256-cbc"
    wrapped = public_key.encrypt(key, padding.OAEP(mgf=padding.MGF1(hashes.SHA1()), algorithm=hashes.SHA1(), label=None))
    b = lambda raw: base64.b64encode(raw).decode()  # noqa: E731
    return f"""<saml:EncryptedAssertion>
  <xenc:EncryptedData xmlns:xenc="http://www.w3.org/2001/04/xmlenc#" Type="http://www.w3.org/2001/04/xmlenc#Element">
   <xenc:EncryptionMethod Algorithm="{algorithm}"/>
   <ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#">
    <xenc:EncryptedKey>
     <xenc:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p">
      <ds:DigestMethod Algorithm="http://www.w3.org/2000/09/xmldsig#sha1"/>
     </xenc:EncryptionMethod>
     <xenc:CipherData><xenc:CipherValue>{b(wrapped)}</xenc:CipherValue></xenc:CipherData>
    </xenc:EncryptedKey>
   </ds:KeyInfo>
   <xenc:CipherData><xenc:CipherValue>{b(data)}</xenc:CipherValue></xenc:CipherData>
  </xenc:EncryptedData>
 </saml:EncryptedAssertion>"""


def test_assume_role_with_saml(cloud):
    iam = cloud.client("iam", account=ACCOUNT)
    provider = iam.create_saml_provider(Name="corp", SAMLMetadataDocument=saml_metadata())["SAMLProviderArn"]
    role = federated_role(cloud, "saml-admins", provider, "sts:AssumeRoleWithSAML",
                          {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}})
    sts = cloud.client("sts")
    result = sts.assume_role_with_saml(RoleArn=role["Arn"], PrincipalArn=provider, SAMLAssertion=assertion(role["Arn"], provider))
    assert result["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/saml-admins/jane@example.com"
    assert (result["Subject"], result["SubjectType"], result["Issuer"], result["Audience"]) == (
        "jane", "persistent", IDP, "https://signin.aws.amazon.com/saml")
    assert result["NameQualifier"]
    assert session_client(cloud, "sts", result["Credentials"]).get_caller_identity()["Arn"] == result["AssumedRoleUser"]["Arn"]
    assert error_of(lambda: sts.assume_role_with_saml(RoleArn=role["Arn"], PrincipalArn=provider,
                                                      SAMLAssertion=base64.b64encode(b"<nope/>" * 600).decode()))[0] == "InvalidIdentityToken"
    missing = f"arn:aws:iam::{ACCOUNT}:saml-provider/nope"
    assert error_of(lambda: sts.assume_role_with_saml(RoleArn=role["Arn"], PrincipalArn=missing,
                                                      SAMLAssertion=assertion(role["Arn"], missing))) == (
        "InvalidIdentityToken", "Specified provider doesn't exist.")
    assert error_of(lambda: sts.assume_role_with_saml(RoleArn=role["Arn"], PrincipalArn=provider,
                                                      SAMLAssertion=assertion(role["Arn"], provider, issuer="https://evil.example.com"))) == (
        "InvalidIdentityToken", "Issuer not present in metadata")
    assert error_of(lambda: sts.assume_role_with_saml(RoleArn=role["Arn"], PrincipalArn=provider,
                                                      SAMLAssertion=assertion(role["Arn"], provider, minutes=-2)))[0] == "ExpiredTokenException"
    other_role = federated_role(cloud, "other", provider, "sts:AssumeRoleWithSAML")
    # the assertion's Role attribute names another role
    assert error_of(lambda: sts.assume_role_with_saml(RoleArn=other_role["Arn"], PrincipalArn=provider,
                                                      SAMLAssertion=assertion(role["Arn"], provider))) == (
        "AccessDenied", "Not authorized to perform sts:AssumeRoleWithSAML")
    assert error_of(lambda: sts.assume_role_with_saml(RoleArn=role["Arn"], PrincipalArn=provider,
                                                      SAMLAssertion=assertion(role["Arn"], provider, session_name=None)))[0] == "InvalidIdentityToken"
    assert error_of(lambda: sts.assume_role_with_saml(RoleArn=role["Arn"], PrincipalArn=provider,
                                                      SAMLAssertion=assertion(role["Arn"], provider, audience="https://elsewhere")))[0] == "IDPRejectedClaim"


def test_assume_role_with_encrypted_saml_assertions(cloud):
    iam = cloud.client("iam", account=ACCOUNT)
    current, next_key = (rsa.generate_private_key(public_exponent=65537, key_size=2048) for _ in range(2))
    pem = lambda key: key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,  # noqa: E731
                                        serialization.NoEncryption()).decode()
    provider = iam.create_saml_provider(Name="encrypted", SAMLMetadataDocument=saml_metadata(), AddPrivateKey=pem(current),
                                        AssertionEncryptionMode="Required")["SAMLProviderArn"]
    role = federated_role(cloud, "saml-encrypted", provider, "sts:AssumeRoleWithSAML")
    sts = cloud.client("sts")
    for cipher in ("aes256-gcm", "aes256-cbc"):
        result = sts.assume_role_with_saml(RoleArn=role["Arn"], PrincipalArn=provider,
                                           SAMLAssertion=assertion(role["Arn"], provider, encrypt_to=current.public_key(), cipher=cipher))
        assert result["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/saml-encrypted/jane@example.com"
        assert result["Subject"] == "jane"
    # Required: a plain assertion is refused; one encrypted to a key the provider lacks does not decrypt
    assert error_of(lambda: sts.assume_role_with_saml(RoleArn=role["Arn"], PrincipalArn=provider,
                                                      SAMLAssertion=assertion(role["Arn"], provider))) == (
        "InvalidIdentityToken", "The SAML provider requires encrypted assertions, and this assertion is not encrypted.")
    to_next = assertion(role["Arn"], provider, encrypt_to=next_key.public_key())
    assert error_of(lambda: sts.assume_role_with_saml(RoleArn=role["Arn"], PrincipalArn=provider, SAMLAssertion=to_next)) == (
        "InvalidIdentityToken", "Unable to decrypt the SAML assertion with the private keys of the SAML provider.")
    # a rotation: both keys decrypt while both are there; Allowed takes plain assertions again
    iam.update_saml_provider(SAMLProviderArn=provider, AddPrivateKey=pem(next_key), AssertionEncryptionMode="Allowed")
    assert sts.assume_role_with_saml(RoleArn=role["Arn"], PrincipalArn=provider, SAMLAssertion=to_next)["Credentials"]
    assert sts.assume_role_with_saml(RoleArn=role["Arn"], PrincipalArn=provider,
                                     SAMLAssertion=assertion(role["Arn"], provider))["Credentials"]


# -- federation tokens and scoped sessions ----------------------------------------------------
def test_get_federation_token(cloud):
    iam = cloud.client("iam", account=ACCOUNT)
    iam.create_user(UserName="broker")
    iam.attach_user_policy(UserName="broker", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    iam.put_user_policy(UserName="broker", PolicyName="federate", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sts:GetFederationToken", "Resource": f"arn:aws:sts::{ACCOUNT}:federated-user/*"}]}))
    key = iam.create_access_key(UserName="broker")["AccessKey"]
    broker = cloud.client("sts", access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"])
    policy = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["iam:ListUsers", "iam:CreateUser"], "Resource": "*"}]})
    token = broker.get_federation_token(Name="jane", Policy=policy, DurationSeconds=900)
    assert token["FederatedUser"] == {"FederatedUserId": f"{ACCOUNT}:jane", "Arn": f"arn:aws:sts::{ACCOUNT}:federated-user/jane"}
    assert 0 < token["PackedPolicySize"] <= 100
    federated = token["Credentials"]
    assert session_client(cloud, "sts", federated).get_caller_identity()["Arn"] == f"arn:aws:sts::{ACCOUNT}:federated-user/jane"
    assert session_client(cloud, "iam", federated).list_users()["Users"]  # session policy and user policy allow it
    # the session policy allows CreateUser, the user's own policies do not
    assert error_of(lambda: session_client(cloud, "iam", federated).create_user(UserName="x"))[1].endswith(
        "because no identity-based policy allows the iam:CreateUser action")
    assert error_of(lambda: session_client(cloud, "iam", federated).list_roles())[1].endswith(
        "because no session policy allows the iam:ListRoles action")
    bare = broker.get_federation_token(Name="bare")["Credentials"]
    assert error_of(lambda: session_client(cloud, "iam", bare).list_users())[0] == "AccessDenied"
    assert error_of(lambda: session_client(cloud, "sts", federated).get_federation_token(Name="again"))[0] == "AccessDenied"
    assert error_of(lambda: broker.get_federation_token(Name="bad", Policy="{nope"))[0] == "MalformedPolicyDocument"


def test_get_scoped_credentials(cloud):
    iam = cloud.client("iam", account=ACCOUNT)
    role = iam.create_role(RoleName="wide", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": ACCOUNT}, "Action": "sts:AssumeRole"}]}))["Role"]
    iam.attach_role_policy(RoleName="wide", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    wide = cloud.client("sts", account=ACCOUNT).assume_role(RoleArn=role["Arn"], RoleSessionName="wide")["Credentials"]
    narrow_policy = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*"}]})
    scoped = session_client(cloud, "sts", wide).get_scoped_credentials(Policy=narrow_policy, DurationSeconds=900)
    assert scoped["ScopedPoliciesCount"] == 1 and scoped["SessionInfo"]["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/wide/wide"
    narrow = scoped["Credentials"]
    assert session_client(cloud, "iam", narrow).list_roles()["Roles"]
    assert error_of(lambda: session_client(cloud, "iam", narrow).list_users())[1].endswith(
        "because no session policy allows the iam:ListUsers action")
    assert session_client(cloud, "iam", wide).list_users()  # the original session is unchanged
    iam.create_user(UserName="u")
    key = iam.create_access_key(UserName="u")["AccessKey"]
    assert error_of(lambda: cloud.client("sts", access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"]).get_scoped_credentials(
        Policy=narrow_policy))[0] == "InvalidSubjectCredentials"
    assert error_of(lambda: session_client(cloud, "sts", wide).get_scoped_credentials(Policy=narrow_policy, DurationSeconds=43200))[0] == (
        "InsufficientSessionLifetime")


# -- EC2's encoded authorization messages ------------------------------------------------------
def test_decode_authorization_message(cloud):
    iam = cloud.client("iam", account=ACCOUNT)
    iam.create_user(UserName="netops")
    key = iam.create_access_key(UserName="netops")["AccessKey"]
    ec2 = cloud.client("ec2", access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"])
    code, message = error_of(lambda: ec2.create_vpc(CidrBlock="10.0.0.0/16"))
    assert code == "UnauthorizedOperation"
    assert " because no identity-based policy allows the ec2:CreateVpc action. Encoded authorization failure message: " in message
    encoded = message.rsplit("Encoded authorization failure message: ", 1)[1]
    decoded = json.loads(cloud.client("sts", account=ACCOUNT).decode_authorization_message(EncodedMessage=encoded)["DecodedMessage"])
    assert (decoded["allowed"], decoded["explicitDeny"]) == (False, False)
    assert decoded["context"]["action"] == "ec2:CreateVpc"
    assert decoded["context"]["principal"]["arn"] == f"arn:aws:iam::{ACCOUNT}:user/netops"
    assert {"key": "aws:Region", "values": {"items": [{"value": "us-east-1"}]}} in decoded["context"]["conditions"]["items"]
    # only the account it happened in may read it; anything else is not a message
    assert error_of(lambda: cloud.client("sts", account=OTHER).decode_authorization_message(EncodedMessage=encoded))[0] == (
        "InvalidAuthorizationMessageException")
    assert error_of(lambda: cloud.client("sts", account=ACCOUNT).decode_authorization_message(EncodedMessage="garbage"))[0] == (
        "InvalidAuthorizationMessageException")
    # Describe calls carry none, as on AWS
    assert "Encoded authorization failure message" not in error_of(lambda: ec2.describe_vpcs())[1]


# -- JWTs for outside services -----------------------------------------------------------------
def test_get_web_identity_token(cloud):
    sts = cloud.client("sts", account=ACCOUNT)
    assert error_of(lambda: sts.get_web_identity_token(Audience=["https://api.example.com"], SigningAlgorithm="ES384")) == (
        "OutboundWebIdentityFederationDisabledException", "Outbound web identity federation is disabled for this account.")
    iam = cloud.client("iam", account=ACCOUNT)
    issuer = iam.enable_outbound_web_identity_federation()["IssuerIdentifier"]
    info = iam.get_outbound_web_identity_federation_info()
    assert (info["IssuerIdentifier"], info["JwtVendingEnabled"]) == (issuer, True)
    assert error_of(lambda: iam.enable_outbound_web_identity_federation())[0] == "FeatureEnabled"
    token = sts.get_web_identity_token(Audience=["https://api.example.com"], SigningAlgorithm="ES384", DurationSeconds=120)
    header, claims, signature = token["WebIdentityToken"].split(".")
    pad = lambda s: s + "=" * (-len(s) % 4)  # noqa: E731
    claims_json = json.loads(base64.urlsafe_b64decode(pad(claims)))
    assert (claims_json["iss"], claims_json["aud"], claims_json["sub"]) == (issuer, "https://api.example.com", f"arn:aws:iam::{ACCOUNT}:root")
    assert claims_json["exp"] - claims_json["iat"] == 120
    jwks = cloud.cloud.services.api("sts").web_identity_keys()
    kid = json.loads(base64.urlsafe_b64decode(pad(header)))["kid"]
    jwk = next(k for k in jwks["keys"] if k["kid"] == kid)
    public = ec.EllipticCurvePublicNumbers(int.from_bytes(base64.urlsafe_b64decode(pad(jwk["x"])), "big"),
                                           int.from_bytes(base64.urlsafe_b64decode(pad(jwk["y"])), "big"), ec.SECP384R1()).public_key()
    raw = base64.urlsafe_b64decode(pad(signature))
    public.verify(encode_dss_signature(int.from_bytes(raw[:48], "big"), int.from_bytes(raw[48:], "big")),
                  f"{header}.{claims}".encode(), ec.ECDSA(hashes.SHA384()))
    rs = sts.get_web_identity_token(Audience=["a", "b"], SigningAlgorithm="RS256")["WebIdentityToken"]
    assert json.loads(base64.urlsafe_b64decode(pad(rs.split(".")[1])))["aud"] == ["a", "b"]
    iam.disable_outbound_web_identity_federation()
    assert error_of(lambda: sts.get_web_identity_token(Audience=["x"], SigningAlgorithm="RS256"))[0] == (
        "OutboundWebIdentityFederationDisabledException")


# -- RoleArn validation ------------------------------------------------------------------------
@pytest.mark.parametrize("role_arn", ["arn:aws:iam::12345:role/app", "arn:aws:s3:::bucket/role/app", "arn:aws:iam::111111111111:user/app",
                                      "not-an-arn-at-all-really"])
def test_malformed_role_arns_are_validation_errors(cloud, role_arn):
    assert error_of(lambda: cloud.client("sts", account=OTHER).assume_role(RoleArn=role_arn, RoleSessionName="s1")) == (
        "ValidationError", "Request ARN is invalid")


def test_well_formed_role_arns_are_access_denied(cloud):
    arn = f"arn:aws:iam::{ACCOUNT}:role/missing"
    assert error_of(lambda: cloud.client("sts", account=OTHER).assume_role(RoleArn=arn, RoleSessionName="s1")) == (
        "AccessDenied", f"User: arn:aws:iam::{OTHER}:root is not authorized to perform: sts:AssumeRole on resource: {arn}")
