"""IPv4 CIDR blocks as EC2 checks them."""

from __future__ import annotations

import ipaddress
import re

from regionbox.core.errors import ServiceError, invalid

_IPV4_CIDR = re.compile(r"^\d{1,3}(\.\d{1,3}){3}/\d{1,2}$")

# Ranges a VPC may not use: "this" network, loopback, link-local, multicast and reserved.
_RESERVED = [ipaddress.ip_network(n)
             for n in ("0.0.0.0/8", "127.0.0.0/8", "169.254.0.0/16", "224.0.0.0/4", "240.0.0.0/4")]


def block(text: str | None, parameter: str = "cidrBlock") -> ipaddress.IPv4Network:
    """A CIDR block parameter: a network address and a prefix, with no host bits set."""
    try:
        if not text or not _IPV4_CIDR.match(text):
            raise ValueError(text)
        return ipaddress.IPv4Network(text, strict=True)
    except ValueError:
        raise invalid(f"Value ({text}) for parameter {parameter} is invalid. This is not a valid CIDR block.") from None


def vpc_block(text: str | None) -> ipaddress.IPv4Network:
    """A VPC's IPv4 block: /16 to /28, outside the reserved ranges."""
    network = block(text)
    if not 16 <= network.prefixlen <= 28 or any(network.overlaps(r) for r in _RESERVED):
        raise ServiceError("InvalidVpc.Range", f"The CIDR '{text}' is invalid.")
    return network


def subnet_block(text: str | None, vpc_cidr: str, others: list[str]) -> ipaddress.IPv4Network:
    """A subnet's block: /16 to /28, inside its VPC's block, overlapping none of its other subnets."""
    network = block(text)
    if not 16 <= network.prefixlen <= 28 or not network.subnet_of(ipaddress.IPv4Network(vpc_cidr)):
        raise ServiceError("InvalidSubnet.Range", f"The CIDR '{text}' is invalid.")
    if any(network.overlaps(ipaddress.IPv4Network(other)) for other in others):
        raise ServiceError("InvalidSubnet.Conflict", f"The CIDR '{text}' conflicts with another subnet")
    return network


def available_addresses(cidr: str) -> int:
    """AWS reserves five addresses of every subnet: network, router, DNS, future use, broadcast."""
    return ipaddress.IPv4Network(cidr).num_addresses - 5


def rule_peer(text: str, version: int = 4) -> str:
    """A security group rule's CidrIp / CidrIpv6."""
    try:
        network = ipaddress.ip_network(text, strict=True)
        if network.version != version or "/" not in text:
            raise ValueError(text)
    except ValueError:
        raise invalid(f"CIDR block {text} is malformed") from None
    return str(network)


def inside(inner: str, outer: str) -> bool:
    """Whether a destination (route) is equal to or more specific than a VPC block."""
    return ipaddress.IPv4Network(inner).subnet_of(ipaddress.IPv4Network(outer))
