"""AS2 trading partners as configuration: certificates really parsed (validity and serial from the
X.509 itself, a private key that must be the certificate's), LOCAL and PARTNER profiles using
them, and agreements between the two on a server with the AS2 protocol."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.services.iam_support import error_of
from tests.services.transfer.helpers import ACCOUNT, clients, online, role

NOT_BEFORE = datetime(2026, 1, 1, tzinfo=timezone.utc)
NOT_AFTER = datetime(2036, 1, 1, tzinfo=timezone.utc)


def certificate(name: str, serial: int, not_before=NOT_BEFORE, not_after=NOT_AFTER) -> tuple[str, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(serial).not_valid_before(not_before).not_valid_after(not_after).sign(key, hashes.SHA256()))
    return (cert.public_bytes(serialization.Encoding.PEM).decode(),
            key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption()).decode())


def test_certificates_profiles_and_agreements(cloud):
    transfer, _, _ = clients(cloud)
    ours, our_key = certificate("us.example", 0x1234ABCD)
    theirs, their_key = certificate("partner.example", 77)

    signing = transfer.import_certificate(Usage="SIGNING", Certificate=ours, PrivateKey=our_key, Description="our-signing",
                                          Tags=[{"Key": "env", "Value": "test"}])["CertificateId"]
    described = transfer.describe_certificate(CertificateId=signing)["Certificate"]
    assert described["Serial"] == "1234abcd" and described["Type"] == "CERTIFICATE_WITH_PRIVATE_KEY"
    assert described["NotBeforeDate"] == NOT_BEFORE and described["NotAfterDate"] == NOT_AFTER
    assert described["ActiveDate"] == NOT_BEFORE and described["Status"] == "ACTIVE"
    assert described["Certificate"] == ours.strip() and "PrivateKey" not in described
    assert described["Arn"] == f"arn:aws:transfer:us-east-1:{ACCOUNT}:certificate/{signing}"

    # A later ActiveDate: waiting to rotate in; an InactiveDate passed: inactive.
    later = datetime.now(timezone.utc) + timedelta(days=30)
    partner_cert = transfer.import_certificate(Usage="ENCRYPTION", Certificate=theirs, ActiveDate=later)["CertificateId"]
    assert transfer.describe_certificate(CertificateId=partner_cert)["Certificate"]["Status"] == "PENDING_ROTATION"
    transfer.update_certificate(CertificateId=partner_cert, ActiveDate=NOT_BEFORE, InactiveDate=datetime(2026, 2, 1, tzinfo=timezone.utc))
    shown = transfer.describe_certificate(CertificateId=partner_cert)["Certificate"]
    assert shown["Status"] == "INACTIVE" and shown["Type"] == "CERTIFICATE"
    transfer.update_certificate(CertificateId=partner_cert, InactiveDate=NOT_AFTER)

    assert error_of(lambda: transfer.import_certificate(Usage="SIGNING", Certificate="not a certificate"))[0] == \
        "InvalidRequestException"
    assert error_of(lambda: transfer.import_certificate(Usage="SIGNING", Certificate=ours, PrivateKey=their_key)) == (
        "InvalidRequestException", "The private key does not match the certificate")
    listed = transfer.list_certificates(MaxResults=1)
    assert [c["CertificateId"] for c in listed["Certificates"]] == [signing]
    assert [c["CertificateId"] for c in transfer.list_certificates(NextToken=listed["NextToken"])["Certificates"]] == [partner_cert]

    local = transfer.create_profile(As2Id="US-AS2", ProfileType="LOCAL", CertificateIds=[signing])["ProfileId"]
    partner = transfer.create_profile(As2Id="PARTNER-AS2", ProfileType="PARTNER")["ProfileId"]
    transfer.update_profile(ProfileId=partner, CertificateIds=[partner_cert])
    assert transfer.describe_profile(ProfileId=partner)["Profile"]["CertificateIds"] == [partner_cert]
    assert [p["ProfileId"] for p in transfer.list_profiles(ProfileType="LOCAL")["Profiles"]] == [local]
    assert error_of(lambda: transfer.create_profile(As2Id="X", ProfileType="LOCAL", CertificateIds=["cert-" + "0" * 17]))[0] \
        == "ResourceNotFoundException"
    assert error_of(lambda: transfer.delete_certificate(CertificateId=signing))[0] == "InvalidRequestException"  # in use

    # Agreements live on servers with AS2 (a VPC endpoint, as AWS requires).
    ec2 = cloud.client("ec2", account=ACCOUNT)
    subnets = ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"]
    vpc = {"VpcId": subnets[0]["VpcId"], "SubnetIds": [subnets[0]["SubnetId"]]}
    assert "VPC" in error_of(lambda: transfer.create_server(Protocols=["AS2"]))[1]
    server_id = transfer.create_server(Protocols=["AS2"], EndpointType="VPC", EndpointDetails=vpc)["ServerId"]
    online(transfer, server_id)
    sftp_only = transfer.create_server(Protocols=["SFTP"])["ServerId"]
    access = role(cloud, "as2-access")

    assert "AS2" in error_of(lambda: transfer.create_agreement(ServerId=sftp_only, LocalProfileId=local, PartnerProfileId=partner,
                                                            AccessRole=access, BaseDirectory="/inbox"))[1]
    assert "LOCAL" in error_of(lambda: transfer.create_agreement(ServerId=server_id, LocalProfileId=partner,
                                                              PartnerProfileId=partner, AccessRole=access,
                                                              BaseDirectory="/inbox"))[1]
    agreement = transfer.create_agreement(ServerId=server_id, LocalProfileId=local, PartnerProfileId=partner,
                                          AccessRole=access, BaseDirectory="/as2-bucket/inbox", Description="orders",
                                          Tags=[{"Key": "flow", "Value": "orders"}])["AgreementId"]
    assert error_of(lambda: transfer.create_agreement(ServerId=server_id, LocalProfileId=local, PartnerProfileId=partner,
                                                   AccessRole=access, BaseDirectory="/x"))[0] == "ResourceExistsException"
    shown = transfer.describe_agreement(ServerId=server_id, AgreementId=agreement)["Agreement"]
    assert shown["Status"] == "ACTIVE" and shown["BaseDirectory"] == "/as2-bucket/inbox"
    assert shown["Arn"] == f"arn:aws:transfer:us-east-1:{ACCOUNT}:agreement/{server_id}/{agreement}"
    directories = {k: f"/as2-bucket/{k}" for k in ("FailedFilesDirectory", "MdnFilesDirectory", "PayloadFilesDirectory",
                                                    "StatusFilesDirectory", "TemporaryFilesDirectory")}
    transfer.update_agreement(ServerId=server_id, AgreementId=agreement, Status="INACTIVE", CustomDirectories=directories)
    shown = transfer.describe_agreement(ServerId=server_id, AgreementId=agreement)["Agreement"]
    assert shown["Status"] == "INACTIVE" and shown["CustomDirectories"] == directories and "BaseDirectory" not in shown
    assert [a["AgreementId"] for a in transfer.list_agreements(ServerId=server_id)["Agreements"]] == [agreement]
    assert transfer.list_tags_for_resource(Arn=shown["Arn"])["Tags"] == [{"Key": "flow", "Value": "orders"}]

    assert error_of(lambda: transfer.delete_profile(ProfileId=local))[0] == "InvalidRequestException"  # the agreement uses it
    transfer.delete_agreement(ServerId=server_id, AgreementId=agreement)
    assert error_of(lambda: transfer.describe_agreement(ServerId=server_id, AgreementId=agreement))[0] == "ResourceNotFoundException"
    transfer.delete_profile(ProfileId=local)
    transfer.delete_certificate(CertificateId=signing)
    assert error_of(lambda: transfer.describe_certificate(CertificateId=signing))[0] == "ResourceNotFoundException"
