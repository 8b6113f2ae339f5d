"""What Migration Hub Config offers other services (``cloud.services.api("migrationhub-config")``):
the account's home region, and the home-region rule Migration Hub and Application Discovery
Service apply before a call (AWS's Migration Hub Home Region API reference, "Welcome"):

- no home region set: ``HomeRegionNotSetException``;
- a write (create, notify, associate, disassociate, import, put) outside the home region:
  ``InvalidInputException``; reads (list, describe, get, stop, delete) are allowed anywhere.
"""

from __future__ import annotations

from regionbox.core.errors import ServiceError
from regionbox.services.migrationhub_config.models import ConfigState

# The message is the one the models document for HomeRegionNotSetException.
HOME_REGION_NOT_SET = "The home region is not set. Set the home region to continue."


class MigrationHubConfigApi:
    def __init__(self, state: ConfigState) -> None:
        self._state = state

    def home_region(self, account: str) -> str | None:
        control = self._state.control_of(account)
        return control.home_region if control else None

    def check(self, account: str, region: str, write: bool) -> str:
        """The account's home region, or the error AWS answers a call in ``region`` with."""
        home = self.home_region(account)
        if home is None:
            raise ServiceError("HomeRegionNotSetException", HOME_REGION_NOT_SET)
        if write and region != home:
            raise ServiceError("InvalidInputException",
                               f"The home region for this account is {home}. "
                               f"Write calls must be made in the home region, not in {region}.")
        return home
