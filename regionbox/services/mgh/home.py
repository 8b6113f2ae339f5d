"""Where a Migration Hub call is served: the account's home region (Migration Hub Config's rule:
HomeRegionNotSetException before one is set; writes only in the home region, reads anywhere),
then DryRun, and what Application Discovery Service knows of the account."""

from __future__ import annotations

from typing import Any

from regionbox.core.errors import ServiceError
from regionbox.core.registry import ServiceUnavailable
from regionbox.core.store import Scope

DRY_RUN = "Request would have succeeded, but DryRun flag is set."


class Home:
    def __init__(self, services: Any) -> None:
        self.services = services

    def scope(self, ctx, write: bool, params: dict | None = None) -> Scope:
        """The (account, home region) whose data the call reads or writes."""
        home = self.services.api("migrationhub-config").check(ctx.account_id, ctx.region, write)
        if params is not None and params.get("DryRun"):
            raise ServiceError("DryRunOperation", DRY_RUN)
        return (ctx.account_id, home)

    def discovery(self) -> Any | None:
        """Application Discovery Service's api, or None in a cloud that does not serve it."""
        try:
            return self.services.api("discovery")
        except (KeyError, ServiceUnavailable):
            return None

    def servers(self, scope: Scope) -> list[dict] | None:
        api = self.discovery()
        return None if api is None else api.servers(*scope)

    def applications(self, scope: Scope) -> list[dict] | None:
        api = self.discovery()
        return None if api is None else api.applications(*scope)
