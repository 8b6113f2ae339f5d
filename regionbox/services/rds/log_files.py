"""DB log files: DescribeDBLogFiles and DownloadDBLogFilePortion over what the primary's PostgreSQL
writes (its stderr, with RDS's log_line_prefix), named as RDS names the PostgreSQL error log.
The Marker is the byte offset to read from."""

from __future__ import annotations

from regionbox.core.errors import ServiceError, invalid
from regionbox.services.rds import validation as check
from regionbox.services.rds.instances import Instances

LOG_FILE = "error/postgresql.log"
MAX_BYTES = 1024 * 1024  # RDS returns at most 1 MB a call
MAX_LINES = 10000


class LogFiles:
    def __init__(self, instances: Instances) -> None:
        self.instances = instances

    def _path(self, ctx, identifier: str):
        instance = self.instances.get(ctx.scope, identifier)
        primary = instance.primary
        return self.instances.nodes.data_dir(primary.node_id) / "process.log" if primary else None

    def describe_db_log_files(self, ctx, params: dict) -> dict:
        path = self._path(ctx, params["DBInstanceIdentifier"])
        rows = []
        if path is not None and path.exists() and LOG_FILE.startswith(params.get("FilenameContains") or ""):
            stat = path.stat()
            if stat.st_size >= (params.get("FileSize") or 0) and stat.st_mtime * 1000 >= (params.get("FileLastWritten") or 0):
                rows.append({"LogFileName": LOG_FILE, "LastWritten": int(stat.st_mtime * 1000), "Size": stat.st_size})
        return check.paged(self.instances.paginator, "DescribeDBLogFiles", rows, params)

    def download_db_log_file_portion(self, ctx, params: dict) -> dict:
        path = self._path(ctx, params["DBInstanceIdentifier"])
        if params["LogFileName"] != LOG_FILE or path is None or not path.exists():
            raise ServiceError("DBLogFileNotFoundFault", f"DBLog File: {params['LogFileName']}, is not found on the DB instance",
                               404)
        marker = params.get("Marker") or "0"
        try:
            offset = int(marker.rsplit(":", 1)[-1])
        except ValueError:
            raise invalid(f"Invalid marker: {marker}")
        lines = min(params.get("NumberOfLines") or MAX_LINES, MAX_LINES)
        with open(path, "rb") as log:
            log.seek(offset)
            data = log.read(MAX_BYTES)
            size = log.seek(0, 2)
        kept = data.split(b"\n")[:lines]
        chunk = b"\n".join(kept)
        if len(kept) == lines or len(chunk) < len(data):
            chunk += b"\n" if offset + len(chunk) < size else b""
        end = offset + len(chunk)
        return {"LogFileData": chunk.decode(errors="replace"), "Marker": f"0:{end}", "AdditionalDataPending": end < size}
