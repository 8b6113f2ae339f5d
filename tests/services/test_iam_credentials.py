"""Users' credentials besides access keys, through boto3: passwords (login profiles, the account
password policy, ChangePassword), virtual MFA devices with real TOTP codes, signing
certificates, SSH public keys and service-specific credentials."""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import struct
import time
import zlib

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from tests.services.iam_support import error_of

ACCOUNT = "123456789012"


@pytest.fixture
def iam(cloud):
    return cloud.client("iam", account=ACCOUNT)


def totp(seed: str, step: int) -> str:
    """RFC 6238, as an authenticator app computes it."""
    key = base64.b32decode(seed)
    digest = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    return str((struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF) % 1000000).zfill(6)


def enable(iam, user: str, serial: str, seed: bytes) -> None:
    """Enable a device with two consecutive codes, as a user copies them from the app."""
    now = int(time.time()) // 30
    seed = seed.decode()
    iam.enable_mfa_device(UserName=user, SerialNumber=serial, AuthenticationCode1=totp(seed, now - 1),
                          AuthenticationCode2=totp(seed, now))


# -- passwords -------------------------------------------------------------------------------
def test_login_profile_lifecycle(iam):
    iam.create_user(UserName="ann")
    profile = iam.create_login_profile(UserName="ann", Password="Str0ng-Passw0rd", PasswordResetRequired=True)["LoginProfile"]
    assert (profile["UserName"], profile["PasswordResetRequired"]) == ("ann", True)
    assert error_of(lambda: iam.create_login_profile(UserName="ann", Password="Str0ng-Passw0rd")) == (
        "EntityAlreadyExists", "Login Profile for user ann already exists.")
    assert iam.get_login_profile(UserName="ann")["LoginProfile"]["CreateDate"] == profile["CreateDate"]
    iam.update_login_profile(UserName="ann", PasswordResetRequired=False)
    assert iam.get_login_profile(UserName="ann")["LoginProfile"]["PasswordResetRequired"] is False
    iam.delete_login_profile(UserName="ann")
    assert error_of(lambda: iam.get_login_profile(UserName="ann")) == ("NoSuchEntity", "Login Profile for User ann cannot be found.")


