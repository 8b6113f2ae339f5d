"""Migration Hub Config's state: one home region control per account (global, region "")."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


@dataclass
class HomeRegionControl:
    SCHEMA_VERSION: ClassVar[int] = 1
    control_id: str  # "hrc-" + 12 lowercase letters and digits
    home_region: str
    target_type: str  # always "ACCOUNT"
    target_id: str  # the account the control is for
    requested_time: float

    def describe(self) -> dict:
        return {"ControlId": self.control_id, "HomeRegion": self.home_region,
                "Target": {"Type": self.target_type, "Id": self.target_id},
                "RequestedTime": self.requested_time}


class ConfigState:
    def __init__(self, store) -> None:
        # Keyed by the control id in the account's global scope: the home region is the
        # account's, whichever region the call was made in.
        self.controls = store.collection("migrationhub-config.controls", HomeRegionControl)

    def control_of(self, account: str) -> HomeRegionControl | None:
        return next(iter(self.controls.values((account, ""))), None)
