"""Service updates: DescribeServiceUpdates (a catalog), DescribeUpdateActions, BatchApplyUpdateAction
and BatchStopUpdateAction.

On AWS a service update is a patch ElastiCache rolls out to the nodes. regionbox's nodes run the
engine installed on the machine, so there is nothing to patch: the catalog lists the updates
AWS publishes for each engine, every cluster and replication group of that engine has an update
action for each (``not-applied``), and applying one takes a moment ("in-progress") and is then
"complete" with its nodes counted updated. Stopping one that is not complete yet makes it
"stopped"; it can be applied again.
"""

from __future__ import annotations

from typing import Any

from regionbox.core import clock
from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError
from regionbox.core.pagination import Paginator
from regionbox.core.store import Scope
from regionbox.services.elasticache import validation as check
from regionbox.services.elasticache.models import UpdateAction
from regionbox.services.elasticache.state import ElastiCacheState

APPLY_SECONDS = 1.0  # how long an applied update action is "in-progress"
MAX_TARGETS = 20  # "a maximum of 20 replication groups / cache clusters" per batch
_DAY = 86400.0
# name -> (engine, release date (epoch), severity, description)
CATALOG = {
    "elasticache-20240910-001": ("redis", 1725926400.0, "important", "Redis OSS engine security update"),
    "elasticache-20241105-001": ("valkey", 1730764800.0, "medium", "Valkey engine stability update"),
    "elasticache-20240618-001": ("memcached", 1718668800.0, "low", "Memcached engine update"),
}
UPDATE_STATUSES = ("available", "cancelled", "expired")
ACTION_STATUSES = ("not-applied", "waiting-to-start", "in-progress", "stopping", "stopped", "complete", "scheduling", "scheduled",
                   "not-applicable")


def _update(name: str) -> dict[str, Any]:
    engine, released, severity, description = CATALOG[name]
    return {"ServiceUpdateName": name, "ServiceUpdateReleaseDate": released, "ServiceUpdateEndDate": released + 365 * _DAY,
            "ServiceUpdateSeverity": severity, "ServiceUpdateRecommendedApplyByDate": released + 30 * _DAY,
            "ServiceUpdateStatus": "available", "ServiceUpdateDescription": description, "ServiceUpdateType": "security-update",
            "Engine": engine, "EngineVersion": "all", "AutoUpdateAfterRecommendedApplyByDate": False,
            "EstimatedUpdateTime": "5 minutes per node"}


def _not_found(name: str) -> ServiceError:
    return ServiceError("ServiceUpdateNotFoundFault", f"Service update {name} not found.", status=404)


def _status(action: UpdateAction | None) -> str:
    if action is None:
        return "not-applied"
    if action.status == "in-progress" and action.applied is not None and clock.epoch() >= action.applied + APPLY_SECONDS:
        return "complete"
    return action.status


