"""An app server of the session example: log in, then ask who you are.

    python app.py --name a --port 8081 --store memory
    python app.py --name a --port 8081 --store redis --redis-host 127.20.0.3 --redis-port 6379

POST /login {"user": "alice"} sets a ``sid`` cookie; GET /me answers the session's user (401 when
the server does not know the session); GET /health is the load balancer's health check.

``memory`` keeps sessions in this process, so a user must come back to the same server (sticky
sessions); ``redis`` keeps them in ElastiCache with a sliding TTL, so any server can serve any user.
"""

from __future__ import annotations

import argparse
import http.cookies
import http.server
import json
import secrets
import threading

SESSION_TTL = 1800  # seconds; every request slides it


class MemoryStore:
    def __init__(self) -> None:
        self.sessions: dict[str, str] = {}
        self.lock = threading.Lock()

    def create(self, sid: str, user: str) -> None:
        with self.lock:
            self.sessions[sid] = user

    def user(self, sid: str) -> str | None:
        with self.lock:
            return self.sessions.get(sid)


class RedisStore:
    def __init__(self, host: str, port: int) -> None:
        import redis
        from redis.backoff import ConstantBackoff
        from redis.retry import Retry

        # The client retries through a failover: the primary endpoint moves to the new primary.
        self.redis = redis.Redis(host=host, port=port, socket_timeout=5, socket_connect_timeout=1,
                                 retry=Retry(ConstantBackoff(0.1), 100),
                                 retry_on_error=[redis.exceptions.ConnectionError, redis.exceptions.TimeoutError,
                                                 redis.exceptions.ReadOnlyError])

    def create(self, sid: str, user: str) -> None:
        self.redis.set(f"session:{sid}", user, ex=SESSION_TTL)
        # Acknowledge a login only once a replica has it, so a failover cannot lose it.
        self.redis.wait(1, 1000)

    def user(self, sid: str) -> str | None:
        value = self.redis.getex(f"session:{sid}", ex=SESSION_TTL)
        return value.decode() if value is not None else None


def serve(name: str, port: int, store) -> http.server.ThreadingHTTPServer:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def log_message(self, *args) -> None:
            pass

        def _reply(self, status: int, body: dict, cookie: str | None = None) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            if cookie:
                self.send_header("Set-Cookie", cookie)
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
            if self.path != "/login" or not body.get("user"):
                return self._reply(404, {"error": "not found"})
            sid = secrets.token_hex(16)
            store.create(sid, body["user"])
            self._reply(200, {"user": body["user"], "server": name}, f"sid={sid}; Path=/; HttpOnly")

        def do_GET(self) -> None:  # noqa: N802
            if self.path == "/health":
                return self._reply(200, {"server": name})
            cookie = http.cookies.SimpleCookie(self.headers.get("Cookie", ""))
            user = store.user(cookie["sid"].value) if "sid" in cookie else None
            if user is None:
                return self._reply(401, {"error": "no session", "server": name})
            self._reply(200, {"user": user, "server": name})

    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    return server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--store", choices=("memory", "redis"), default="memory")
    parser.add_argument("--redis-host")
    parser.add_argument("--redis-port", type=int, default=6379)
    args = parser.parse_args()
    store = RedisStore(args.redis_host, args.redis_port) if args.store == "redis" else MemoryStore()
    server = serve(args.name, args.port, store)
    print(server.server_address[1], flush=True)  # the port, for whoever started us
    server.serve_forever()


if __name__ == "__main__":
    main()
