"""The embedded engines, run as processes exactly as the supervisor runs them, driven by the
clients applications use: redis-py for Redis, pymemcache for Memcached."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis
from pymemcache.client.base import Client as MemcacheClient
from pymemcache.client.hash import HashClient

from regionbox.engines import kinds
from regionbox.testing.clients import free_port
from tests.services.elasticache.memcached_helpers import create_memcached, describe, discover


def _serve(module: str, *args: str, port: int):
    process = subprocess.Popen([sys.executable, "-m", module, *args])
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{module} did not start")
            time.sleep(0.05)


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    process.wait(30)


@pytest.fixture(scope="module")
def redis_port(tmp_path_factory):
    port = free_port()
    data_dir = tmp_path_factory.mktemp("redis")
    process = _serve("regionbox.engines.embedded_redis", "--bind", "127.0.0.1", "--port", str(port),
                     "--dir", str(data_dir), port=port)
    yield port
    _stop(process)


@pytest.fixture
def r(redis_port):
    client = redis.Redis(port=redis_port)
    client.flushall()
    yield client
    client.close()


@pytest.fixture(scope="module")
def memcached_port():
    port = free_port()
    process = _serve("regionbox.engines.embedded_memcached", "-l", "127.0.0.1", "-p", str(port), "-m", "1", port=port)
    yield port
    _stop(process)


@pytest.fixture
def mc(memcached_port):
    client = MemcacheClient(("127.0.0.1", memcached_port), default_noreply=False)
    client.flush_all()
    yield client
    client.close()


# -- Redis -----------------------------------------------------------------------------------------------
def test_redis_strings_and_counters(r):
    assert r.ping()
    assert r.set("a", "1") and r.get("a") == b"1"
    assert r.incr("a") == 2 and r.incrby("a", 40) == 42 and r.decr("a") == 41 and r.decrby("a", 1) == 40
    assert r.set("a", "x", nx=True) is None and r.get("a") == b"40"
    assert r.set("missing", "x", xx=True) is None and r.get("missing") is None
    assert r.set("a", "new", get=True) == b"40"
    assert r.mset({"m1": "1", "m2": "2"}) and r.mget("m1", "m2", "nope") == [b"1", b"2", None]
    assert r.append("m1", "23") == 3 and r.strlen("m1") == 3
    assert r.incrbyfloat("f", 1.5) == 1.5
    r.set("text", "abc")
    with pytest.raises(redis.ResponseError, match="not an integer"):
        r.incr("text")


def test_redis_concurrent_incrby_gives_the_exact_total(redis_port):
    def work(_):
        client = redis.Redis(port=redis_port)
        for _ in range(200):
            client.incrby("counter", 3)
        client.close()

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(work, range(8)))
    assert int(redis.Redis(port=redis_port).get("counter")) == 8 * 200 * 3


def test_redis_expiry(r):
    r.set("session", "data", ex=100)
    assert 99 <= r.ttl("session") <= 100
    assert r.ttl("nothing") == -2
    r.set("forever", "1")
    assert r.ttl("forever") == -1
    r.set("short", "1", px=50)
    r.expire("forever", 1)
    assert r.persist("forever") and r.ttl("forever") == -1
    time.sleep(0.2)
    assert r.get("short") is None and r.exists("short") == 0
    r.set("s2", "v", ex=10)
    assert 0 < r.pttl("s2") <= 10_000


def test_redis_keys_scan_type_and_delete(r):
    for i in range(30):
        r.set(f"user:{i}", i)
    r.hset("h", "f", "v")
    assert len(r.keys("user:*")) == 30
    assert set(r.scan_iter(match="user:1*", count=7)) == {b"user:1"} | {f"user:{i}".encode() for i in range(10, 20)}
    assert r.type("h") == b"hash" and r.type("user:1") == b"string" and r.type("none") == b"none"
    assert r.delete("user:1", "user:2", "nope") == 2 and r.exists("user:1", "user:3") == 1
    assert r.dbsize() == 29
    r.rename("user:3", "renamed")
    assert r.get("renamed") == b"3"
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        r.get("h")


def test_redis_hashes_lists_sets(r):
    assert r.hset("h", mapping={"a": "1", "b": "2"}) == 2
    assert r.hgetall("h") == {b"a": b"1", b"b": b"2"}
    assert r.hincrby("h", "a", 5) == 6 and r.hmget("h", "a", "z") == [b"6", None]
    assert r.hdel("h", "a", "b") == 2 and r.exists("h") == 0
    assert r.rpush("l", 1, 2, 3) == 3 and r.lpush("l", 0) == 4
    assert r.lrange("l", 0, -1) == [b"0", b"1", b"2", b"3"]
    assert r.lpop("l") == b"0" and r.rpop("l") == b"3" and r.llen("l") == 2
    assert r.sadd("s", "a", "b", "a") == 2 and r.smembers("s") == {b"a", b"b"}
    assert r.sismember("s", "a") and r.srem("s", "a") == 1 and r.scard("s") == 1


def test_redis_transactions_select_info_config(r, redis_port):
    with r.pipeline() as pipe:  # MULTI/EXEC
        pipe.set("t", 1).incr("t").get("t")
        assert pipe.execute() == [True, 2, b"2"]
    other = redis.Redis(port=redis_port, db=3)
    other.set("in3", "x")
    assert r.get("in3") is None and other.get("in3") == b"x"
    assert r.info()["redis_version"]
    assert r.config_set("maxmemory-policy", "allkeys-lru")
    assert r.config_get("maxmemory-policy") == {"maxmemory-policy": "allkeys-lru"}
    r.flushall()
    assert other.dbsize() == 0
    with pytest.raises(redis.ResponseError, match="unknown command"):
        r.execute_command("NOSUCH", "x")


def test_redis_auth(tmp_path):
    port = free_port()
    process = _serve("regionbox.engines.embedded_redis", "--bind", "127.0.0.1", "--port", str(port),
                     "--requirepass", "s3cret-token-1234", port=port)
    try:
        with pytest.raises(redis.AuthenticationError):
            redis.Redis(port=port).ping()  # NOAUTH Authentication required.
        with pytest.raises(redis.AuthenticationError):
            redis.Redis(port=port, password="wrong").ping()  # WRONGPASS
        assert redis.Redis(port=port, password="s3cret-token-1234").ping()
    finally:
        _stop(process)


def test_redis_data_survives_a_clean_restart(tmp_path):
    port = free_port()
    args = ["--bind", "127.0.0.1", "--port", str(port), "--dir", str(tmp_path)]
    process = _serve("regionbox.engines.embedded_redis", *args, port=port)
    redis.Redis(port=port).set("kept", "yes")
    _stop(process)
    process = _serve("regionbox.engines.embedded_redis", *args, port=port)
    try:
        assert redis.Redis(port=port).get("kept") == b"yes"
    finally:
        _stop(process)


def test_redis_refuses_replication_with_a_hint():
    result = subprocess.run([sys.executable, "-m", "regionbox.engines.embedded_redis", "--port", str(free_port()),
                             "--replicaof", "127.0.0.1", "6379"], capture_output=True, text=True)
    assert result.returncode != 0 and "install redis-server" in result.stderr


# -- Memcached -------------------------------------------------------------------------------------------
def test_memcached_storage_commands(mc):
    assert mc.set("k", b"v", expire=0, flags=5) is True
    assert mc.get("k") == b"v"
    assert mc.add("k", b"other") is False and mc.add("new", b"1") is True
    assert mc.replace("k", b"v2") is True and mc.replace("absent", b"x") is False
    assert mc.append("k", b"-end") is True and mc.prepend("k", b"start-") is True
    assert mc.get("k") == b"start-v2-end"
    assert mc.get_many(["k", "new", "absent"]) == {"k": b"start-v2-end", "new": b"1"}
    assert mc.delete("k") is True and mc.delete("k") is False


def test_memcached_cas(mc):
    mc.set("c", b"1")
    value, token = mc.gets("c")
    assert value == b"1"
    assert mc.cas("c", b"2", token) is True
    assert mc.cas("c", b"3", token) is False  # EXISTS: someone changed it
    assert mc.cas("absent", b"3", token) is None  # NOT_FOUND
    assert mc.get("c") == b"2"


def test_memcached_counters(mc, memcached_port):
    mc.set("n", b"10")
    assert mc.incr("n", 5) == 15 and mc.decr("n", 20) == 0  # decr stops at zero
    assert mc.incr("absent", 1) is None
    mc.set("n", b"18446744073709551615")
    assert mc.incr("n", 2) == 1  # wraps at 2**64

    def work(_):
        client = MemcacheClient(("127.0.0.1", memcached_port))
        for _ in range(100):
            client.incr("total", 1)
        client.close()

    mc.set("total", b"0")
    with ThreadPoolExecutor(6) as pool:
        list(pool.map(work, range(6)))
    assert mc.get("total") == b"600"


def test_memcached_expiry_touch_flush(mc, memcached_port):
    mc.set("gone", b"x", expire=1)
    mc.set("kept", b"y", expire=1)
    assert mc.touch("kept", expire=100) is True and mc.touch("absent", 10) is False
    time.sleep(1.1)
    assert mc.get("gone") is None and mc.get("kept") == b"y"
    with socket.create_connection(("127.0.0.1", memcached_port)) as sock:
        sock.sendall(b"gat 100 kept\r\n")
        assert sock.recv(4096) == b"VALUE kept 0 1\r\ny\r\nEND\r\n"
    mc.flush_all()
    assert mc.get("kept") is None


def test_memcached_version_stats_and_errors(mc, memcached_port):
    assert mc.version().startswith(b"1.6")
    mc.set("x", b"1")
    stats = mc.stats()
    assert stats[b"curr_items"] == 1 and stats[b"limit_maxbytes"] == 1 << 20
    with socket.create_connection(("127.0.0.1", memcached_port)) as sock:
        sock.sendall(b"bogus\r\nset k 0 0 2\r\nabcd\r\nmn\r\n")
        answer = b""
        while not answer.endswith(b"MN\r\n"):
            answer += sock.recv(4096)
        assert answer.startswith(b"ERROR\r\nCLIENT_ERROR bad data chunk\r\n")


def test_memcached_evicts_least_recently_used_beyond_its_memory(mc):
    value = b"x" * 100_000
    for i in range(20):  # 2 MB into a 1 MB cache
        mc.set(f"big{i}", value)
    assert mc.get("big0") is None and mc.get("big19") == value
    assert mc.stats()[b"evictions"] > 0


# -- the cloud without the binaries --------------------------------------------------------------------
def test_clusters_run_on_embedded_engines_when_binaries_are_missing(cloud, monkeypatch):
    monkeypatch.setattr(kinds, "binary", lambda engine: None)
    engines = cloud.cloud.status()["engines"]
    assert engines["memcached"].startswith("embedded") and "apt-get install memcached" in engines["memcached"]
    assert engines["redis"].startswith("embedded") and "redis-server" in engines["redis"]

    ec = cloud.client("elasticache")
    create_memcached(ec, "embedded-mc", nodes=2)
    _, nodes = discover(describe(ec, "embedded-mc")["ConfigurationEndpoint"])
    client = HashClient(nodes, default_noreply=False)
    for i in range(50):
        client.set(f"k{i}", str(i).encode())
    assert client.get("k7") == b"7"

    ec.create_cache_cluster(CacheClusterId="embedded-redis", Engine="redis", CacheNodeType="cache.t3.micro", NumCacheNodes=1)
    ec.get_waiter("cache_cluster_available").wait(CacheClusterId="embedded-redis", WaiterConfig={"Delay": 0.2, "MaxAttempts": 300})
    endpoint = describe(ec, "embedded-redis")["CacheNodes"][0]["Endpoint"]
    r = redis.Redis(host=endpoint["Address"], port=endpoint["Port"])
    assert r.set("session", "x", ex=30) and r.get("session") == b"x" and r.info()["embedded"] == "regionbox"
