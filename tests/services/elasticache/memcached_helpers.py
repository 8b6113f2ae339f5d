"""What the Memcached tests share: creating a cluster and waiting for it, and the auto-discovery
step a client library performs against the configuration endpoint."""

from __future__ import annotations

import socket

FAST = {"Delay": 0.2, "MaxAttempts": 300}


def create_memcached(ec, cluster_id: str, nodes: int = 2, wait: bool = True, **extra) -> dict:
    params = {"CacheClusterId": cluster_id, "Engine": "memcached", "CacheNodeType": "cache.t3.micro", "NumCacheNodes": nodes}
    params.update(extra)
    created = ec.create_cache_cluster(**params)["CacheCluster"]
    if wait:
        ec.get_waiter("cache_cluster_available").wait(CacheClusterId=cluster_id, WaiterConfig=FAST)
    return created


def describe(ec, cluster_id: str) -> dict:
    return ec.describe_cache_clusters(CacheClusterId=cluster_id, ShowCacheNodeInfo=True)["CacheClusters"][0]


def modify_and_wait(ec, cluster_id: str, **params) -> dict:
    modified = ec.modify_cache_cluster(CacheClusterId=cluster_id, ApplyImmediately=True, **params)["CacheCluster"]
    ec.get_waiter("cache_cluster_available").wait(CacheClusterId=cluster_id, WaiterConfig=FAST)
    return modified


def read_until(sock: socket.socket, terminator: bytes) -> bytes:
    data = b""
    while not data.endswith(terminator):
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed after {data!r}")
        data += chunk
    return data


def discover(endpoint: dict, command: bytes = b"config get cluster", tls=None) -> tuple[int, list[tuple[str, int]]]:
    """The auto-discovery step: ask the configuration endpoint, parse ElastiCache's answer.
    ``tls``: an ``ssl.SSLContext`` for clusters with encryption in transit."""
    with socket.create_connection((endpoint["Address"], endpoint["Port"]), timeout=10) as raw:
        sock = tls.wrap_socket(raw, server_hostname=endpoint["Address"]) if tls else raw
        sock.sendall(command + b"\r\n")
        answer = read_until(sock, b"END\r\n")
    header, rest = answer.split(b"\r\n", 1)
    length = int(header.split()[-1])
    body = rest[:length]
    assert rest[length:] == b"\r\nEND\r\n"
    version, listing, empty = body.decode().split("\n")
    assert empty == ""
    nodes = []
    for entry in listing.split():
        host, ip, port = entry.split("|")
        nodes.append((ip, int(port)))
    return int(version), nodes