def test_password_policy_is_enforced(cloud, iam):
    assert error_of(lambda: iam.get_account_password_policy()) == (
        "NoSuchEntity", f"The Password Policy with domain name {ACCOUNT} cannot be found.")
    iam.create_user(UserName="ben")
    # IAM's default policy: eight characters, three kinds of characters
    assert error_of(lambda: iam.create_login_profile(UserName="ben", Password="password")) == (
        "PasswordPolicyViolation", "Password does not conform to the account password policy.")
    iam.update_account_password_policy(MinimumPasswordLength=12, RequireSymbols=True, RequireNumbers=True,
                                       RequireUppercaseCharacters=True, RequireLowercaseCharacters=True,
                                       AllowUsersToChangePassword=True, MaxPasswordAge=90, PasswordReusePrevention=2)
    policy = iam.get_account_password_policy()["PasswordPolicy"]
    assert policy == {"MinimumPasswordLength": 12, "RequireSymbols": True, "RequireNumbers": True,
                      "RequireUppercaseCharacters": True, "RequireLowercaseCharacters": True,
                      "AllowUsersToChangePassword": True, "ExpirePasswords": True, "MaxPasswordAge": 90,
                      "PasswordReusePrevention": 2, "HardExpiry": False}
    for password, message in [("Sh0rt!", "Password should have a minimum length of 12"),
                              ("alllowercase1!", "Password should have at least one uppercase letter"),
                              ("ALLUPPERCASE1!", "Password should have at least one lowercase letter"),
                              ("NoNumbersHere!", "Password should have at least one number"),
                              ("NoSymbols12345", "Password should have at least one symbol")]:
        assert error_of(lambda: iam.create_login_profile(UserName="ben", Password=password)) == ("PasswordPolicyViolation", message)
    iam.create_login_profile(UserName="ben", Password="Good-Passw0rd!")
    key = iam.create_access_key(UserName="ben")["AccessKey"]
    ben = cloud.client("iam", access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"])
    iam.put_user_policy(UserName="ben", PolicyName="self", PolicyDocument='{"Version": "2012-10-17", "Statement": '
                        '[{"Effect": "Allow", "Action": "iam:ChangePassword", "Resource": "*"}]}')
    assert error_of(lambda: ben.change_password(OldPassword="wrong-Passw0rd!", NewPassword="Other-Passw0rd!"))[0] == "AccessDenied"
    ben.change_password(OldPassword="Good-Passw0rd!", NewPassword="Other-Passw0rd!")
    # the last two passwords may not come back
    assert error_of(lambda: ben.change_password(OldPassword="Other-Passw0rd!", NewPassword="Good-Passw0rd!")) == (
        "PasswordPolicyViolation", "Password should not be one of your previous 2 passwords")
    assert error_of(lambda: iam.change_password(OldPassword="a", NewPassword="b"))[0] == "InvalidUserType"
    iam.delete_account_password_policy()
    assert error_of(lambda: iam.delete_account_password_policy())[0] == "NoSuchEntity"


# -- MFA -------------------------------------------------------------------------------------
def test_virtual_mfa_device_with_real_totp_codes(iam):
    iam.create_user(UserName="cat")
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName="cat-phone", Path="/team/",
                                           Tags=[{"Key": "owner", "Value": "cat"}])["VirtualMFADevice"]
    serial = device["SerialNumber"]
    assert serial == f"arn:aws:iam::{ACCOUNT}:mfa/team/cat-phone"
    seed = device["Base32StringSeed"].decode()
    assert len(seed) == 64 and set(seed) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    png = device["QRCodePNG"]
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = struct.unpack(">II", png[16:24])
    assert width == height and width > 80  # a real, square QR code image
    idat = png.index(b"IDAT")
    assert zlib.decompress(png[idat + 4:idat + 4 + struct.unpack(">I", png[idat - 4:idat])[0]])
    assert error_of(lambda: iam.create_virtual_mfa_device(VirtualMFADeviceName="cat-phone")) == (
        "EntityAlreadyExists", "MFADevice entity at the same path and name already exists.")
    now = int(time.time()) // 30
    assert error_of(lambda: iam.enable_mfa_device(UserName="cat", SerialNumber=serial, AuthenticationCode1="123456",
                                                  AuthenticationCode2="654321")) == (
        "InvalidAuthenticationCode", "Authentication code for device is not valid.")
    # two codes, but not consecutive
    assert error_of(lambda: iam.enable_mfa_device(UserName="cat", SerialNumber=serial, AuthenticationCode1=totp(seed, now - 3),
                                                  AuthenticationCode2=totp(seed, now)))[0] == "InvalidAuthenticationCode"
    iam.enable_mfa_device(UserName="cat", SerialNumber=serial, AuthenticationCode1=totp(seed, now - 1),
                          AuthenticationCode2=totp(seed, now))
    listed = iam.list_mfa_devices(UserName="cat")["MFADevices"]
    assert [(d["UserName"], d["SerialNumber"]) for d in listed] == [("cat", serial)]
    assert iam.get_mfa_device(SerialNumber=serial)["UserName"] == "cat"
    assigned = iam.list_virtual_mfa_devices(AssignmentStatus="Assigned")["VirtualMFADevices"]
    assert [(d["SerialNumber"], d["User"]["UserName"]) for d in assigned] == [(serial, "cat")]
    assert iam.list_virtual_mfa_devices(AssignmentStatus="Unassigned")["VirtualMFADevices"] == []
    assert error_of(lambda: iam.delete_virtual_mfa_device(SerialNumber=serial)) == (
        "DeleteConflict", "MFA VirtualDevice in use. Must deactivate first.")
    # codes already used are not accepted again: resync needs newer ones
    assert error_of(lambda: iam.resync_mfa_device(UserName="cat", SerialNumber=serial, AuthenticationCode1=totp(seed, now - 1),
                                                  AuthenticationCode2=totp(seed, now)))[0] == "InvalidAuthenticationCode"
    assert iam.list_mfa_device_tags(SerialNumber=serial)["Tags"] == [{"Key": "owner", "Value": "cat"}]
    iam.untag_mfa_device(SerialNumber=serial, TagKeys=["owner"])
    iam.deactivate_mfa_device(UserName="cat", SerialNumber=serial)
    iam.delete_virtual_mfa_device(SerialNumber=serial)
    assert iam.list_virtual_mfa_devices()["VirtualMFADevices"] == []
    missing = f"arn:aws:iam::{ACCOUNT}:mfa/none"
    assert error_of(lambda: iam.delete_virtual_mfa_device(SerialNumber=missing)) == (
        "NoSuchEntity", f"VirtualMFADevice with serial number {missing} doesn't exist.")


def test_virtual_mfa_devices_page(iam):
    for index in range(3):
        iam.create_virtual_mfa_device(VirtualMFADeviceName=f"d{index}")
    page = iam.list_virtual_mfa_devices(MaxItems=2)
    assert len(page["VirtualMFADevices"]) == 2 and page["IsTruncated"]
    assert len(iam.list_virtual_mfa_devices(Marker=page["Marker"])["VirtualMFADevices"]) == 1


# -- certificates and keys -------------------------------------------------------------------
def certificate_pem(key=None, name="example.com") -> tuple[str, str]:
    key = key or ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=30)).sign(key, hashes.SHA256()))
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return cert.public_bytes(serialization.Encoding.PEM).decode(), key_pem.decode()


