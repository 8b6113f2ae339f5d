"""AWS managed policies: the ones AWS keeps in every account (``arn:aws:iam::aws:policy/...``).

Their documents are AWS's own, default version and all, stored as data in ``aws_managed/`` (one
JSON file per policy: name, path, default version id, dates, document). An AWS managed ARN that is
not in the catalogue can still be attached (templates attach many), but grants nothing here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).with_name("aws_managed")


@dataclass(frozen=True)
class AwsManagedPolicy:
    name: str
    path: str
    version_id: str
    document: str
    create_date: str
    update_date: str

    def arn(self, partition: str = "aws") -> str:
        return f"arn:{partition}:iam::aws:policy{self.path}{self.name}"


@lru_cache(maxsize=1)
def catalogue() -> dict[str, AwsManagedPolicy]:
    """Name -> policy (loaded once, on first use)."""
    found = {}
    for file in sorted(DATA.glob("*.json")):
        raw = json.loads(file.read_text())
        found[raw["PolicyName"]] = AwsManagedPolicy(raw["PolicyName"], raw["Path"], raw["DefaultVersionId"],
                                                    json.dumps(raw["Document"]), raw["CreateDate"], raw["UpdateDate"])
    return found


def is_aws_managed(arn: str) -> bool:
    parts = arn.split(":", 5)
    return len(parts) == 6 and parts[0] == "arn" and parts[2] == "iam" and parts[4] == "aws" and parts[5].startswith("policy/")


def find(arn: str) -> AwsManagedPolicy | None:
    """The AWS managed policy an ARN names (path included), if the catalogue has it."""
    if not is_aws_managed(arn):
        return None
    found = catalogue().get(arn.rsplit("/", 1)[-1])
    return found if found is not None and arn.split(":", 5)[5] == f"policy{found.path}{found.name}" else None
