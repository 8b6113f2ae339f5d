"""What a load balancer node does with a request: the listener's rules in priority order, the
action of the first that matches, the target group of a forward, and the target within it
(round robin over the routable targets, or the one a stickiness cookie names).

Pure decisions over the state; proxy.py does the I/O. Matching follows AWS's rules: path
patterns are case-sensitive, host names, header values and query strings are not; ``*`` and ``?``
are wildcards; the values of one condition are alternatives, the conditions of a rule all hold.
"""

from __future__ import annotations

import hashlib
import ipaddress
import itertools
import re
import time
from dataclasses import dataclass, field
from email.utils import formatdate
from functools import lru_cache
from http.cookies import SimpleCookie
from urllib.parse import parse_qsl

from regionbox.core.pagination import InvalidToken, Paginator
from regionbox.core.store import Scope
from regionbox.services.elbv2.health import Health, Key
from regionbox.services.elbv2.models import Elbv2State, Rule, TargetGroup

LB_COOKIE = "AWSALB"
LB_CORS_COOKIE = "AWSALBCORS"
APP_COOKIE = "AWSALBAPP-0"
GROUP_COOKIE = "AWSALBTG"  # which target group of a weighted forward a client sticks to  # AWS splits a long value over AWSALBAPP-0..3; ours always fits in one


@dataclass
class Request:
    method: str
    path: str
    query: str
    host: str  # without the port
    headers: dict[str, str]  # lower-case names; repeated headers joined with ","
    client: str
    port: int  # the listener's
    protocol: str = "HTTP"  # the listener's: HTTP or HTTPS

    @property
    def cookies(self) -> dict[str, str]:
        jar = SimpleCookie()
        try:
            jar.load(self.headers.get("cookie", ""))
        except Exception:  # noqa: BLE001 - a malformed Cookie header only loses stickiness
            return {}
        return {name: morsel.value for name, morsel in jar.items()}


@dataclass
class Forward:
    tg: TargetGroup
    target: Key
    cookies: list[str] = field(default_factory=list)  # Set-Cookie values the node adds
    app_cookie: str = ""  # the app's cookie name whose Set-Cookie makes the node add AWSALBAPP-0
    app_cookie_duration: int = 0


@dataclass
class Respond:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


