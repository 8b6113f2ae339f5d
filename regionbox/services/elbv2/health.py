"""Target health: real HTTP probes at each target group's path, interval, timeout, thresholds and
matcher, and the states and reason codes DescribeTargetHealth reports as AWS does.

Each target of a group that a load balancer uses has its own probe loop: the first probe at once
(registration), then one per interval. ``initial`` becomes ``healthy`` after HealthyThresholdCount
passes in a row and ``unhealthy`` after UnhealthyThresholdCount failures in a row, and back. A
group no listener or rule forwards to has its targets ``unused`` (Target.NotInUse), as AWS does
not check them. A deregistered target is ``draining`` for the group's deregistration delay and
gets no new requests meanwhile.

Health is kept in memory: after a restart every target starts ``initial`` again, as targets do
when AWS replaces a load balancer node.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from regionbox.core.store import Scope
from regionbox.core.tasks import Tasks
from regionbox.services.elbv2.models import Elbv2State, TargetGroup

log = logging.getLogger("regionbox.elbv2.health")

Key = tuple[str, int]  # (target id, port)
USER_AGENT = "ELB-HealthChecker/2.0"

INITIAL = ("initial", "Elb.RegistrationInProgress", "Target registration is in progress")
NOT_IN_USE = ("unused", "Target.NotInUse", "Target group is not configured to receive traffic from the load balancer")
NOT_REGISTERED = ("unused", "Target.NotRegistered", "Target is not registered to the target group")
DRAINING = ("draining", "Target.DeregistrationInProgress", "Target deregistration is in progress")
TIMEOUT = ("Target.Timeout", "Request timed out")
FAILED = ("Target.FailedHealthChecks", "Health checks failed")


def matches(code: int, matcher: str) -> bool:
    """HTTP code against a matcher such as "200", "200,202" or "200-299"."""
    for part in matcher.split(","):
        low, _, high = part.partition("-")
        if int(low) <= code <= int(high or low):
            return True
    return False


async def probe(address: str, port: int, path: str, timeout: float, matcher: str) -> tuple[str, str] | None:
    """One health check: None when it passed, else (reason code, description)."""
    async def attempt() -> int:
        reader, writer = await asyncio.open_connection(address, port)
        try:
            writer.write(f"GET {path} HTTP/1.1\r\nHost: {address}:{port}\r\nUser-Agent: {USER_AGENT}\r\n"
                         "Connection: close\r\n\r\n".encode())
            status = await reader.readline()
            return int(status.split(b" ", 2)[1])
        finally:
            writer.transport.abort()

    try:
        code = await asyncio.wait_for(attempt(), timeout)
    except asyncio.TimeoutError:
        return TIMEOUT
    except (OSError, ValueError, IndexError):
        return FAILED
    if matches(code, matcher):
        return None
    return "Target.ResponseCodeMismatch", f"Health checks failed with these codes: [{code}]"


@dataclass
class Record:
    state: str = INITIAL[0]
    reason: str | None = INITIAL[1]
    description: str | None = INITIAL[2]
    passes: int = 0
    failures: int = 0
    task: asyncio.Task | None = field(default=None, repr=False)

    def update(self, failure: tuple[str, str] | None, healthy_threshold: int, unhealthy_threshold: int) -> None:
        if failure is None:
            self.passes, self.failures = self.passes + 1, 0
            if self.state != "healthy" and self.passes >= healthy_threshold:
                self.state, self.reason, self.description = "healthy", None, None
        else:
            self.passes, self.failures = 0, self.failures + 1
            if self.state != "unhealthy" and self.failures >= unhealthy_threshold:
                self.state = "unhealthy"
            if self.state == "unhealthy":
                self.reason, self.description = failure


class Health:
    def __init__(self, state: Elbv2State, tasks: Tasks) -> None:
        self.state = state
        self.tasks = tasks
        self._records: dict[tuple[Scope, str], dict[Key, Record]] = {}
        self._draining: dict[tuple[Scope, str], dict[Key, tuple[dict, asyncio.TimerHandle]]] = {}

    # -- what routing and DescribeTargetHealth ask --------------------------------------------------
    def of(self, scope: Scope, tg: TargetGroup, target: dict) -> dict:
        key = (target["Id"], target["Port"])
        if key in self._draining.get((scope, tg.arn), {}):
            return _shape(DRAINING)
        if not any((t["Id"], t["Port"]) == key for t in tg.targets):
            return _shape(NOT_REGISTERED)
        record = self._records.get((scope, tg.arn), {}).get(key)
        if record is None:
            return _shape(NOT_IN_USE)
        health = {"State": record.state}
        if record.reason:
            health.update(Reason=record.reason, Description=record.description)
        return health

    def routable(self, scope: Scope, tg: TargetGroup) -> list[Key]:
        """The targets that get new requests: the healthy ones; with none healthy, every registered
        target (ALB fails open rather than refuse all traffic)."""
        records = self._records.get((scope, tg.arn), {})
        registered = [(t["Id"], t["Port"]) for t in tg.targets]
        healthy = [key for key in registered if key in records and records[key].state == "healthy"]
        return healthy or registered

    def draining(self, scope: Scope, tg_arn: str) -> list[dict]:
        return [target for target, _ in self._draining.get((scope, tg_arn), {}).values()]

    # -- keeping probes in step with the configuration ----------------------------------------------
    def sync(self, scope: Scope, tg_arn: str) -> None:
        """Start probes for targets of a group in use, stop those no longer wanted."""
        tg = self.state.target_groups.get(scope, tg_arn)
        in_use = tg is not None and bool(self.state.target_group_users(scope, tg_arn))
        wanted = {(t["Id"], t["Port"]) for t in tg.targets} if tg is not None and in_use else set()
        records = self._records.setdefault((scope, tg_arn), {})
        for key in [key for key in records if key not in wanted]:
            _cancel(records.pop(key))
        for key in wanted - set(records):
            record = records[key] = Record()
            record.task = self.tasks.spawn(self._check(scope, tg_arn, key, record), owner="elbv2",
                                           what=f"health checks of {key[0]}:{key[1]} in {tg_arn}")
        if not records:
            self._records.pop((scope, tg_arn), None)

    def sync_scope(self, scope: Scope) -> None:
        for tg in self.state.target_groups.values(scope):
            self.sync(scope, tg.arn)

    def drain(self, scope: Scope, tg: TargetGroup, keys: list[Key]) -> None:
        self.sync(scope, tg.arn)
        delay = int(tg.attributes.get("deregistration_delay.timeout_seconds", "300"))
        if delay <= 0:
            return
        draining = self._draining.setdefault((scope, tg.arn), {})
        loop = asyncio.get_running_loop()
        for key in keys:
            if key in draining:
                draining[key][1].cancel()
            draining[key] = ({"Id": key[0], "Port": key[1]}, loop.call_later(delay, draining.pop, key, None))

    def forget(self, scope: Scope, tg_arn: str) -> None:
        for record in self._records.pop((scope, tg_arn), {}).values():
            _cancel(record)
        for _, timer in self._draining.pop((scope, tg_arn), {}).values():
            timer.cancel()

    def reset(self) -> None:
        for scope, tg_arn in list(self._records) + list(self._draining):
            self.forget(scope, tg_arn)

    async def _check(self, scope: Scope, tg_arn: str, key: Key, record: Record) -> None:
        while True:
            tg = self.state.target_groups.get(scope, tg_arn)
            if tg is None:
                return
            settings = tg.health_check
            port = key[1] if settings["HealthCheckPort"] == "traffic-port" else int(settings["HealthCheckPort"])
            failure = await probe(key[0], port, settings["HealthCheckPath"], settings["HealthCheckTimeoutSeconds"],
                                  settings["Matcher"]["HttpCode"])
            before = record.state
            record.update(failure, settings["HealthyThresholdCount"], settings["UnhealthyThresholdCount"])
            if record.state != before:
                log.info("target %s:%s of %s is %s", key[0], key[1], tg_arn, record.state)
            await asyncio.sleep(settings["HealthCheckIntervalSeconds"])


def _shape(health: tuple[str, str, str]) -> dict:
    state, reason, description = health
    return {"State": state, "Reason": reason, "Description": description}


def _cancel(record: Record) -> None:
    if record.task is not None:
        record.task.cancel()
