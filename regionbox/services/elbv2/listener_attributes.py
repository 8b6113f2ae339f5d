"""Listener attributes: DescribeListenerAttributes and ModifyListenerAttributes (an application
load balancer's HTTP header modification), and what the nodes do with them.

- ``routing.http.response.*.header_value``: the node sets that header (HSTS, CORS, CSP,
  X-Content-Type-Options, X-Frame-Options) on every answer it passes on from a target, replacing
  the target's own; ``routing.http.response.server.enabled`` false leaves out ``Server: awselb/2.0``.
- ``routing.http.request.*.header_name`` (HTTPS listeners): the names of the headers the node
  adds to requests for mutual TLS in verify mode (``X-Amzn-Mtls-Clientcert-*``) and for the TLS
  version and cipher (the load balancer's ``routing.http.x_amzn_tls_version_and_cipher_suite.enabled``).
"""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError, invalid
from regionbox.services.elbv2.models import Elbv2State, Listener

RESPONSE = {  # attribute -> the header it sets
    "routing.http.response.strict_transport_security.header_value": "strict-transport-security",
    "routing.http.response.access_control_allow_origin.header_value": "access-control-allow-origin",
    "routing.http.response.access_control_allow_methods.header_value": "access-control-allow-methods",
    "routing.http.response.access_control_allow_headers.header_value": "access-control-allow-headers",
    "routing.http.response.access_control_allow_credentials.header_value": "access-control-allow-credentials",
    "routing.http.response.access_control_expose_headers.header_value": "access-control-expose-headers",
    "routing.http.response.access_control_max_age.header_value": "access-control-max-age",
    "routing.http.response.content_security_policy.header_value": "content-security-policy",
    "routing.http.response.x_content_type_options.header_value": "x-content-type-options",
    "routing.http.response.x_frame_options.header_value": "x-frame-options",
}
SERVER = "routing.http.response.server.enabled"
REQUEST = {  # attribute -> the header's default name
    "routing.http.request.x_amzn_mtls_clientcert_serial_number.header_name": "X-Amzn-Mtls-Clientcert-Serial-Number",
    "routing.http.request.x_amzn_mtls_clientcert_issuer.header_name": "X-Amzn-Mtls-Clientcert-Issuer",
    "routing.http.request.x_amzn_mtls_clientcert_subject.header_name": "X-Amzn-Mtls-Clientcert-Subject",
    "routing.http.request.x_amzn_mtls_clientcert_validity.header_name": "X-Amzn-Mtls-Clientcert-Validity",
    "routing.http.request.x_amzn_mtls_clientcert_leaf.header_name": "X-Amzn-Mtls-Clientcert-Leaf",
    "routing.http.request.x_amzn_mtls_clientcert.header_name": "X-Amzn-Mtls-Clientcert",
    "routing.http.request.x_amzn_tls_version.header_name": "X-Amzn-Tls-Version",
    "routing.http.request.x_amzn_tls_cipher_suite.header_name": "X-Amzn-Tls-Cipher-Suite",
}
_VALUES = {
    "routing.http.response.access_control_allow_credentials.header_value": re.compile(r"true"),
    "routing.http.response.x_content_type_options.header_value": re.compile(r"nosniff"),
    "routing.http.response.x_frame_options.header_value": re.compile(r"DENY|SAMEORIGIN|ALLOW-FROM \S+"),
    "routing.http.response.access_control_max_age.header_value": re.compile(r"\d+"),
}
_HEADER_NAME = re.compile(r"[A-Za-z0-9-]{1,40}")


def known(listener: Listener) -> dict[str, str]:
    """The listener's attributes with AWS's defaults (request header names: HTTPS only)."""
    keys = {SERVER: "true", **{key: "" for key in RESPONSE}}
    if listener.protocol == "HTTPS":
        keys.update({key: "" for key in REQUEST})
    return {**keys, **{k: v for k, v in listener.attributes.items() if k in keys}}


