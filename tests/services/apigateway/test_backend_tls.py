"""A stage's client certificate presented to an HTTPS backend that requires it, and private
integrations through a VPC link to a load balancer regionbox serves."""

from __future__ import annotations

import datetime
import http.server
import json
import ssl
import threading

import pytest
import requests
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from regionbox.testing.waiting import eventually
from tests.services.apigateway.helpers import invoke_url
from tests.services.elbv2.helpers import Target, load_balancer, register, wait_healthy


class _Peer(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        peer = self.connection.getpeercert()
        subject = dict(part[0] for part in peer["subject"]) if peer else {}
        out = json.dumps({"client": subject.get("commonName"), "path": self.path}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def log_message(self, *args) -> None:
        pass


def _server_certificate(directory) -> tuple[str, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "backend")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=2)).sign(key, hashes.SHA256()))
    cert_path, key_path = directory / "server.crt", directory / "server.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_path), str(key_path)


def _mutual_tls_backend(tmp_path, trusted_pem: str) -> http.server.ThreadingHTTPServer:
    """An HTTPS server that accepts only clients whose certificate is ``trusted_pem``."""
    (tmp_path / "trusted.pem").write_text(trusted_pem)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*_server_certificate(tmp_path))
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_verify_locations(str(tmp_path / "trusted.pem"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Peer)
    server.daemon_threads = True
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _http_api(gw, uri: str, **integration) -> str:
    api = gw.create_rest_api(name="backend")
    proxy = gw.create_resource(restApiId=api["id"], parentId=api["rootResourceId"], pathPart="{proxy+}")
    gw.put_method(restApiId=api["id"], resourceId=proxy["id"], httpMethod="GET", authorizationType="NONE",
                  requestParameters={"method.request.path.proxy": True})
    gw.put_integration(restApiId=api["id"], resourceId=proxy["id"], httpMethod="GET", type="HTTP_PROXY",
                       integrationHttpMethod="GET", uri=uri,
                       requestParameters={"integration.request.path.proxy": "method.request.path.proxy"}, **integration)
    gw.create_deployment(restApiId=api["id"], stageName="prod")
    return api["id"]


def test_stage_client_certificate_reaches_a_backend_that_requires_it(cloud, tmp_path):
    gw = cloud.client("apigateway")
    certificate = gw.generate_client_certificate(description="to the backend", tags={"team": "api"})
    pem = certificate["pemEncodedCertificate"]
    parsed = x509.load_pem_x509_certificate(pem.encode())
    assert pem.startswith("-----BEGIN CERTIFICATE-----")
    assert parsed.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == certificate["clientCertificateId"]
    assert (certificate["expirationDate"] - certificate["createdDate"]).days == 365
    server = _mutual_tls_backend(tmp_path, pem)
    try:
        port = server.server_address[1]
        api = _http_api(gw, f"https://127.0.0.1:{port}/{{proxy}}", tlsConfig={"insecureSkipVerification": True})
        refused = requests.get(invoke_url(cloud, api, "prod", "/hello"))  # no certificate: the handshake fails
        assert (refused.status_code, refused.json()) == (500, {"message": "Internal server error"})
        gw.update_stage(restApiId=api, stageName="prod", patchOperations=[
            {"op": "replace", "path": "/clientCertificateId", "value": certificate["clientCertificateId"]}])
        answer = requests.get(invoke_url(cloud, api, "prod", "/hello"))
        assert answer.json() == {"client": certificate["clientCertificateId"], "path": "/hello"}
    finally:
        server.shutdown()
        server.server_close()
    gw.update_client_certificate(clientCertificateId=certificate["clientCertificateId"],
                                 patchOperations=[{"op": "replace", "path": "/description", "value": "renamed"}])
    listed = gw.get_client_certificates()["items"]
    assert [(c["clientCertificateId"], c["description"]) for c in listed] == [
        (certificate["clientCertificateId"], "renamed")]
    gw.delete_client_certificate(clientCertificateId=certificate["clientCertificateId"])
    with pytest.raises(ClientError) as gone:
        gw.get_client_certificate(clientCertificateId=certificate["clientCertificateId"])
    assert (gone.value.response["Error"]["Code"], gone.value.response["Error"]["Message"]) == (
        "NotFoundException", "Invalid Client Certificate identifier specified")


def test_private_integration_through_a_vpc_link_to_a_load_balancer(cloud):
    gw, elb = cloud.client("apigateway"), cloud.client("elbv2")
    target = Target("private")
    try:
        made = load_balancer(cloud, "private")
        register(elb, made["tg"]["TargetGroupArn"], target)
        wait_healthy(elb, made["tg"]["TargetGroupArn"], target)
        link = gw.create_vpc_link(name="to-alb", targetArns=[made["lb"]["LoadBalancerArn"]])
        assert link["status"] == "PENDING"
        eventually(lambda: gw.get_vpc_link(vpcLinkId=link["id"])["status"] == "AVAILABLE", what="an available link")
        api = _http_api(gw, "http://orders.internal.example/{proxy}", connectionType="VPC_LINK",
                        connectionId="${stageVariables.link}")
        gw.update_stage(restApiId=api, stageName="prod", patchOperations=[
            {"op": "replace", "path": "/variables/link", "value": link["id"]}])
        answer = requests.get(invoke_url(cloud, api, "prod", "/orders/7"))
        assert answer.status_code == 200
        seen = answer.json()
        assert (seen["target"], seen["path"], seen["headers"]["Host"]) == ("private", "/orders/7",
                                                                          "orders.internal.example")
        gw.delete_vpc_link(vpcLinkId=link["id"])
        assert requests.get(invoke_url(cloud, api, "prod", "/orders/7")).status_code == 500
    finally:
        target.close()
    failed = gw.create_vpc_link(name="nowhere", targetArns=[
        "arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/net/gone/0123456789abcdef"])
    eventually(lambda: gw.get_vpc_link(vpcLinkId=failed["id"])["status"] == "FAILED", what="a failed link")
    with pytest.raises(ClientError) as malformed:
        gw.create_vpc_link(name="bad", targetArns=["arn:aws:s3:::bucket"])
    assert malformed.value.response["Error"]["Code"] == "BadRequestException"