@lru_cache(maxsize=1024)
def _wildcard(pattern: str, ignore_case: bool) -> re.Pattern:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(regex, re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def _like(value: str, patterns: list[str], ignore_case: bool) -> bool:
    return any(_wildcard(pattern, ignore_case).fullmatch(value) for pattern in patterns)


def condition_holds(condition: dict, request: Request) -> bool:
    field_name = condition["Field"]
    if field_name == "path-pattern":
        return _like(request.path, condition["PathPatternConfig"]["Values"], False)
    if field_name == "host-header":
        return _like(request.host, condition["HostHeaderConfig"]["Values"], True)
    if field_name == "http-request-method":
        return request.method in condition["HttpRequestMethodConfig"]["Values"]
    if field_name == "http-header":
        config = condition["HttpHeaderConfig"]
        value = request.headers.get(config["HttpHeaderName"].lower())
        return value is not None and _like(value, config["Values"], True)
    if field_name == "query-string":
        pairs = parse_qsl(request.query, keep_blank_values=True)
        return any(any((want.get("Key") is None or _like(key, [want["Key"]], True)) and _like(value, [want["Value"]], True)
                       for key, value in pairs) for want in condition["QueryStringConfig"]["Values"])
    if field_name == "source-ip":
        try:
            client = ipaddress.ip_address(request.client)
        except ValueError:
            return False
        return any(client in ipaddress.ip_network(cidr, strict=False) for cidr in condition["SourceIpConfig"]["Values"])
    return False


def redirect(config: dict, request: Request) -> Respond:
    """A redirect action's Location, with AWS's #{protocol} #{host} #{port} #{path} #{query}."""
    values = {"protocol": request.protocol, "host": request.host, "port": str(request.port), "path": request.path.lstrip("/"),
              "query": request.query}

    def fill(text: str) -> str:
        return re.sub(r"#\{(protocol|host|port|path|query)\}", lambda m: values[m.group(1)], text)

    protocol = fill(config["Protocol"]).lower()
    port = fill(config["Port"])
    default = (protocol == "http" and port == "80") or (protocol == "https" and port == "443")
    location = f"{protocol}://{fill(config['Host'])}{'' if default else ':' + port}{fill(config['Path'])}"
    query = fill(config["Query"])
    if query:
        location += "?" + query
    status = 301 if config["StatusCode"] == "HTTP_301" else 302
    return Respond(status, [("location", location), ("content-type", "text/html")], b"")


def fixed_response(config: dict) -> Respond:
    return Respond(int(config["StatusCode"]), [("content-type", config.get("ContentType") or "text/plain")],
                   (config.get("MessageBody") or "").encode())


def _group_tag(tg_arn: str) -> str:
    return hashlib.sha256(tg_arn.encode()).hexdigest()[:12]


class Router:
    def __init__(self, state: Elbv2State, health: Health, tokens: Paginator) -> None:
        self.state = state
        self.health = health
        self.tokens = tokens  # tamper-evident cookie values, as the paginator's tokens
        self._turns: dict[str, itertools.count] = {}
        self.in_flight: dict[Key, int] = {}  # requests a target is answering now (least_outstanding_requests)
        # (scope, load balancer, port) -> the listener's rules with conditions in priority order, and
        # the action when none holds: looked up once, not per request, until the configuration changes.
        self._routes: dict[tuple[Scope, str, int], tuple[list[Rule], dict | None]] = {}

    def changed(self) -> None:
        """Listeners, rules or actions may have changed: look them up again."""
        self._routes.clear()

    def action(self, scope: Scope, lb_arn: str, request: Request) -> dict | None:
        """The action the listener on ``request.port`` takes: its first rule whose conditions hold."""
        key = (scope, lb_arn, request.port)
        route = self._routes.get(key)
        if route is None:
            route = self._routes[key] = self._route(scope, lb_arn, request.port)
        rules, default = route
        for rule in rules:
            if all(condition_holds(condition, request) for condition in rule.conditions):
                return rule.actions[-1]
        return default

    def _route(self, scope: Scope, lb_arn: str, port: int) -> tuple[list[Rule], dict | None]:
        listener = next((item for item in self.state.listeners_of(scope, lb_arn) if item.port == port), None)
        if listener is None:
            return [], None
        rules = self.state.rules_of(scope, listener.arn)
        default = next((rule.actions[-1] for rule in rules if rule.is_default), listener.default_actions[-1])
        return [rule for rule in rules if not rule.is_default], default

    def target_group(self, scope: Scope, action: dict, request: Request) -> tuple[TargetGroup | None, str | None]:
        """The target group a forward sends this request to, and the AWSALBTG cookie to set when
        the action's group stickiness is on (the client then stays with that group)."""
        config = action["ForwardConfig"]
        groups = [group for group in config["TargetGroups"] if group.get("Weight", 1) > 0]
        if not groups:
            return None, None
        stickiness = config.get("TargetGroupStickinessConfig") or {}
        sticky = stickiness.get("Enabled") and len(groups) > 1
        chosen = None
        if sticky:
            pinned = self._decode(request.cookies.get(GROUP_COOKIE))
            chosen = next((g["TargetGroupArn"] for g in groups if _group_tag(g["TargetGroupArn"]) == pinned.get("g")), None)
        if chosen is None and len(groups) == 1:
            chosen = groups[0]["TargetGroupArn"]
        if chosen is None:
            # Weighted round robin: each group takes Weight turns out of the sum.
            turn = next(self._turns.setdefault(config["TargetGroups"][0]["TargetGroupArn"] + "#w", itertools.count()))
            turn %= sum(group["Weight"] for group in groups)
            for group in groups:
                if turn < group["Weight"]:
                    chosen = group["TargetGroupArn"]
                    break
                turn -= group["Weight"]
        cookie = None
        if sticky:
            value = self.tokens.encode({"g": _group_tag(chosen)})
            cookie = _set_cookie(GROUP_COOKIE, value, int(stickiness.get("DurationSeconds", 3600)), "")
        return self.state.target_groups.get(scope, chosen), cookie

    def _decode(self, value: str | None) -> dict:
        if not value:
            return {}
        try:
            payload = self.tokens.decode(value)
        except InvalidToken:
            return {}
        return payload if isinstance(payload, dict) else {}

    def _cookie_target(self, tg: TargetGroup, value: str | None) -> Key | None:
        payload = self._decode(value)
        if payload.get("g") != _group_tag(tg.arn):
            return None
        return payload.get("i"), payload.get("p")

    def _cookie_value(self, tg: TargetGroup, target: Key) -> str:
        return self.tokens.encode({"g": _group_tag(tg.arn), "i": target[0], "p": target[1]})

    def forward(self, scope: Scope, tg: TargetGroup, request: Request) -> Forward | None:
        routable = self.health.routable(scope, tg)
        if not routable:
            return None
        attributes = tg.attributes
        sticky = attributes.get("stickiness.enabled") == "true"
        kind = attributes.get("stickiness.type", "lb_cookie")
        cookies = request.cookies if sticky else {}
        if sticky and kind == "lb_cookie":
            pinned = self._cookie_target(tg, cookies.get(LB_COOKIE) or cookies.get(LB_CORS_COOKIE))
        elif sticky:
            pinned = self._cookie_target(tg, cookies.get(APP_COOKIE))
        else:
            pinned = None
        target = pinned if pinned in routable else self._next(tg, routable)
        decision = Forward(tg, target)
        if sticky and kind == "lb_cookie":
            # Every response carries the cookie again, so a client re-sticks at once after its
            # target failed and another one answered.
            duration = int(attributes.get("stickiness.lb_cookie.duration_seconds", "86400"))
            value = self._cookie_value(tg, target)
            decision.cookies = [_set_cookie(LB_COOKIE, value, duration, ""),
                                _set_cookie(LB_CORS_COOKIE, value, duration, "; SameSite=None; Secure")]
        elif sticky:
            decision.app_cookie = attributes.get("stickiness.app_cookie.cookie_name", "")
            decision.app_cookie_duration = int(attributes.get("stickiness.app_cookie.duration_seconds", "86400"))
            if pinned is not None and pinned != target:
                # The application's cookie stays, its target is gone: stick the client to the new one.
                decision.cookies = [_set_cookie(APP_COOKIE, self._cookie_value(tg, target), decision.app_cookie_duration, "")]
        return decision

    def _next(self, tg: TargetGroup, routable: list[Key]) -> Key:
        """Round robin; with least_outstanding_requests, the target answering the fewest requests
        now (round robin among those with as few)."""
        turn = next(self._turns.setdefault(tg.arn, itertools.count()))
        if tg.attributes.get("load_balancing.algorithm.type") == "least_outstanding_requests":
            fewest = min(self.in_flight.get(key, 0) for key in routable)
            routable = [key for key in routable if self.in_flight.get(key, 0) == fewest]
        return routable[turn % len(routable)]

    def app_cookie_for(self, decision: Forward, response_cookies: list[str]) -> str | None:
        """The AWSALBAPP-0 cookie to add when the target's response sets the application's cookie."""
        name = decision.app_cookie
        if not name or any(cookie.startswith(APP_COOKIE + "=") for cookie in decision.cookies):
            return None
        if any(cookie.split("=", 1)[0].strip() == name for cookie in response_cookies):
            return _set_cookie(APP_COOKIE, self._cookie_value(decision.tg, decision.target), decision.app_cookie_duration, "")
        return None


def _set_cookie(name: str, value: str, duration: int, extra: str) -> str:
    return f"{name}={value}; Expires={formatdate(time.time() + duration, usegmt=True)}; Path=/{extra}"
