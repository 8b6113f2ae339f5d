"""The account's API Gateway settings: GetAccount, UpdateAccount.

Account-level throttling is AWS's default (10,000 requests a second, burst 5,000); only
``cloudwatchRoleArn`` is the caller's to set, as on AWS.
"""

from __future__ import annotations

from regionbox.core.context import RequestContext
from regionbox.services.apigateway import patch
from regionbox.services.apigateway.models import Account
from regionbox.services.apigateway.state import ApiGatewayState

ACCOUNT_RATE_LIMIT = 10000.0
ACCOUNT_BURST_LIMIT = 5000


class Accounts:
    def __init__(self, state: ApiGatewayState) -> None:
        self.state = state

    def _answer(self, account: Account) -> dict:
        return {**account.body, "throttleSettings": {"burstLimit": ACCOUNT_BURST_LIMIT, "rateLimit": ACCOUNT_RATE_LIMIT},
                "features": ["UsagePlans"], "apiKeyVersion": "4"}

    def get_account(self, ctx: RequestContext, params: dict) -> dict:
        return self._answer(self.state.accounts.get(ctx.scope, "") or Account({}))

    def update_account(self, ctx: RequestContext, params: dict) -> dict:
        account = self.state.accounts.get(ctx.scope, "") or Account({})
        account.body = patch.apply(dict(account.body), params.get("patchOperations"), "Account", ("cloudwatchRoleArn",))
        self.state.accounts.put(ctx.scope, "", account)
        return self._answer(account)
