"""What an SFTP connector does with files, in the background after answering, as AWS does:
StartFileTransfer (SendFilePaths: S3 objects to the remote directory; RetrieveFilePaths: remote
files into an S3 prefix), each file's outcome in ListFileTransferResults; StartDirectoryListing
(the remote directory as AWS's JSON document, written to S3); StartRemoteDelete and
StartRemoteMove. S3 is used as the connector's access role (IAM decides, as for a user's session).

S3 paths are "/bucket/key". A connector needs trusted host keys before it moves files (AWS's
rule: TestConnection shows the key to trust); without them Start* is refused.

A connector with a LoggingRole logs each file sent or retrieved, each listing, delete and move to
"/aws/transfer/<connector id>" (stream: the connector id), with the fields of AWS's connector
events ("operation", "connector-id", "transfer-id", "file-path", "status-code", "failure-code" ...):
the only place where a failed listing, delete or move shows.
"""

from __future__ import annotations

import json
import posixpath
import time
import uuid
from datetime import datetime, timezone

from regionbox.core import clock
from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError, invalid
from regionbox.core.pagination import PageRule, Paginator
from regionbox.services.transfer.models import Connector, FileTransfer
from regionbox.services.transfer.remote_sftp import Remote, RemoteError, sftp_failure
from regionbox.services.transfer.state import TransferState, bad_request, not_found

RULE = PageRule(out_of_range=lambda n: invalid(f"MaxResults {n} is out of range [1, 1000]"), default=1000, maximum=1000)
CHUNK = 256 * 1024
DEFAULT_LISTING_ITEMS = 10_000  # AWS lists at most this many items unless MaxItems says otherwise


def s3_path(path: str) -> tuple[str, str]:
    bucket, _, key = path.strip().lstrip("/").partition("/")
    if not bucket:
        raise bad_request(f"Invalid S3 path {path}: use /bucket/key")
    return bucket, key