class ServiceUpdates:
    def __init__(self, state: ElastiCacheState, paginator: Paginator) -> None:
        self.state = state
        self.paginator = paginator

    def describe_service_updates(self, ctx: RequestContext, params: dict) -> dict:
        name = params.get("ServiceUpdateName")
        if name is not None and name not in CATALOG:
            raise _not_found(name)
        statuses = params.get("ServiceUpdateStatus") or []
        for status in statuses:
            if status not in UPDATE_STATUSES:
                raise check.invalid(f"Invalid service update status: {status}.")
        rows = [_update(n) for n in CATALOG if name in (None, n)]
        rows = [r for r in rows if not statuses or r["ServiceUpdateStatus"] in statuses]
        return check.paged(self.paginator, "ServiceUpdates", rows, params)

    # -- the targets --------------------------------------------------------------------------------
    def _targets(self, scope: Scope) -> list[tuple[str, str, str, int, float]]:
        """(kind, id, engine, node count, created) of every replication group and cluster outside one."""
        rows = [("replication-group", rg.replication_group_id, rg.engine, len(rg.member_clusters), rg.created)
                for rg in self.state.visible_groups(scope)]
        rows += [("cache-cluster", c.cluster_id, c.engine, len(c.nodes), c.created) for c in self.state.cache_clusters.values(scope)
                 if not c.replication_group_id and not self.state.hidden(scope, c)]
        return rows

    def _action(self, scope: Scope, update: str, kind: str, target: str, created: float) -> UpdateAction | None:
        """The target's action; one left by an earlier resource of the same id is not its."""
        action = self.state.update_actions.get(scope, f"{update}/{kind}/{target}")
        return action if action is not None and (action.changed or 0) >= created else None

    def describe_update_actions(self, ctx: RequestContext, params: dict) -> dict:
        scope = ctx.scope
        name = params.get("ServiceUpdateName")
        group_ids, cluster_ids = params.get("ReplicationGroupIds"), params.get("CacheClusterIds")
        for status in params.get("UpdateActionStatus") or []:
            if status not in ACTION_STATUSES:
                raise check.invalid(f"Invalid update action status: {status}.")
        window = params.get("ServiceUpdateTimeRange") or {}
        start, end = window.get("StartTime"), window.get("EndTime")
        rows = []
        for update in CATALOG:
            info = _update(update)
            if name not in (None, update) or params.get("Engine") not in (None, info["Engine"]):
                continue
            if params.get("ServiceUpdateStatus") and info["ServiceUpdateStatus"] not in params["ServiceUpdateStatus"]:
                continue
            released = info["ServiceUpdateReleaseDate"]
            if (start is not None and released < start.timestamp()) or (end is not None and released > end.timestamp()):
                continue
            for kind, target, engine, nodes, created in self._targets(scope):
                if engine != info["Engine"]:
                    continue
                if (group_ids is not None or cluster_ids is not None) and target not in (
                        (group_ids or []) if kind == "replication-group" else (cluster_ids or [])):
                    continue
                action = self._action(scope, update, kind, target, created)
                status = _status(action)
                if params.get("UpdateActionStatus") and status not in params["UpdateActionStatus"]:
                    continue
                row = {"ReplicationGroupId" if kind == "replication-group" else "CacheClusterId": target,
                       "ServiceUpdateName": update, "ServiceUpdateReleaseDate": released,
                       "ServiceUpdateSeverity": info["ServiceUpdateSeverity"], "ServiceUpdateStatus": info["ServiceUpdateStatus"],
                       "ServiceUpdateRecommendedApplyByDate": info["ServiceUpdateRecommendedApplyByDate"],
                       "ServiceUpdateType": info["ServiceUpdateType"], "UpdateActionAvailableDate": released,
                       "UpdateActionStatus": status, "NodesUpdated": f"{nodes if status == 'complete' else 0}/{nodes}",
                       "SlaMet": "n/a" if status != "complete" else "yes", "EstimatedUpdateTime": info["EstimatedUpdateTime"],
                       "Engine": engine}
                if action is not None and action.changed is not None:
                    row["UpdateActionStatusModifiedDate"] = action.changed
                rows.append(row)
        return check.paged(self.paginator, "UpdateActions", rows, params)

    # -- BatchApplyUpdateAction / BatchStopUpdateAction -----------------------------------------------
    def batch_apply_update_action(self, ctx: RequestContext, params: dict) -> dict:
        return self._batch(ctx, params, apply=True)

    def batch_stop_update_action(self, ctx: RequestContext, params: dict) -> dict:
        return self._batch(ctx, params, apply=False)

    def _batch(self, ctx: RequestContext, params: dict, apply: bool) -> dict:
        scope = ctx.scope
        update = params["ServiceUpdateName"]
        if update not in CATALOG:
            raise _not_found(update)
        group_ids, cluster_ids = params.get("ReplicationGroupIds") or [], params.get("CacheClusterIds") or []
        if not group_ids and not cluster_ids:
            raise check.invalid("At least one of ReplicationGroupIds or CacheClusterIds must be specified.")
        if len(group_ids) > MAX_TARGETS or len(cluster_ids) > MAX_TARGETS:
            raise check.invalid(f"At most {MAX_TARGETS} replication groups and {MAX_TARGETS} cache clusters can be specified.")
        engine = CATALOG[update][0]
        targets = {(kind, target): (target_engine, created) for kind, target, target_engine, _, created in self._targets(scope)}
        processed, unprocessed = [], []
        now = clock.epoch()
        with self.state.transaction():
            for kind, ids in (("replication-group", group_ids), ("cache-cluster", cluster_ids)):
                member = "ReplicationGroupId" if kind == "replication-group" else "CacheClusterId"
                for target in ids:
                    failure = self._refusal(kind, target, targets, engine)
                    action = self._action(scope, update, kind, target, targets[(kind, target)][1]) if failure is None else None
                    status = _status(action)
                    if failure is None and not apply and status not in ("in-progress", "waiting-to-start"):
                        failure = ("InvalidParameterValue", f"The update action of {target} is {status}: there is nothing to stop.")
                    if failure is None and apply and status in ("in-progress", "complete"):
                        failure = ("InvalidParameterValue", f"The update action of {target} is already {status}.")
                    if failure is not None:
                        unprocessed.append({member: target, "ServiceUpdateName": update, "ErrorType": failure[0],
                                            "ErrorMessage": failure[1]})
                        continue
                    action = UpdateAction(service_update=update, target=target, target_kind=kind,
                                          status="in-progress" if apply else "stopped", applied=now if apply else None, changed=now)
                    self.state.update_actions.put(scope, f"{update}/{kind}/{target}", action)
                    processed.append({member: target, "ServiceUpdateName": update, "UpdateActionStatus": action.status})
        return {"ProcessedUpdateActions": processed, "UnprocessedUpdateActions": unprocessed}

    @staticmethod
    def _refusal(kind: str, target: str, targets: dict, engine: str) -> tuple[str, str] | None:
        if (kind, target) not in targets:
            if kind == "replication-group":
                return "ReplicationGroupNotFoundFault", f"Replication group {target} not found."
            return "CacheClusterNotFound", f"Cache cluster {target} not found."
        if targets[(kind, target)][0] != engine:
            return "InvalidParameterValue", f"The service update does not apply to {target}: its engine is {targets[(kind, target)][0]}."
        return None
