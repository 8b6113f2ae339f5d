"""Security policies: which SSH ciphers, key exchanges, MACs and host key algorithms and which TLS
ciphers a server offers (DescribeSecurityPolicy, ListSecurityPolicies), and what the SFTP
listener is configured with. The lists are AWS's security policy reference for servers; an
algorithm asyncssh lacks is still described but not offered."""

from __future__ import annotations

from regionbox.core.context import RequestContext
from regionbox.core.pagination import PageRule, Paginator
from regionbox.core.errors import invalid
from regionbox.services.transfer.state import not_found

DEFAULT = "TransferSecurityPolicy-2018-11"

_CTR = ["aes128-ctr", "aes192-ctr", "aes256-ctr"]
_GCM = ["aes128-gcm@openssh.com", "aes256-gcm@openssh.com"]
_CHACHA = ["chacha20-poly1305@openssh.com"]
_CURVE = ["curve25519-sha256", "curve25519-sha256@libssh.org"]
_DH = ["diffie-hellman-group16-sha512", "diffie-hellman-group18-sha512", "diffie-hellman-group-exchange-sha256"]
_ECDH = ["ecdh-sha2-nistp256", "ecdh-sha2-nistp384", "ecdh-sha2-nistp521"]
_ETM = ["hmac-sha2-256-etm@openssh.com", "hmac-sha2-512-etm@openssh.com"]
_HMAC2 = ["hmac-sha2-256", "hmac-sha2-512"]
_UMAC = ["umac-128-etm@openssh.com", "umac-128@openssh.com", "umac-64-etm@openssh.com", "umac-64@openssh.com"]
_SHA1 = ["hmac-sha1", "hmac-sha1-etm@openssh.com"]
_HOSTKEYS = ["rsa-sha2-512", "rsa-sha2-256", "ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384",
             "ecdsa-sha2-nistp521"]
_TLS_MODERN = ["TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
               "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"]
_TLS_CBC = ["TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384",
            "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384"]
_TLS_OLD = ["TLS_RSA_WITH_AES_128_CBC_SHA256", "TLS_RSA_WITH_AES_256_CBC_SHA256"]


def _policy(ciphers, kexs, macs, tls, fips=False, hostkeys=_HOSTKEYS) -> dict:
    return {"Fips": fips, "SshCiphers": list(ciphers), "SshKexs": list(kexs), "SshMacs": list(macs),
            "TlsCiphers": list(tls), "SshHostKeyAlgorithms": list(hostkeys), "Type": "SERVER",
            "Protocols": ["SFTP", "FTPS"]}


POLICIES: dict[str, dict] = {
    "TransferSecurityPolicy-2018-11": _policy(_CTR + _GCM + _CHACHA, _CURVE + ["diffie-hellman-group14-sha1",
                                              "diffie-hellman-group14-sha256"] + _DH + _ECDH,
                                              _SHA1 + _ETM + _HMAC2 + _UMAC, _TLS_MODERN + _TLS_CBC + _TLS_OLD),
    "TransferSecurityPolicy-2020-06": _policy(_CTR + _GCM + _CHACHA, _CURVE + _DH + _ECDH, _ETM + _HMAC2 + _UMAC,
                                              _TLS_MODERN + _TLS_CBC),
    "TransferSecurityPolicy-2022-03": _policy(_GCM + ["aes192-ctr", "aes256-ctr"] + _CHACHA, _CURVE + _DH, _ETM,
                                              _TLS_MODERN),
    "TransferSecurityPolicy-2023-05": _policy(_GCM + ["aes192-ctr", "aes256-ctr"], _CURVE + _DH, _ETM, _TLS_MODERN),
    "TransferSecurityPolicy-2024-01": _policy(_GCM + _CTR, _CURVE + _DH + _ECDH, _ETM, _TLS_MODERN),
    "TransferSecurityPolicy-FIPS-2020-06": _policy(_CTR + _GCM, _DH + _ECDH, _ETM + _HMAC2, _TLS_MODERN + _TLS_CBC,
                                                   fips=True),
    "TransferSecurityPolicy-FIPS-2023-05": _policy(_GCM + ["aes192-ctr", "aes256-ctr"], _DH, _ETM, _TLS_MODERN, fips=True),
    "TransferSecurityPolicy-FIPS-2024-01": _policy(_GCM + _CTR, _DH + _ECDH, _ETM, _TLS_MODERN, fips=True),
    "TransferSecurityPolicy-FIPS-2024-05": _policy(_GCM + _CTR, _DH + _ECDH, _ETM, _TLS_MODERN, fips=True),
    "TransferSecurityPolicy-Restricted-2018-11": _policy(_CTR + _GCM, _CURVE + _DH + _ECDH, _ETM + _HMAC2 + _UMAC,
                                                         _TLS_MODERN + _TLS_CBC),
    "TransferSecurityPolicy-Restricted-2020-06": _policy(_CTR + _GCM, _CURVE + _DH + _ECDH, _ETM + _UMAC[:2],
                                                         _TLS_MODERN + _TLS_CBC),
    "TransferSecurityPolicy-Restricted-2024-06": _policy(_GCM, _CURVE + _DH, _ETM, _TLS_MODERN),
    "TransferSecurityPolicy-PQ-SSH-Experimental-2023-04": _policy(
        _GCM + ["aes192-ctr", "aes256-ctr"] + _CHACHA, ["x25519-kyber-512r3-sha256-d00@amazon.com"] + _CURVE + _DH + _ECDH,
        _ETM, _TLS_MODERN),
    "TransferSecurityPolicy-PQ-SSH-FIPS-Experimental-2023-04": _policy(
        _GCM + ["aes192-ctr", "aes256-ctr"], ["ecdh-nistp384-kyber-768r3-sha384-d00@openquantumsafe.org"] + _DH + _ECDH,
        _ETM, _TLS_MODERN, fips=True),
}

NAMES_RULE = PageRule(out_of_range=lambda n: invalid(f"MaxResults {n} is out of range [1, 1000]"), default=1000,
                      maximum=1000)


def described(name: str) -> dict:
    policy = POLICIES.get(name)
    if policy is None:
        raise not_found(f"Unknown security policy {name}", name, "SecurityPolicy")
    return {"SecurityPolicyName": name, **policy}


def ssh_algorithms(name: str) -> dict[str, list[str]]:
    """asyncssh's options for a server under this policy (what it implements of the policy's lists)."""
    import asyncssh

    policy = POLICIES.get(name) or POLICIES[DEFAULT]

    def supported(wanted: list[str], available: list[bytes]) -> list[str]:
        names = {item.decode() for item in available}
        return [item for item in wanted if item in names]

    return {"encryption_algs": supported(policy["SshCiphers"], asyncssh.encryption.get_encryption_algs()),
            "kex_algs": supported(policy["SshKexs"], asyncssh.kex.get_kex_algs()),
            "mac_algs": supported(policy["SshMacs"], asyncssh.mac.get_mac_algs())}


class SecurityPolicies:
    def __init__(self, paginator: Paginator) -> None:
        self.paginator = paginator

    def describe_security_policy(self, ctx: RequestContext, params: dict) -> dict:
        return {"SecurityPolicy": described(params["SecurityPolicyName"])}

    def list_security_policies(self, ctx: RequestContext, params: dict) -> dict:
        page, token = self.paginator.paginate(list(POLICIES), params, NAMES_RULE)
        return {"SecurityPolicyNames": page, **({"NextToken": token} if token else {})}
