"""Security policies of HTTPS listeners: DescribeSSLPolicies, and the TLS settings a node serves.

The table is AWS's (protocols and ciphers in AWS's priority order, OpenSSL names). A node's TLS
context offers exactly the policy's protocols and, for TLS 1.2 and older, its ciphers; TLS 1.3's
suites are OpenSSL's three, the ones every TLS13 policy lists. Nodes' certificates are ECDSA
(the local CA's), so of a policy's ciphers the ECDHE-ECDSA ones are those a client can agree on.
"""

from __future__ import annotations

import ssl
import warnings
from typing import Any

from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError
from regionbox.core.pagination import Paginator
from regionbox.services.elbv2.load_balancers import page_of

DEFAULT_POLICY = "ELBSecurityPolicy-2016-08"  # what CreateListener takes when given none, as AWS's API does

TLS13 = ["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"]
_GCM = ["ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256"]
_GCM256 = ["ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384"]
_FS_SHA2 = ["ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES128-SHA256",
            "ECDHE-RSA-AES128-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384",
            "ECDHE-ECDSA-AES256-SHA384", "ECDHE-RSA-AES256-SHA384"]
_FS_ALL = ["ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES128-SHA256",
           "ECDHE-RSA-AES128-SHA256", "ECDHE-ECDSA-AES128-SHA", "ECDHE-RSA-AES128-SHA",
           "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-ECDSA-AES256-SHA384",
           "ECDHE-RSA-AES256-SHA384", "ECDHE-RSA-AES256-SHA", "ECDHE-ECDSA-AES256-SHA"]
_RSA_SHA2 = ["AES128-GCM-SHA256", "AES128-SHA256", "AES256-GCM-SHA384", "AES256-SHA256"]
_RSA_ALL = ["AES128-GCM-SHA256", "AES128-SHA256", "AES128-SHA", "AES256-GCM-SHA384", "AES256-SHA256", "AES256-SHA"]
_V10, _V11, _V12, _V13 = "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"

# name -> (protocols, ciphers)
POLICIES: dict[str, tuple[list[str], list[str]]] = {
    "ELBSecurityPolicy-TLS13-1-2-2021-06": ([_V13, _V12], TLS13 + _FS_SHA2),
    "ELBSecurityPolicy-TLS13-1-2-Res-2021-06": ([_V13, _V12], TLS13 + _GCM + _GCM256),
    "ELBSecurityPolicy-TLS13-1-2-Ext1-2021-06": ([_V13, _V12], TLS13 + _FS_SHA2 + _RSA_SHA2),
    "ELBSecurityPolicy-TLS13-1-2-Ext2-2021-06": ([_V13, _V12], TLS13 + _FS_ALL + _RSA_ALL),
    "ELBSecurityPolicy-TLS13-1-1-2021-06": ([_V13, _V12, _V11], TLS13 + _FS_ALL + _RSA_ALL),
    "ELBSecurityPolicy-TLS13-1-0-2021-06": ([_V13, _V12, _V11, _V10], TLS13 + _FS_ALL + _RSA_ALL),
    "ELBSecurityPolicy-TLS13-1-3-2021-06": ([_V13], TLS13),
    "ELBSecurityPolicy-TLS-1-2-Ext-2018-06": ([_V12], _FS_ALL + _RSA_ALL),
    "ELBSecurityPolicy-TLS-1-2-2017-01": ([_V12], _FS_SHA2 + _RSA_SHA2),
    "ELBSecurityPolicy-TLS-1-1-2017-01": ([_V12, _V11], _FS_ALL + _RSA_ALL),
    "ELBSecurityPolicy-FS-1-2-Res-2020-10": ([_V12], _GCM + _GCM256),
    "ELBSecurityPolicy-FS-1-2-Res-2019-08": ([_V12], _FS_SHA2),
    "ELBSecurityPolicy-FS-1-2-2019-08": ([_V12], _FS_ALL),
    "ELBSecurityPolicy-FS-1-1-2019-08": ([_V12, _V11], _FS_ALL),
    "ELBSecurityPolicy-FS-2018-06": ([_V12, _V11, _V10], _FS_ALL),
    "ELBSecurityPolicy-2016-08": ([_V12, _V11, _V10], _FS_ALL + _RSA_ALL),
    "ELBSecurityPolicy-TLS-1-0-2015-04": ([_V12, _V11, _V10], _FS_ALL + _RSA_ALL + ["DES-CBC3-SHA"]),
    "ELBSecurityPolicy-2015-05": ([_V12, _V11, _V10], _FS_ALL + _RSA_ALL),
}
_VERSIONS = {_V10: ssl.TLSVersion.TLSv1, _V11: ssl.TLSVersion.TLSv1_1, _V12: ssl.TLSVersion.TLSv1_2,
             _V13: ssl.TLSVersion.TLSv1_3}


def check_policy(name: str) -> str:
    if name not in POLICIES:
        raise ServiceError("SSLPolicyNotFound", f"SSL policy '{name}' not found")
    return name


def describe(name: str) -> dict[str, Any]:
    protocols, ciphers = POLICIES[name]
    return {"Name": name, "SslProtocols": list(protocols),
            "Ciphers": [{"Name": cipher, "Priority": priority} for priority, cipher in enumerate(ciphers, start=1)],
            "SupportedLoadBalancerTypes": ["application", "network"]}


def apply(context: ssl.SSLContext, name: str) -> None:
    """Make a server context offer the policy's protocols and ciphers only."""
    protocols, ciphers = POLICIES.get(name) or POLICIES[DEFAULT_POLICY]
    versions = sorted(_VERSIONS[p] for p in protocols)
    with warnings.catch_warnings():  # TLS 1.0 and 1.1 are deprecated in ssl, and still in AWS's older policies
        warnings.simplefilter("ignore", DeprecationWarning)
        context.minimum_version, context.maximum_version = versions[0], versions[-1]
    legacy = [c for c in ciphers if not c.startswith("TLS_")]
    if legacy:
        # OpenSSL 3 refuses TLS 1.0/1.1 and SHA-1 suites above security level 0; the policy allows them.
        context.set_ciphers(":".join(legacy) + (":@SECLEVEL=0" if versions[0] < ssl.TLSVersion.TLSv1_2 else ""))


def describe_ssl_policies(paginator: Paginator):
    def handler(ctx: RequestContext, params: dict) -> dict:
        names = params.get("Names")
        kind = params.get("LoadBalancerType")
        found = list(dict.fromkeys(check_policy(name) for name in names)) if names else list(POLICIES)
        if kind == "gateway":
            found = []
        return page_of(paginator, found, params, "SslPolicies", describe, [names, kind])
    return handler