def test_signing_certificates(iam):
    iam.create_user(UserName="dan")
    body, _ = certificate_pem()
    cert = iam.upload_signing_certificate(UserName="dan", CertificateBody=body)["Certificate"]
    assert (cert["UserName"], cert["Status"]) == ("dan", "Active")
    assert error_of(lambda: iam.upload_signing_certificate(UserName="dan", CertificateBody=body))[0] == "DuplicateCertificate"
    assert error_of(lambda: iam.upload_signing_certificate(UserName="dan", CertificateBody="-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----"))[0] == "MalformedCertificate"
    iam.upload_signing_certificate(UserName="dan", CertificateBody=certificate_pem()[0])
    assert error_of(lambda: iam.upload_signing_certificate(UserName="dan", CertificateBody=certificate_pem()[0])) == (
        "LimitExceeded", "Cannot exceed quota for CertificatesPerUser: 2")
    iam.update_signing_certificate(UserName="dan", CertificateId=cert["CertificateId"], Status="Inactive")
    listed = iam.list_signing_certificates(UserName="dan")["Certificates"]
    assert [c["Status"] for c in listed] == ["Inactive", "Active"]
    assert error_of(lambda: iam.delete_user(UserName="dan")) == (
        "DeleteConflict", "Cannot delete entity, must delete signing certificates first.")
    for c in listed:
        iam.delete_signing_certificate(UserName="dan", CertificateId=c["CertificateId"])
    iam.delete_user(UserName="dan")


def test_ssh_public_keys_with_fingerprints(iam):
    iam.create_user(UserName="eve")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    openssh = key.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()
    uploaded = iam.upload_ssh_public_key(UserName="eve", SSHPublicKeyBody=openssh + " eve@laptop")["SSHPublicKey"]
    blob = base64.b64decode(openssh.split()[1])
    digest = hashlib.md5(blob).hexdigest()
    assert uploaded["Fingerprint"] == ":".join(digest[i:i + 2] for i in range(0, 32, 2))
    assert uploaded["Status"] == "Active" and uploaded["SSHPublicKeyId"].startswith("APKA")
    pem = iam.get_ssh_public_key(UserName="eve", SSHPublicKeyId=uploaded["SSHPublicKeyId"], Encoding="PEM")["SSHPublicKey"]
    assert serialization.load_pem_public_key(pem["SSHPublicKeyBody"].encode()).public_numbers() == key.public_numbers()
    assert error_of(lambda: iam.upload_ssh_public_key(UserName="eve", SSHPublicKeyBody=openssh))[0] == "DuplicateSSHPublicKey"
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024).public_key()
    assert error_of(lambda: iam.upload_ssh_public_key(UserName="eve", SSHPublicKeyBody=small.public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode())) == (
        "InvalidPublicKey", "The public key must be at least 2048 bits long.")
    assert error_of(lambda: iam.upload_ssh_public_key(UserName="eve", SSHPublicKeyBody="hello world"))[0] == "UnrecognizedPublicKeyEncoding"
    iam.update_ssh_public_key(UserName="eve", SSHPublicKeyId=uploaded["SSHPublicKeyId"], Status="Inactive")
    assert iam.list_ssh_public_keys(UserName="eve")["SSHPublicKeys"][0]["Status"] == "Inactive"
    iam.delete_ssh_public_key(UserName="eve", SSHPublicKeyId=uploaded["SSHPublicKeyId"])
    assert iam.list_ssh_public_keys(UserName="eve")["SSHPublicKeys"] == []


def test_service_specific_credentials(iam):
    iam.create_user(UserName="fay")
    created = iam.create_service_specific_credential(UserName="fay", ServiceName="codecommit.amazonaws.com")["ServiceSpecificCredential"]
    assert created["ServiceUserName"] == f"fay-at-{ACCOUNT}" and created["ServicePassword"]
    assert error_of(lambda: iam.create_service_specific_credential(UserName="fay", ServiceName="s3.amazonaws.com")) == (
        "NotSupportedService", "The specified service is not supported.")
    listed = iam.list_service_specific_credentials(UserName="fay")["ServiceSpecificCredentials"]
    assert "ServicePassword" not in listed[0]
    reset = iam.reset_service_specific_credential(UserName="fay", ServiceSpecificCredentialId=created["ServiceSpecificCredentialId"])
    assert reset["ServiceSpecificCredential"]["ServicePassword"] != created["ServicePassword"]
    iam.update_service_specific_credential(UserName="fay", ServiceSpecificCredentialId=created["ServiceSpecificCredentialId"], Status="Inactive")
    iam.delete_service_specific_credential(UserName="fay", ServiceSpecificCredentialId=created["ServiceSpecificCredentialId"])
    assert iam.list_service_specific_credentials(UserName="fay")["ServiceSpecificCredentials"] == []
