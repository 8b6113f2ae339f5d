"""PutPortfolioPreferences, GetPortfolioPreferences: business goals ranked 1-5, the preferred
application destination and database targets. The rules read them, so saving them derives the
options of every assessed server and component again (AWS refreshes its recommendations the same
way); not while an assessment runs (ConflictException)."""

from __future__ import annotations

from regionbox.core import clock
from regionbox.core.errors import ServiceError
from regionbox.services.migrationhubstrategy.analysis import options_of, server_options_again
from regionbox.services.migrationhubstrategy.common import not_found
from regionbox.services.migrationhubstrategy.models import PREFERENCES_KEY, StrategyState
from regionbox.services.migrationhubstrategy.rules import Preferences

MEMBERS = ("prioritizeBusinessGoals", "applicationPreferences", "databasePreferences", "applicationMode")


class PortfolioPreferences:
    def __init__(self, state: StrategyState) -> None:
        self.state = state

    def put_portfolio_preferences(self, ctx, params: dict) -> dict:
        running = self.state.in_progress(ctx.scope)
        if running is not None:
            raise ServiceError("ConflictException", f"Assessment {running.id} is in progress: save the preferences "
                                                    "when it has finished.", status=409)
        document = dict(self.state.preferences.get(ctx.scope, PREFERENCES_KEY) or {"applicationMode": "ALL"})
        document.update({member: params[member] for member in MEMBERS if member in params})
        preferences = Preferences.of(document)
        today = clock.now().date()
        with self.state.store.transaction():
            self.state.preferences.put(ctx.scope, PREFERENCES_KEY, document)
            for server in self.state.servers.values(ctx.scope):
                server.options = server_options_again(server, preferences, today)
                self.state.servers.put(ctx.scope, server.id, server)
            for component in self.state.components.values(ctx.scope):
                component.options = options_of(component, preferences)
                self.state.components.put(ctx.scope, component.id, component)
        return {}

    def get_portfolio_preferences(self, ctx, params: dict) -> dict:
        document = self.state.preferences.get(ctx.scope, PREFERENCES_KEY)
        if document is None:
            raise not_found("No portfolio preferences have been saved in this account.")
        return dict(document)
