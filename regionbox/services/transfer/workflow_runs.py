"""Workflow executions: after an upload completes (OnUpload) or ends early (OnPartialUpload), each
of the server's workflows runs its steps on the file, as the workflow's execution role: COPY,
TAG, DELETE here; CUSTOM through a Lambda function (which reports back with
SendWorkflowStepState); DECRYPT needs its PGP key from Secrets Manager. A step that fails makes
the execution handle the exception (the OnExceptionSteps run) and end in EXCEPTION.

Executions are documents while in progress (DescribeExecution and ListExecutions show only those,
as on AWS); what each did is logged to the server's log groups, stream "<execution id>".
"""

from __future__ import annotations

import asyncio
import json
import posixpath
import uuid
from dataclasses import dataclass

from regionbox.core import clock
from regionbox.core.errors import ServiceError
from regionbox.services.transfer.activity import log_groups
from regionbox.services.transfer.models import Execution, Server
from regionbox.services.transfer.state import TransferState

DEFAULT_CUSTOM_TIMEOUT = 60


class StepFailed(Exception):
    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind  # PERMISSION_DENIED, CUSTOM_STEP_FAILED, ALREADY_EXISTS, NOT_FOUND, BAD_REQUEST, TIMEOUT ...
        self.message = message


@dataclass
class FileAt:
    bucket: str
    key: str
    etag: str = ""
    version_id: str | None = None

    def location(self) -> dict:
        found = {"Bucket": self.bucket, "Key": self.key}
        if self.etag:
            found["Etag"] = self.etag.strip('"')
        if self.version_id:
            found["VersionId"] = self.version_id
        return {"S3FileLocation": found}

    def output(self) -> str:
        return json.dumps({"fileLocation": {"domain": "S3", "bucket": self.bucket, "key": self.key,
                                            "eTag": self.etag.strip('"'), **({"versionId": self.version_id} if self.version_id else {})}})


