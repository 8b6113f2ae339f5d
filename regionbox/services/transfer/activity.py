"""Structured logs of what happens on a server: the JSON events AWS writes to CloudWatch Logs
(CONNECTED, AUTH_SUCCESSFUL, AUTH_FAILURE, OPEN, CLOSE, PARTIAL_CLOSE, MKDIR, RMDIR, DELETE,
RENAME, SETSTAT, ERROR, DISCONNECTED), with AWS's field names ("activity-type", "session-id",
"resource-arn", "user", "source-ip", "path", "mode", "bytes-in", "bytes-out" ...).

They go to each log group of the server's StructuredLogDestinations; a server with only a
LoggingRole logs to "/aws/transfer/<server-id>". A session's events are in the stream
"<user>.<session-id>", failed logins (which have no session) in "ERRORS".
"""

from __future__ import annotations

import time

from regionbox.services.transfer.models import Server


def log_groups(server: Server) -> list[str]:
    groups = []
    for arn in server.structured_log_destinations:
        parts = arn.split(":")
        if len(parts) >= 7 and parts[2] == "logs" and parts[5] == "log-group":
            groups.append(parts[6])
    if not groups and server.logging_role:
        groups.append(f"/aws/transfer/{server.server_id}")
    return groups


class Activity:
    def __init__(self, logs) -> None:
        self.logs = logs  # () -> LogsApi

    def record(self, scope, server: Server, stream: str, activity: str, **fields) -> None:
        groups = log_groups(server)
        if not groups:
            return
        event = {"activity-type": activity, "resource-arn": server.arn}
        event.update({key.replace("_", "-"): value for key, value in fields.items() if value is not None})
        message = _json(event)
        now = int(time.time() * 1000)
        api = self.logs()
        for group in groups:
            api.append(scope[0], scope[1], group, stream, [(now, message)])


def _json(event: dict) -> str:
    import json

    return json.dumps(event, separators=(",", ":"))