class ConnectorRuns:
    def __init__(self, state: TransferState, paginator: Paginator, remote: Remote, identity, s3, logs, tasks) -> None:
        self.state = state
        self.logs = logs  # () -> LogsApi
        self.paginator = paginator
        self.remote = remote
        self.identity = identity
        self.s3 = s3  # () -> S3Api
        self.tasks = tasks

    def _ready(self, ctx: RequestContext, connector_id: str) -> Connector:
        connector = self.state.connector(ctx.scope, connector_id)
        if not connector.sftp_config.get("TrustedHostKeys"):
            raise bad_request(f"Connector {connector_id} has no trusted host keys: add the server's host key to "
                              "SftpConfig.TrustedHostKeys (TestConnection returns it)")
        return connector

    def _s3_session(self, scope, connector: Connector):
        """(S3 call as the access role, check(action, bucket, key) raising RemoteError when refused)."""
        caller, authorize = self.identity.role_session(scope, connector.access_role, connector.connector_id, None, "")

        def call(name: str, *args, **kwargs):
            return getattr(self.s3(), name)(scope[0], *args, region=scope[1], caller=caller, **kwargs)

        def check(action: str, bucket: str, key: str) -> None:
            if not authorize(action, f"arn:aws:s3:::{bucket}/{key}", {}):
                raise RemoteError("ACCESS_DENIED", f"The access role is not authorized to perform {action} on "
                                                   f"s3://{bucket}/{key}")
        return call, check

    def _spawn(self, work, what: str) -> None:
        self.tasks.spawn(work, owner="transfer", what=what)

    def _log(self, scope, connector: Connector, operation: str, started: float, failure: RemoteError | None = None,
             **fields) -> None:
        if not connector.logging_role:
            return
        event = {"operation": operation, "connector-id": connector.connector_id, "url": connector.url,
                 "status-code": "FAILED" if failure else "COMPLETED", "start-timestamp": _stamp(started),
                 "end-timestamp": _stamp(time.time())}
        event.update({k.replace("_", "-"): v for k, v in fields.items() if v is not None})
        if failure is not None:
            event.update({"failure-code": failure.code, "failure-message": failure.message})
        self.logs().append(scope[0], scope[1], f"/aws/transfer/{connector.connector_id}", connector.connector_id,
                           [(int(time.time() * 1000), json.dumps(event, separators=(",", ":")))])

    async def _logged(self, scope, connector: Connector, operation: str, work, **fields) -> None:
        """Run a listing, delete or move; its outcome goes to the connector's log (and a failure
        to the cloud's task failures too)."""
        import asyncssh

        started = time.time()
        try:
            found = await work  # what the work adds to its event (a listing's item count), if anything
        except RemoteError as failure:
            self._log(scope, connector, operation, started, failure, **fields)
            raise
        except asyncssh.SFTPError as error:
            self._log(scope, connector, operation, started, sftp_failure(error), **fields)
            raise
        self._log(scope, connector, operation, started, **fields, **(found or {}))

    # -- StartFileTransfer -------------------------------------------------------------------------
    def start_file_transfer(self, ctx: RequestContext, params: dict) -> dict:
        connector = self._ready(ctx, params["ConnectorId"])
        send, retrieve = params.get("SendFilePaths"), params.get("RetrieveFilePaths")
        if bool(send) == bool(retrieve):
            raise bad_request("Specify either SendFilePaths or RetrieveFilePaths")
        if retrieve and not params.get("LocalDirectoryPath"):
            raise bad_request("LocalDirectoryPath is required with RetrieveFilePaths")
        if send and params.get("LocalDirectoryPath"):
            raise bad_request("LocalDirectoryPath can only be used with RetrieveFilePaths")
        if retrieve and params.get("RemoteDirectoryPath"):
            raise bad_request("RemoteDirectoryPath can only be used with SendFilePaths")
        for path in send or []:
            s3_path(path)
        if retrieve:
            s3_path(params["LocalDirectoryPath"])
        transfer = FileTransfer(connector_id=connector.connector_id, transfer_id=str(uuid.uuid4()), started=clock.epoch(),
                                results=[{"FilePath": path, "StatusCode": "QUEUED"} for path in send or retrieve])
        self._save(ctx.scope, transfer)
        work = self._send(ctx.scope, connector, transfer, params.get("RemoteDirectoryPath")) if send else \
            self._retrieve(ctx.scope, connector, transfer, params["LocalDirectoryPath"])
        self._spawn(work, f"file transfer {transfer.transfer_id} of connector {connector.connector_id}")
        return {"TransferId": transfer.transfer_id}

    def forget_interrupted(self) -> None:
        """After a restart of regionbox: files that were queued or moving failed with it."""
        for scope, _, transfer in list(self.state.file_transfers.all()):
            for index, result in enumerate(transfer.results):
                if result["StatusCode"] in ("QUEUED", "IN_PROGRESS"):
                    self._mark(scope, transfer, index, "FAILED", RemoteError(
                        "INTERRUPTED", "The transfer was interrupted by a restart; start it again"))

    def _save(self, scope, transfer: FileTransfer) -> None:
        self.state.file_transfers.put(scope, f"{transfer.connector_id}/{transfer.transfer_id}", transfer)

    def _mark(self, scope, transfer: FileTransfer, index: int, status: str, failure: RemoteError | None = None) -> None:
        result = {"FilePath": transfer.results[index]["FilePath"], "StatusCode": status}
        if failure is not None:
            result.update(FailureCode=failure.code, FailureMessage=failure.message)
        transfer.results[index] = result
        self._save(scope, transfer)

    async def _each(self, scope, connector: Connector, transfer: FileTransfer, operation: str, move, **fields) -> None:
        """Run ``move(client, path)`` for every file over one session; a failure marks its file
        (a missing file is AWS's SEND_FILE_NOT_FOUND or RETRIEVE_FILE_NOT_FOUND)."""
        import asyncssh

        def outcome(index: int, started: float, failure: RemoteError | None) -> None:
            if failure is not None and failure.code == "FILE_NOT_FOUND":
                failure = RemoteError(f"{operation}_FILE_NOT_FOUND", failure.message)
            self._mark(scope, transfer, index, "FAILED" if failure else "COMPLETED", failure)
            self._log(scope, connector, operation, started, failure, transfer_id=transfer.transfer_id,
                      file_path=transfer.results[index]["FilePath"], **fields)

        started = time.time()
        try:
            async with self.remote.sftp(scope, connector) as client:
                for index, result in enumerate(transfer.results):
                    started = time.time()
                    self._mark(scope, transfer, index, "IN_PROGRESS")
                    try:
                        await move(client, result["FilePath"])
                    except RemoteError as failure:
                        outcome(index, started, failure)
                    except asyncssh.SFTPError as error:
                        outcome(index, started, sftp_failure(error))
                    else:
                        outcome(index, started, None)
        except RemoteError as failure:  # no session: every file not done failed the same way
            for index, result in enumerate(transfer.results):
                if result["StatusCode"] in ("QUEUED", "IN_PROGRESS"):
                    outcome(index, started, failure)

    async def _send(self, scope, connector: Connector, transfer: FileTransfer, remote_directory: str | None) -> None:
        call, check = self._s3_session(scope, connector)

        async def send(client, path: str) -> None:
            bucket, key = s3_path(path)
            check("s3:GetObject", bucket, key)
            try:
                _, body = await call("get_object", bucket, key)
            except ServiceError as error:
                raise RemoteError("FILE_NOT_FOUND" if error.code in ("NoSuchKey", "NoSuchBucket") else "S3_ERROR",
                                  error.message or error.code) from None
            target = posixpath.join(remote_directory, posixpath.basename(key)) if remote_directory else posixpath.basename(key)
            async with client.open(target, "wb") as remote:
                async for chunk in body:
                    await remote.write(chunk)

        await self._each(scope, connector, transfer, "SEND", send, remote_directory_path=remote_directory)

    async def _retrieve(self, scope, connector: Connector, transfer: FileTransfer, local_directory: str) -> None:
        call, check = self._s3_session(scope, connector)
        bucket, prefix = s3_path(local_directory)

        async def retrieve(client, path: str) -> None:
            key = posixpath.join(prefix, posixpath.basename(path)) if prefix else posixpath.basename(path)
            check("s3:PutObject", bucket, key)
            async with client.open(path, "rb") as remote:
                async def body():
                    while chunk := await remote.read(CHUNK):
                        yield chunk
                try:
                    await call("put_object", bucket, key, body())
                except ServiceError as error:
                    raise RemoteError("S3_ERROR", error.message or error.code) from None

        await self._each(scope, connector, transfer, "RETRIEVE", retrieve, local_directory_path=local_directory)

    def list_file_transfer_results(self, ctx: RequestContext, params: dict) -> dict:
        connector = self.state.connector(ctx.scope, params["ConnectorId"])
        transfer = self.state.file_transfers.get(ctx.scope, f"{connector.connector_id}/{params['TransferId']}")
        if transfer is None:
            raise not_found("Unknown transfer", params["TransferId"], "Transfer")
        page, token = self.paginator.paginate(transfer.results, params, RULE, query=transfer.transfer_id)
        return {"FileTransferResults": page, **({"NextToken": token} if token else {})}

    # -- StartDirectoryListing ---------------------------------------------------------------------
    def start_directory_listing(self, ctx: RequestContext, params: dict) -> dict:
        connector = self._ready(ctx, params["ConnectorId"])
        bucket, prefix = s3_path(params["OutputDirectoryPath"])
        listing_id = str(uuid.uuid4())
        name = f"{connector.connector_id}-{listing_id}.json"
        key = posixpath.join(prefix, name) if prefix else name
        limit = params.get("MaxItems") or DEFAULT_LISTING_ITEMS
        work = self._list(ctx.scope, connector, params["RemoteDirectoryPath"], bucket, key, limit)
        self._spawn(self._logged(ctx.scope, connector, "LIST", work, listing_id=listing_id, max_items=limit,
                                 remote_directory_path=params["RemoteDirectoryPath"],
                                 output_directory_path=params["OutputDirectoryPath"]),
                    f"directory listing {listing_id} of connector {connector.connector_id}")
        return {"ListingId": listing_id, "OutputFileName": name}

    async def _list(self, scope, connector: Connector, directory: str, bucket: str, key: str, limit: int) -> dict:
        """AWS's listing document: {"files": [{"filePath", "modifiedTimestamp", "size"}], "paths":
        [{"path"}], "truncated"}; files and directories count together towards MaxItems."""
        call, check = self._s3_session(scope, connector)
        check("s3:PutObject", bucket, key)
        files, paths, truncated = [], [], False
        async with self.remote.sftp(scope, connector) as client:
            for entry in await client.readdir(directory):
                if entry.filename in (".", ".."):
                    continue
                if len(files) + len(paths) >= limit:
                    truncated = True
                    break
                full = posixpath.join(directory, entry.filename)
                if entry.attrs.type == 2:  # FILEXFER_TYPE_DIRECTORY
                    paths.append({"path": full})
                else:
                    mtime = datetime.fromtimestamp(entry.attrs.mtime or 0, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
                    files.append({"filePath": full, "modifiedTimestamp": mtime, "size": entry.attrs.size or 0})
        document = json.dumps({"files": files, "paths": paths, "truncated": truncated}, indent=2).encode()
        await call("put_object", bucket, key, document, content_type="application/json")
        return {"item_count": len(files) + len(paths), "truncated": truncated,
                "output_file_location": {"domain": "S3", "bucket": bucket, "key": key}}

    # -- StartRemoteDelete / StartRemoteMove -------------------------------------------------------
    def start_remote_delete(self, ctx: RequestContext, params: dict) -> dict:
        connector = self._ready(ctx, params["ConnectorId"])
        delete_id = str(uuid.uuid4())

        async def delete() -> None:
            async with self.remote.sftp(ctx.scope, connector) as client:
                if await client.isdir(params["DeletePath"]):
                    await client.rmdir(params["DeletePath"])  # an empty directory, as AWS deletes one
                else:
                    await client.remove(params["DeletePath"])

        self._spawn(self._logged(ctx.scope, connector, "DELETE", delete(), delete_id=delete_id,
                                 file_path=params["DeletePath"]), f"remote delete {delete_id} of connector {connector.connector_id}")
        return {"DeleteId": delete_id}

    def start_remote_move(self, ctx: RequestContext, params: dict) -> dict:
        connector = self._ready(ctx, params["ConnectorId"])
        move_id = str(uuid.uuid4())

        async def move() -> None:
            async with self.remote.sftp(ctx.scope, connector) as client:
                await client.rename(params["SourcePath"], params["TargetPath"])

        self._spawn(self._logged(ctx.scope, connector, "MOVE", move(), move_id=move_id, file_path=params["SourcePath"],
                                 target_path=params["TargetPath"]), f"remote move {move_id} of connector {connector.connector_id}")
        return {"MoveId": move_id}


def _stamp(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