@dataclass
class HeaderSettings:
    """What a node port does to heads, from its listener's attributes (changed in place)."""
    response: list[tuple[str, str]] = field(default_factory=list)  # headers set on every proxied answer
    server: bool = True
    names: dict[str, str] = field(default_factory=dict)  # default request header name -> the name used

    def update(self, attributes: dict[str, str]) -> None:
        self.response = [(header, attributes[key]) for key, header in RESPONSE.items() if attributes.get(key)]
        self.server = attributes.get(SERVER, "true") != "false"
        self.names = {default: attributes.get(key) or default for key, default in REQUEST.items()}

    def name(self, default: str) -> str:
        return self.names.get(default, default)


def tls_headers(settings: HeaderSettings, der: bytes | None, version: str | None, cipher: str | None,
                with_tls: bool) -> str:
    """The request header lines a TLS connection's requests carry: the verified client certificate
    (mutual TLS, verify mode) and, when the load balancer's attribute asks, the TLS version and cipher."""
    lines = []
    if der:
        cert = x509.load_der_x509_certificate(der)
        pem = cert.public_bytes(serialization.Encoding.PEM).decode()
        validity = (f"NotBefore={cert.not_valid_before_utc:%Y-%m-%dT%H:%M:%SZ};"
                    f"NotAfter={cert.not_valid_after_utc:%Y-%m-%dT%H:%M:%SZ}")
        for default, value in (("X-Amzn-Mtls-Clientcert-Serial-Number", f"{cert.serial_number:X}"),
                               ("X-Amzn-Mtls-Clientcert-Issuer", cert.issuer.rfc4514_string()),
                               ("X-Amzn-Mtls-Clientcert-Subject", cert.subject.rfc4514_string()),
                               ("X-Amzn-Mtls-Clientcert-Validity", validity),
                               ("X-Amzn-Mtls-Clientcert-Leaf", urllib.parse.quote(pem, safe="=+/"))):
            lines.append(f"{settings.name(default)}: {value}\r\n")
    if with_tls and version:
        lines.append(f"{settings.name('X-Amzn-Tls-Version')}: {version}\r\n")
        lines.append(f"{settings.name('X-Amzn-Tls-Cipher-Suite')}: {cipher}\r\n")
    return "".join(lines)


class ListenerAttributes:
    def __init__(self, state: Elbv2State, settings) -> None:
        self.state = state
        self.settings = settings  # (listener ARN) -> the HeaderSettings its node ports share

    def describe_listener_attributes(self, ctx: RequestContext, params: dict) -> dict:
        listener = self.state.listener(ctx.scope, params["ListenerArn"])
        return {"Attributes": [{"Key": k, "Value": v} for k, v in known(listener).items()]}

    def modify_listener_attributes(self, ctx: RequestContext, params: dict) -> dict:
        listener = self.state.listener(ctx.scope, params["ListenerArn"])
        keys = known(listener)
        changes: dict[str, str] = {}
        for attribute in params["Attributes"]:
            key, value = attribute.get("Key", ""), attribute.get("Value", "")
            if key not in keys:
                raise ServiceError("InvalidConfigurationRequest",
                                   f"Attribute key '{key}' is not supported for {listener.protocol} listeners")
            if key == SERVER and value not in ("true", "false"):
                raise invalid(f"Attribute '{key}' can only be set to 'true' or 'false'")
            if key in REQUEST and value and not _HEADER_NAME.fullmatch(value):
                raise invalid(f"Header name '{value}' for attribute '{key}' is not valid")
            if key in _VALUES and value and not _VALUES[key].fullmatch(value):
                raise invalid(f"Value '{value}' is not valid for attribute '{key}'")
            if key in RESPONSE and len(value) > 1024:
                raise invalid(f"The value of attribute '{key}' cannot be longer than 1024 characters")
            changes[key] = value
        listener.attributes = {k: v for k, v in {**listener.attributes, **changes}.items() if v != ""}
        self.state.listeners.put(ctx.scope, listener.arn, listener)
        self.settings(listener.arn).update(known(listener))
        return {"Attributes": [{"Key": k, "Value": v} for k, v in known(listener).items()]}