class WorkflowRunner:
    def __init__(self, state: TransferState, identity, s3, tagging, services, logs, tasks) -> None:
        self.state = state
        self.identity = identity
        self.s3 = s3  # () -> S3Api
        self.tagging = tagging  # async (ctx caller, region, bucket, key, tags) -> None: S3's PutObjectTagging
        self.services = services
        self.logs = logs  # () -> LogsApi
        self.tasks = tasks
        self.waiting: dict[tuple[str, str], asyncio.Future] = {}

    # -- starting --------------------------------------------------------------------------------
    def after_upload(self, connection, server: Server, upload, *, partial: bool) -> None:
        details = server.workflow_details or {}
        entries = details.get("OnPartialUpload" if partial else "OnUpload") or []
        if not entries:
            return
        location = upload.location
        info = upload.info
        file = FileAt(location.bucket, location.key, info.etag if info else "", info.version_id if info else None)
        user = {"UserName": connection.login.user_name, "ServerId": server.server_id, "SessionId": connection.session_id}
        for entry in entries:
            workflow = self.state.workflows.get(connection.scope, entry["WorkflowId"])
            if workflow is None:
                continue
            execution = Execution(execution_id=str(uuid.uuid4()), workflow_id=workflow.workflow_id, started=clock.epoch(),
                                  initial_file=file.location(), user=user, execution_role=entry["ExecutionRole"],
                                  posix_profile=connection.login.posix_profile)
            groups = log_groups(server)
            if groups:
                execution.logging = {"LogGroupName": groups[0], **({"LoggingRole": server.logging_role}
                                                                   if server.logging_role else {})}
            self.state.save_execution(connection.scope, execution)
            self.tasks.spawn(self._run(connection.scope, server, workflow, execution, file, connection.source_ip),
                             owner="transfer", what=f"workflow {workflow.workflow_id} execution {execution.execution_id}",
                             on_failure=lambda error, e=execution, s=connection.scope: self._crashed(s, e, error))

    def _crashed(self, scope, execution: Execution, error: BaseException) -> None:
        self.state.executions.delete(scope, f"{execution.workflow_id}/{execution.execution_id}")

    # -- running ---------------------------------------------------------------------------------
    async def _run(self, scope, server: Server, workflow, execution: Execution, file: FileAt, source_ip: str) -> None:
        key = f"{execution.workflow_id}/{execution.execution_id}"
        caller, authorize = self.identity.role_session(scope, execution.execution_role,
                                                       f"{execution.execution_id}"[:64], None, source_ip)
        self._log(scope, server, execution, "ExecutionStarted", details={"input": execution.initial_file})
        original = previous = file
        failed = False
        for step in workflow.steps:
            result = await self._step(scope, server, execution, step, original, previous, caller, authorize)
            execution.steps.append(result[0])
            self.state.executions.put(scope, key, execution)
            if result[1] is None:
                failed = True
                break
            previous = result[1]
        if failed:
            execution.status = "HANDLING_EXCEPTION"
            self.state.executions.put(scope, key, execution)
            for step in workflow.on_exception_steps:
                outcome, produced = await self._step(scope, server, execution, step, original, previous, caller, authorize)
                execution.exception_steps.append(outcome)
                self.state.executions.put(scope, key, execution)
                previous = produced or previous
            execution.status = "EXCEPTION"
            self._log(scope, server, execution, "ExecutionErrored")
        else:
            execution.status = "COMPLETED"
            self._log(scope, server, execution, "ExecutionCompleted")
        self.state.executions.delete(scope, key)  # no longer in progress

    async def _step(self, scope, server, execution, step: dict, original: FileAt, previous: FileAt, caller,
                    authorize) -> tuple[dict, FileAt | None]:
        kind = step["Type"]
        details = step.get({"COPY": "CopyStepDetails", "CUSTOM": "CustomStepDetails", "TAG": "TagStepDetails",
                            "DELETE": "DeleteStepDetails", "DECRYPT": "DecryptStepDetails"}[kind]) or {}
        source = previous if details.get("SourceFileLocation") == "${previous.file}" else original
        name = details.get("Name") or kind.lower()
        self._log(scope, server, execution, "StepStarted", stepType=kind, stepName=name)
        try:
            produced = await getattr(self, f"_{kind.lower()}")(scope, execution, details, source, caller, authorize)
        except StepFailed as failure:
            self._log(scope, server, execution, "StepErrored", stepType=kind, stepName=name,
                      details={"errorType": failure.kind, "errorMessage": failure.message})
            return {"StepType": kind, "Error": {"Type": failure.kind, "Message": failure.message}}, None
        self._log(scope, server, execution, "StepCompleted", stepType=kind, stepName=name)
        return {"StepType": kind, "Outputs": produced.output()}, produced

    def _s3(self, name: str, caller, scope, *args, **kwargs):
        return getattr(self.s3(), name)(caller.account_id, *args, region=scope[1], caller=caller, **kwargs)

    @staticmethod
    def _check(authorize, action: str, bucket: str, key: str) -> None:
        if not authorize(action, f"arn:aws:s3:::{bucket}/{key}", {}):
            raise StepFailed("PERMISSION_DENIED", f"Access denied: the execution role may not {action} on {bucket}/{key}")

    @staticmethod
    def _s3_failure(error: ServiceError) -> StepFailed:
        if error.code in ("NoSuchKey", "NoSuchBucket", "NotFound"):
            return StepFailed("NOT_FOUND", error.message or error.code)
        if error.code == "AccessDenied":
            return StepFailed("PERMISSION_DENIED", error.message or error.code)
        return StepFailed("BAD_REQUEST", error.message or error.code)

    async def _copy(self, scope, execution, details, source: FileAt, caller, authorize) -> FileAt:
        target = details["DestinationFileLocation"]["S3FileLocation"]
        key = target.get("Key") or ""
        if not key or key.endswith("/"):
            key = f"{key}{posixpath.basename(source.key)}"
        self._check(authorize, "s3:GetObject", source.bucket, source.key)
        self._check(authorize, "s3:PutObject", target["Bucket"], key)
        if details.get("OverwriteExisting", "FALSE") != "TRUE":
            try:
                self._s3("head_object", caller, scope, target["Bucket"], key)
            except ServiceError:
                pass
            else:
                raise StepFailed("ALREADY_EXISTS", f"The file {target['Bucket']}/{key} already exists")
        try:
            info = await self._s3("copy_object", caller, scope, source.bucket, source.key, target["Bucket"], key)
        except ServiceError as error:
            raise self._s3_failure(error) from None
        return FileAt(target["Bucket"], key, info.etag, info.version_id)

    async def _tag(self, scope, execution, details, source: FileAt, caller, authorize) -> FileAt:
        self._check(authorize, "s3:PutObjectTagging", source.bucket, source.key)
        try:
            await self.tagging(caller, scope[1], source.bucket, source.key, details["Tags"])
        except ServiceError as error:
            raise self._s3_failure(error) from None
        return source

    async def _delete(self, scope, execution, details, source: FileAt, caller, authorize) -> FileAt:
        self._check(authorize, "s3:DeleteObject", source.bucket, source.key)
        try:
            await self._s3("delete_object", caller, scope, source.bucket, source.key)
        except ServiceError as error:
            raise self._s3_failure(error) from None
        return source

    async def _decrypt(self, scope, execution, details, source: FileAt, caller, authorize) -> FileAt:
        raise StepFailed("NOT_FOUND", "The PGP private key of the user was not found: decryption needs the key in "
                         "AWS Secrets Manager, which regionbox does not serve")

    async def _custom(self, scope, execution: Execution, details, source: FileAt, caller, authorize) -> FileAt:
        function = details["Target"]
        try:
            lambda_api = self.services.api("lambda")
        except (KeyError, ServiceError):
            lambda_api = None
        if lambda_api is None:
            raise StepFailed("CUSTOM_STEP_FAILED", f"Function not found: {function}")
        token = uuid.uuid4().hex
        waiting = asyncio.get_running_loop().create_future()
        self.waiting[(execution.execution_id, token)] = waiting
        event = {"token": token, "serviceMetadata": {"executionId": execution.execution_id,
                                                     "transferDetails": {"sessionId": execution.user["SessionId"],
                                                                         "userName": execution.user["UserName"],
                                                                         "serverId": execution.user["ServerId"]}},
                 "fileLocation": json.loads(source.output())["fileLocation"]}
        try:
            try:
                await lambda_api.invoke(scope[0], scope[1], function, event)
            except ServiceError as error:
                raise StepFailed("CUSTOM_STEP_FAILED", error.message or error.code) from None
            try:
                status = await asyncio.wait_for(waiting, details.get("TimeoutSeconds") or DEFAULT_CUSTOM_TIMEOUT)
            except asyncio.TimeoutError:
                raise StepFailed("TIMEOUT", "The custom step timed out waiting for SendWorkflowStepState") from None
        finally:
            self.waiting.pop((execution.execution_id, token), None)
        if status != "SUCCESS":
            raise StepFailed("CUSTOM_STEP_FAILED", "The custom step reported FAILURE")
        return source

    def resolve(self, execution_id: str, token: str, status: str) -> bool:
        waiting = self.waiting.get((execution_id, token))
        if waiting is None or waiting.done():
            return False
        waiting.set_result(status)
        return True

    # -- logs and restarts -----------------------------------------------------------------------
    def _log(self, scope, server: Server, execution: Execution, kind: str, **fields) -> None:
        groups = log_groups(server)
        if not groups:
            return
        event = {"type": kind, "workflowId": execution.workflow_id, "executionId": execution.execution_id,
                 "transferDetails": {"serverId": execution.user["ServerId"], "username": execution.user["UserName"],
                                     "sessionId": execution.user["SessionId"]}, **fields}
        message = json.dumps(event, separators=(",", ":"))
        now = int(clock.epoch() * 1000)
        for group in groups:
            self.logs().append(scope[0], scope[1], group, execution.execution_id, [(now, message)])

    def forget_interrupted(self) -> None:
        """Executions that were running when regionbox stopped cannot go on: they end."""
        for scope, key, _ in list(self.state.executions.all()):
            self.state.executions.delete(scope, key)
