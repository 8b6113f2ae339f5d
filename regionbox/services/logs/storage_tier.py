"""The account's storage tier policy: GetStorageTierPolicy, PutStorageTierPolicy. STANDARD until
set; INTELLIGENT_TIERING changes what AWS charges, not what Logs answers."""

from __future__ import annotations

from regionbox.core.context import RequestContext
from regionbox.services.logs.models import AccountSetting
from regionbox.services.logs.state import LogsState, now_ms

KEY = "storage-tier"


class StorageTier:
    def __init__(self, state: LogsState) -> None:
        self.settings = state.account_settings

    def put_storage_tier_policy(self, ctx: RequestContext, params: dict) -> dict:
        setting = AccountSetting(params["storageTier"], now_ms())
        self.settings.put(ctx.scope, KEY, setting)
        return {"storageTier": setting.value, "lastUpdatedTime": setting.last_updated}

    def get_storage_tier_policy(self, ctx: RequestContext, params: dict) -> dict:
        setting = self.settings.get(ctx.scope, KEY)
        if setting is None:
            return {"storageTier": "STANDARD"}
        return {"storageTier": setting.value, "lastUpdatedTime": setting.last_updated}
