"""The agent's on-disk buffer: what it collected and has not yet had acknowledged.

Every collection is sealed at once into a numbered file (written to a temporary name, fsync'd,
renamed), so neither the cloud being down nor the agent being killed loses it. An upload sends
the oldest files as one numbered batch; only when the service acknowledged the batch are the files
removed. The service applies a batch number once, so a batch sent again after a lost answer is
not counted twice. Numbers keep growing across restarts (the highest file, or the counter file).
"""

from __future__ import annotations

import json
import os
from pathlib import Path


class Spool:
    def __init__(self, directory: Path, limit_files: int = 20_000) -> None:
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self.limit_files = limit_files
        self.rejected = directory / "rejected"
        self._counter = directory / "next-batch"
        numbers = [int(p.stem) for p in self.files()]
        stored = int(self._counter.read_text()) if self._counter.exists() else 0
        self._next = max([stored] + [n + 1 for n in numbers])

    def files(self) -> list[Path]:
        return sorted(self.directory.glob("*.json"), key=lambda p: int(p.stem))

    def seal(self, records: list[dict]) -> None:
        if not records:
            return
        number = self._next
        self._next += 1
        target = self.directory / f"{number:012d}.json"
        temporary = target.with_suffix(".tmp")
        with open(temporary, "wb") as sink:
            sink.write(json.dumps(records, separators=(",", ":")).encode())
            sink.flush()
            os.fsync(sink.fileno())
        os.replace(temporary, target)
        self._counter.write_text(str(self._next))
        files = self.files()
        if len(files) > self.limit_files:  # a cloud away for weeks: keep the newest, say so
            for old in files[: len(files) - self.limit_files]:
                old.unlink(missing_ok=True)

    def pending(self, most: int = 200) -> tuple[int, list[Path], list[dict]]:
        """The oldest files (up to ``most``): the batch number (the last file's), the files, their records."""
        files = self.files()[:most]
        records: list[dict] = []
        for path in files:
            try:
                records.extend(json.loads(path.read_bytes()))
            except (OSError, ValueError):
                continue  # a file cut short by a crash mid-write never got its final name; skip anything odd
        return (int(files[-1].stem) if files else -1), files, records

    @staticmethod
    def done(files: list[Path]) -> None:
        for path in files:
            path.unlink(missing_ok=True)

    def reject(self, files: list[Path]) -> None:
        self.rejected.mkdir(exist_ok=True)
        for path in files:
            path.replace(self.rejected / path.name)
