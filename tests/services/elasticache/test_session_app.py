"""A small web app keeping its sessions in Redis through the primary endpoint, as the notes
describe: sessions with a TTL survive an outage of the primary's AZ; clients only reconnect."""

from __future__ import annotations

import http.cookies
import http.server
import json
import secrets
import threading
import urllib.request

import redis

from tests.services.elasticache.redis_helpers import create_group, describe, eventually, primary_member

SESSION_TTL = 1800


class SessionApp:
    """POST /login {"user": ...} -> Set-Cookie; GET /me -> the session's user; sessions expire."""

    def __init__(self, endpoint: dict) -> None:
        # retry_on_error: the app reconnects after a failover, exactly what the notes ask of clients.
        self.redis = redis.Redis(host=endpoint["Address"], port=endpoint["Port"], socket_timeout=5, socket_connect_timeout=1,
                                 retry=redis.retry.Retry(redis.backoff.ConstantBackoff(0.1), 50),
                                 retry_on_error=[redis.exceptions.ConnectionError, redis.exceptions.TimeoutError,
                                                 redis.exceptions.ReadOnlyError])
        app = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def _reply(self, status: int, body: dict, headers: dict | None = None) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                user = json.loads(self.rfile.read(int(self.headers["Content-Length"])))["user"]
                sid = secrets.token_hex(16)
                app.redis.set(f"session:{sid}", json.dumps({"user": user}), ex=SESSION_TTL)
                # A login is acknowledged once a replica has it too, so a failover cannot lose it.
                app.redis.wait(1, 500)
                self._reply(200, {"ok": True}, {"Set-Cookie": f"sid={sid}; Path=/; HttpOnly"})

            def do_GET(self) -> None:  # noqa: N802
                cookie = http.cookies.SimpleCookie(self.headers.get("Cookie", ""))
                sid = cookie["sid"].value if "sid" in cookie else ""
                raw = app.redis.get(f"session:{sid}")
                if raw is None:
                    self._reply(401, {"error": "no session"})
                else:
                    app.redis.expire(f"session:{sid}", SESSION_TTL)  # sliding expiration
                    self._reply(200, json.loads(raw))

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def login(url: str, user: str) -> str:
    request = urllib.request.Request(url + "/login", data=json.dumps({"user": user}).encode(), method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.headers["Set-Cookie"].split(";")[0]


def me(url: str, cookie: str) -> dict:
    request = urllib.request.Request(url + "/me", headers={"Cookie": cookie})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def test_sessions_survive_an_outage_of_the_primary_zone(cloud):
    ec = cloud.client("elasticache")
    create_group(ec, "sessions", NumCacheClusters=2, AutomaticFailoverEnabled=True, MultiAZEnabled=True)
    group = describe(ec, "sessions")
    app = SessionApp(group["NodeGroups"][0]["PrimaryEndpoint"])
    try:
        cookies = {user: login(app.url, user) for user in ("alice", "bob", "carol")}
        assert me(app.url, cookies["alice"]) == {"user": "alice"}
        zone = primary_member(group)["PreferredAvailabilityZone"]
        cloud.post(f"/_regionbox/az/{zone}/outage")
        # Same app, same endpoint: every session is still there and new logins work.
        for user, cookie in cookies.items():
            assert me(app.url, cookie) == {"user": user}
        cookies["dave"] = login(app.url, "dave")
        assert me(app.url, cookies["dave"]) == {"user": "dave"}
        after = describe(ec, "sessions")
        assert primary_member(after)["PreferredAvailabilityZone"] != zone
        assert eventually(lambda: 0 < app.redis.ttl(f"session:{cookies['dave'].split('=')[1]}") <= SESSION_TTL, what="ttl")
        cloud.post(f"/_regionbox/az/{zone}/restore")
        assert me(app.url, cookies["bob"]) == {"user": "bob"}
    finally:
        app.close()
