"""HTTPS listeners serve their security policy's protocols and ciphers, and verify clients with a
trust store whose CA bundle and revocation lists come from S3 (mutual TLS, verify mode)."""

from __future__ import annotations

import datetime
import socket
import ssl
import urllib.parse

import pytest
import requests
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.services.elbv2.helpers import load_balancer, register

CERTIFICATE = "arn:aws:acm:us-east-1:000000000000:certificate/0b9c3a5e-1111-2222-3333-444455556666"
NOW = datetime.datetime.now(datetime.timezone.utc)


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _ca(common: str):
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(_name(common)).issuer_name(_name(common)).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(NOW - datetime.timedelta(days=1))
            .not_valid_after(NOW + datetime.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True).sign(key, hashes.SHA256()))
    return key, cert


def _client(ca, common: str, tmp_path, expired: bool = False) -> tuple[str, str, x509.Certificate]:
    ca_key, ca_cert = ca
    key = ec.generate_private_key(ec.SECP256R1())
    end = NOW - datetime.timedelta(hours=1) if expired else NOW + datetime.timedelta(days=10)
    cert = (x509.CertificateBuilder().subject_name(_name(common)).issuer_name(ca_cert.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(NOW - datetime.timedelta(days=2))
            .not_valid_after(end).sign(ca_key, hashes.SHA256()))
    cert_path, key_path = tmp_path / f"{common}.crt", tmp_path / f"{common}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_path), str(key_path), cert


def _crl(ca, *revoked: x509.Certificate) -> bytes:
    ca_key, ca_cert = ca
    builder = (x509.CertificateRevocationListBuilder().issuer_name(ca_cert.subject).last_update(NOW - datetime.timedelta(hours=1))
               .next_update(NOW + datetime.timedelta(days=7)))
    for cert in revoked:
        builder = builder.add_revoked_certificate(x509.RevokedCertificateBuilder().serial_number(cert.serial_number)
                                                  .revocation_date(NOW - datetime.timedelta(minutes=5)).build())
    return builder.sign(ca_key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)


def _handshake(cloud, address: str, port: int, *, maximum=None, minimum=None, ciphers: str | None = None) -> str:
    """The TLS version a client with these limits agrees on with the node (raises ssl.SSLError if none)."""
    context = ssl.create_default_context(cafile=str(cloud.cloud.ca.ensure()))
    if maximum:
        context.maximum_version = maximum
    if minimum:
        context.minimum_version = minimum
    if ciphers:
        context.set_ciphers(ciphers)
    with socket.create_connection((address, port), timeout=10) as raw:
        with context.wrap_socket(raw, server_hostname=address) as tls:
            return tls.version()


def test_describe_ssl_policies_and_listeners_serving_them(cloud, targets):
    elb = cloud.client("elbv2")
    policies = elb.describe_ssl_policies(Names=["ELBSecurityPolicy-TLS13-1-2-2021-06"])["SslPolicies"]
    assert policies[0]["SslProtocols"] == ["TLSv1.3", "TLSv1.2"]
    assert policies[0]["Ciphers"][0] == {"Name": "TLS_AES_128_GCM_SHA256", "Priority": 1}
    assert {"Name": "ECDHE-ECDSA-AES128-GCM-SHA256", "Priority": 4} in policies[0]["Ciphers"]
    assert policies[0]["SupportedLoadBalancerTypes"] == ["application", "network"]
    everything = elb.describe_ssl_policies()["SslPolicies"]
    assert {"ELBSecurityPolicy-2016-08", "ELBSecurityPolicy-TLS13-1-3-2021-06",
            "ELBSecurityPolicy-FS-1-2-Res-2020-10"} <= {p["Name"] for p in everything}
    page = elb.describe_ssl_policies(PageSize=2)
    assert len(page["SslPolicies"]) == 2 and page["NextMarker"]
    rest = elb.describe_ssl_policies(PageSize=400, Marker=page["NextMarker"])["SslPolicies"]
    assert len(rest) == len(everything) - 2
    with pytest.raises(ClientError) as unknown:
        elb.describe_ssl_policies(Names=["ELBSecurityPolicy-Nope"])
    assert unknown.value.response["Error"]["Code"] == "SSLPolicyNotFound"

    made = load_balancer(cloud, "policies")
    register(elb, made["tg"]["TargetGroupArn"], targets[0])
    dns, forward = made["lb"]["DNSName"], [{"Type": "forward", "TargetGroupArn": made["tg"]["TargetGroupArn"]}]
    with pytest.raises(ClientError) as bad_policy:
        elb.create_listener(LoadBalancerArn=made["lb"]["LoadBalancerArn"], Protocol="HTTPS", Port=443,
                            DefaultActions=forward, Certificates=[{"CertificateArn": CERTIFICATE}],
                            SslPolicy="ELBSecurityPolicy-Made-Up")
    assert bad_policy.value.response["Error"]["Code"] == "SSLPolicyNotFound"
    only13 = elb.create_listener(LoadBalancerArn=made["lb"]["LoadBalancerArn"], Protocol="HTTPS", Port=443,
                                 DefaultActions=forward, Certificates=[{"CertificateArn": CERTIFICATE}],
                                 SslPolicy="ELBSecurityPolicy-TLS13-1-3-2021-06")["Listeners"][0]
    assert _handshake(cloud, dns, 443) == "TLSv1.3"
    with pytest.raises(ssl.SSLError):
        _handshake(cloud, dns, 443, maximum=ssl.TLSVersion.TLSv1_2)
    elb.modify_listener(ListenerArn=only13["ListenerArn"], SslPolicy="ELBSecurityPolicy-FS-1-2-Res-2020-10")
    assert _handshake(cloud, dns, 443, maximum=ssl.TLSVersion.TLSv1_2) == "TLSv1.2"
    with pytest.raises(ssl.SSLError):
        _handshake(cloud, dns, 443, minimum=ssl.TLSVersion.TLSv1_3)
    with pytest.raises(ssl.SSLError):  # a CBC suite: not in the Res policy
        _handshake(cloud, dns, 443, maximum=ssl.TLSVersion.TLSv1_2, ciphers="ECDHE-ECDSA-AES128-SHA256")
    elb.modify_listener(ListenerArn=only13["ListenerArn"], SslPolicy="ELBSecurityPolicy-TLS-1-2-2017-01")
    assert _handshake(cloud, dns, 443, maximum=ssl.TLSVersion.TLSv1_2, ciphers="ECDHE-ECDSA-AES128-SHA256") == "TLSv1.2"
    ca = str(cloud.cloud.ca.ensure())
    assert requests.get(f"https://{dns}/hello", verify=ca, timeout=10).json()["target"] == "a"


def test_mutual_tls_verify_with_a_trust_store_from_s3(cloud, targets, tmp_path):
    elb, s3 = cloud.client("elbv2"), cloud.client("s3")
    trusted, other = _ca("trusted CA"), _ca("other CA")
    alice = _client(trusted, "alice", tmp_path)
    bob = _client(trusted, "bob", tmp_path)
    mallory = _client(other, "mallory", tmp_path)
    late = _client(trusted, "late", tmp_path, expired=True)
    s3.create_bucket(Bucket="pki")
    s3.put_object(Bucket="pki", Key="bundle.pem", Body=trusted[1].public_bytes(serialization.Encoding.PEM))
    s3.put_object(Bucket="pki", Key="junk.pem", Body=b"not a certificate")
    s3.put_object(Bucket="pki", Key="revoked.crl", Body=_crl(trusted, bob[2]))

    with pytest.raises(ClientError) as missing:
        elb.create_trust_store(Name="clients", CaCertificatesBundleS3Bucket="pki", CaCertificatesBundleS3Key="nope.pem")
    assert missing.value.response["Error"]["Code"] == "CaCertificatesBundleNotFound"
    with pytest.raises(ClientError) as junk:
        elb.create_trust_store(Name="clients", CaCertificatesBundleS3Bucket="pki", CaCertificatesBundleS3Key="junk.pem")
    assert junk.value.response["Error"]["Code"] == "InvalidCaCertificatesBundle"
    store = elb.create_trust_store(Name="clients", CaCertificatesBundleS3Bucket="pki",
                                   CaCertificatesBundleS3Key="bundle.pem")["TrustStores"][0]
    assert (store["Status"], store["NumberOfCaCertificates"], store["TotalRevokedEntries"]) == ("ACTIVE", 1, 0)
    with pytest.raises(ClientError) as duplicate:
        elb.create_trust_store(Name="clients", CaCertificatesBundleS3Bucket="pki", CaCertificatesBundleS3Key="bundle.pem")
    assert duplicate.value.response["Error"]["Code"] == "DuplicateTrustStoreName"
    arn = store["TrustStoreArn"]
    assert elb.describe_trust_stores(Names=["clients"])["TrustStores"] == [store]
    location = elb.get_trust_store_ca_certificates_bundle(TrustStoreArn=arn)["Location"]
    assert "X-Amz-Signature=" in location
    downloaded = requests.get(location, timeout=10)
    assert x509.load_pem_x509_certificate(downloaded.content).subject == trusted[1].subject

    made = load_balancer(cloud, "mtls")
    register(elb, made["tg"]["TargetGroupArn"], targets[0])
    dns, forward = made["lb"]["DNSName"], [{"Type": "forward", "TargetGroupArn": made["tg"]["TargetGroupArn"]}]
    listener = elb.create_listener(LoadBalancerArn=made["lb"]["LoadBalancerArn"], Protocol="HTTPS", Port=443,
                                   DefaultActions=forward, Certificates=[{"CertificateArn": CERTIFICATE}],
                                   MutualAuthentication={"Mode": "verify", "TrustStoreArn": arn})["Listeners"][0]
    assert listener["MutualAuthentication"]["Mode"] == "verify"
    assert elb.describe_trust_store_associations(TrustStoreArn=arn)["TrustStoreAssociations"] == [
        {"ResourceArn": made["lb"]["LoadBalancerArn"]}]
    ca = str(cloud.cloud.ca.ensure())
    url = f"https://{dns}/who"

    def status(cert=None) -> int | str:
        try:
            return requests.get(url, verify=ca, cert=cert[:2] if cert else None, timeout=10).status_code
        except requests.exceptions.SSLError:
            return "refused"
        except requests.exceptions.ConnectionError:  # TLS 1.3: the alert may come as the connection closes
            return "refused"

    assert status(alice) == 200
    assert status(bob) == 200
    seen = requests.get(url, verify=ca, cert=alice[:2], timeout=10).json()["headers"]
    assert seen["X-Amzn-Mtls-Clientcert-Subject"] == "CN=alice"
    assert seen["X-Amzn-Mtls-Clientcert-Issuer"] == "CN=trusted CA"
    assert seen["X-Amzn-Mtls-Clientcert-Serial-Number"] == f"{alice[2].serial_number:X}"
    assert seen["X-Amzn-Mtls-Clientcert-Validity"].startswith("NotBefore=")
    assert x509.load_pem_x509_certificate(urllib.parse.unquote(seen["X-Amzn-Mtls-Clientcert-Leaf"]).encode()) == alice[2]
    assert "X-Amzn-Tls-Version" not in seen
    elb.modify_listener_attributes(ListenerArn=listener["ListenerArn"], Attributes=[
        {"Key": "routing.http.request.x_amzn_mtls_clientcert_subject.header_name", "Value": "X-Client-Subject"}])
    elb.modify_load_balancer_attributes(LoadBalancerArn=made["lb"]["LoadBalancerArn"], Attributes=[
        {"Key": "routing.http.x_amzn_tls_version_and_cipher_suite.enabled", "Value": "true"}])
    seen = requests.get(url, verify=ca, cert=alice[:2], timeout=10).json()["headers"]
    assert seen["X-Client-Subject"] == "CN=alice" and "X-Amzn-Mtls-Clientcert-Subject" not in seen
    assert seen["X-Amzn-Tls-Version"] in ("TLSv1.2", "TLSv1.3") and seen["X-Amzn-Tls-Cipher-Suite"]
    assert status() == "refused"
    assert status(mallory) == "refused"
    assert status(late) == "refused"

    revocation = elb.add_trust_store_revocations(TrustStoreArn=arn, RevocationContents=[
        {"S3Bucket": "pki", "S3Key": "revoked.crl", "RevocationType": "CRL"}])["TrustStoreRevocations"][0]
    assert (revocation["RevocationType"], revocation["NumberOfRevokedEntries"]) == ("CRL", 1)
    assert elb.describe_trust_stores(TrustStoreArns=[arn])["TrustStores"][0]["TotalRevokedEntries"] == 1
    assert status(bob) == "refused" and status(alice) == 200
    content = requests.get(elb.get_trust_store_revocation_content(
        TrustStoreArn=arn, RevocationId=revocation["RevocationId"])["Location"], timeout=10)
    assert x509.load_pem_x509_crl(content.content).get_revoked_certificate_by_serial_number(bob[2].serial_number)
    elb.remove_trust_store_revocations(TrustStoreArn=arn, RevocationIds=[revocation["RevocationId"]])
    assert elb.describe_trust_store_revocations(TrustStoreArn=arn)["TrustStoreRevocations"] == []
    assert status(bob) == 200
    with pytest.raises(ClientError) as unknown:
        elb.remove_trust_store_revocations(TrustStoreArn=arn, RevocationIds=[99])
    assert unknown.value.response["Error"]["Code"] == "RevocationIdNotFound"

    elb.modify_listener(ListenerArn=listener["ListenerArn"], MutualAuthentication={
        "Mode": "verify", "TrustStoreArn": arn, "IgnoreClientCertificateExpiry": True})
    assert status(late) == 200
    s3.put_bucket_versioning(Bucket="pki", VersioningConfiguration={"Status": "Enabled"})
    first = s3.put_object(Bucket="pki", Key="other.pem", Body=other[1].public_bytes(serialization.Encoding.PEM))
    s3.put_object(Bucket="pki", Key="other.pem", Body=b"overwritten")
    elb.modify_trust_store(TrustStoreArn=arn, CaCertificatesBundleS3Bucket="pki", CaCertificatesBundleS3Key="other.pem",
                           CaCertificatesBundleS3ObjectVersion=first["VersionId"])  # the version named, not the latest
    assert status(mallory) == 200 and status(alice) == "refused"

    with pytest.raises(ClientError) as in_use:
        elb.delete_trust_store(TrustStoreArn=arn)
    assert in_use.value.response["Error"]["Code"] == "TrustStoreInUse"
    elb.modify_listener(ListenerArn=listener["ListenerArn"], MutualAuthentication={"Mode": "off"})
    assert status() == 200
    elb.delete_trust_store(TrustStoreArn=arn)
    with pytest.raises(ClientError) as gone:
        elb.describe_trust_stores(TrustStoreArns=[arn])
    assert gone.value.response["Error"]["Code"] == "TrustStoreNotFound"
    assert urllib.parse.urlsplit(location).path == "/pki/bundle.pem"


def test_listener_attributes_set_response_headers(cloud, targets):
    elb = cloud.client("elbv2")
    made = load_balancer(cloud, "headers")
    register(elb, made["tg"]["TargetGroupArn"], targets[0])
    arn = made["listener"]["ListenerArn"]
    described = {a["Key"]: a["Value"] for a in elb.describe_listener_attributes(ListenerArn=arn)["Attributes"]}
    assert described["routing.http.response.server.enabled"] == "true"
    assert described["routing.http.response.strict_transport_security.header_value"] == ""
    assert not any(key.startswith("routing.http.request.") for key in described)  # those are HTTPS listeners'
    url = f"{made['url']}/page"
    plain = requests.get(url, timeout=10)
    assert plain.headers["Server"].startswith("BaseHTTP") and "Strict-Transport-Security" not in plain.headers
    changed = elb.modify_listener_attributes(ListenerArn=arn, Attributes=[
        {"Key": "routing.http.response.server.enabled", "Value": "false"},
        {"Key": "routing.http.response.strict_transport_security.header_value", "Value": "max-age=31536000"},
        {"Key": "routing.http.response.x_frame_options.header_value", "Value": "DENY"},
        {"Key": "routing.http.response.x_content_type_options.header_value", "Value": "nosniff"}])["Attributes"]
    assert {"Key": "routing.http.response.x_frame_options.header_value", "Value": "DENY"} in changed
    answer = requests.get(url, timeout=10)
    assert "Server" not in answer.headers
    assert (answer.headers["Strict-Transport-Security"], answer.headers["X-Frame-Options"],
            answer.headers["X-Content-Type-Options"]) == ("max-age=31536000", "DENY", "nosniff")
    assert answer.json()["target"] == "a"
    for key, value in (("routing.http.response.x_frame_options.header_value", "MAYBE"),
                       ("routing.http.request.x_amzn_tls_version.header_name", "X-Tls")):
        with pytest.raises(ClientError) as refused:
            elb.modify_listener_attributes(ListenerArn=arn, Attributes=[{"Key": key, "Value": value}])
        assert refused.value.response["Error"]["Code"] in ("ValidationError", "InvalidConfigurationRequest")
