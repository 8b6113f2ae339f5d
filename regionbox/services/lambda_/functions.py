"""Functions: CreateFunction, GetFunction, GetFunctionConfiguration, ListFunctions,
UpdateFunctionCode, UpdateFunctionConfiguration, DeleteFunction, reserved concurrency, the
recursion and runtime management settings, and GetAccountSettings.

A new function is ``Pending`` until its code is in place and then ``Active``; an update is
``LastUpdateStatus: InProgress`` and then ``Successful``, and another update meanwhile is refused,
as on AWS. The package is checked and unpacked before the function's document is committed, so
the state flips come from a background task (``REGIONBOX_LAMBDA_CREATE_DELAY`` makes Pending
last), and a restart finishes any flip a crash interrupted.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from typing import Any, Callable

from regionbox.core import clock
from regionbox.core.context import RequestContext
from regionbox.core.errors import NotImplementedOperation, ServiceError, invalid
from regionbox.core.pagination import PageRule, Paginator
from regionbox.core.store import Scope
from regionbox.core.tasks import Tasks
from regionbox.services.lambda_.code import UNZIPPED_LIMIT, Packages
from regionbox.services.lambda_.errors import check_revision, code_signing_not_found, conflict, invalid_value
from regionbox.services.lambda_.execution_role import ExecutionRoles
from regionbox.services.lambda_.invoke import Invoker, log_group
from regionbox.services.lambda_.models import LATEST, Function, FunctionConfig, LayerVersion
from regionbox.services.lambda_.names import FunctionRef, function_arn, parse_function, parse_layer_version_arn
from regionbox.services.lambda_.runtimes import DEPRECATED
from regionbox.services.lambda_.state import LambdaState

RESERVED_KEYS = {"_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV",
                 "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
                 "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
                 "AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                 "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR"}
ENVIRONMENT_LIMIT = 4096
TOTAL_CODE = 80530636800
MINIMUM_UNRESERVED = 100
FUNCTIONS_PAGE = PageRule(token="Marker", size="MaxItems", default=50, minimum=1, maximum=10000,
                          out_of_range=lambda n: invalid_value(f"MaxItems must be between 1 and 10000: {n}"),
                          bad_token=lambda t: invalid_value("Invalid Marker"))


def timestamp(epoch: float | None = None) -> str:
    """Lambda's LastModified: ``2024-01-31T12:34:56.789+0000``."""
    epoch = clock.epoch() if epoch is None else epoch
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch)) + f".{int(epoch * 1000) % 1000:03d}+0000"


def revision() -> str:
    return str(uuid.uuid4())


def configuration(scope: Scope, config: FunctionConfig, qualified: bool = False) -> dict[str, Any]:
    """FunctionConfiguration as Lambda answers it."""
    account, region = scope
    output: dict[str, Any] = {
        "FunctionName": config.name,
        "FunctionArn": function_arn(account, region, config.name, config.version if qualified or config.version != LATEST
                                    else None),
        "Runtime": config.runtime, "Role": config.role, "Handler": config.handler, "CodeSize": config.code_size,
        "Description": config.description, "Timeout": config.timeout, "MemorySize": config.memory,
        "LastModified": config.last_modified, "CodeSha256": config.code_sha256, "Version": config.version,
        "TracingConfig": {"Mode": config.tracing}, "RevisionId": config.revision_id, "State": config.state,
        "PackageType": "Zip", "Architectures": list(config.architectures),
        "EphemeralStorage": {"Size": config.ephemeral_storage},
        "SnapStart": {"ApplyOn": "None", "OptimizationStatus": "Off"},
        "RuntimeVersionConfig": {"RuntimeVersionArn": f"arn:aws:lambda:{region}::runtime:{config.runtime}"},
        "LoggingConfig": {"LogFormat": config.logging.get("LogFormat", "Text"), "LogGroup": log_group(scope, config),
                          **{k: v for k, v in config.logging.items() if k in ("ApplicationLogLevel", "SystemLogLevel")}},
    }
    if config.environment:
        output["Environment"] = {"Variables": dict(config.environment)}
    if config.layers:
        output["Layers"] = [dict(layer) for layer in config.layers]
    for member, value in (("StateReason", config.state_reason), ("StateReasonCode", config.state_reason_code),
                          ("LastUpdateStatus", config.last_update_status),
                          ("LastUpdateStatusReason", config.last_update_reason),
                          ("LastUpdateStatusReasonCode", config.last_update_reason_code),
                          ("KMSKeyArn", config.kms_key_arn)):
        if value is not None:
            output[member] = value
    if config.dead_letter_target:
        output["DeadLetterConfig"] = {"TargetArn": config.dead_letter_target}
    if config.vpc:
        output["VpcConfig"] = dict(config.vpc)
    return output


class Functions:
    def __init__(self, state: LambdaState, invoker: Invoker, roles: ExecutionRoles, tasks: Tasks, paginator: Paginator,
                 packages: Packages, publish: Callable[[Scope, Function, dict], FunctionConfig],
                 code_location: Callable[[Scope, str, str], str], create_delay: float, concurrency: int) -> None:
        self.state = state
        self.invoker = invoker
        self.roles = roles
        self.tasks = tasks
        self.paginator = paginator
        self.packages = packages
        self.publish = publish  # versions.py: PublishVersion's work, for Publish: true
        self.code_location = code_location
        self.create_delay = create_delay
        self.concurrency = concurrency

    def _code_parent(self, scope: Scope, name: str):
        return self.state.code.function_dir(scope[0], scope[1], name)

    # -- checks --------------------------------------------------------------------------------
    def _check_runtime(self, runtime: str | None, handler: str | None) -> None:
        if not runtime or not handler:
            raise invalid_value("Runtime and Handler are mandatory parameters for functions created with deployment packages.")
        if runtime in DEPRECATED:
            raise invalid_value(f"The runtime parameter of {runtime} is no longer supported for creating or updating AWS "
                                "Lambda functions. We recommend you use a supported runtime while creating or updating "
                                "functions.")

    @staticmethod
    def _check_environment(variables: dict[str, str]) -> None:
        reserved = sorted(k for k in variables if k in RESERVED_KEYS)
        if reserved:
            raise invalid_value("Lambda was unable to configure your environment variables because the environment "
                                "variables you have provided contains reserved keys that are currently not supported "
                                f"for modification. Reserved keys used in this request: {', '.join(reserved)}")
        measured = "{" + ", ".join(f'"{k}":"{v}"' for k, v in variables.items()) + "}"
        if len(measured.encode()) > ENVIRONMENT_LIMIT:
            raise invalid_value("Lambda was unable to configure your environment variables because the environment "
                                f"variables you have provided exceeded the 4KB limit. String measured: {measured}")

    def _shared(self, ctx: RequestContext, layer: LayerVersion, arn: str) -> bool:
        """Whether another account's layer version's policy (AddLayerVersionPermission) lets the caller use it."""
        policy = json.dumps({"Version": "2012-10-17", "Statement": layer.statements}) if layer.statements else None
        return self.roles.iam().resource_policy_verdict(policy, ctx, "lambda:GetLayerVersion", arn) == "Allow"

    def _layers(self, ctx: RequestContext, arns: list[str], unzipped: int, account: str) -> list[dict]:
        if len(arns) > 5:
            raise invalid_value("Cannot reference more than 5 layers.")
        if len(set(arns)) != len(arns):
            raise invalid_value("Two different versions of the same layer are not allowed to be referenced in the same "
                                "function.")
        layers, total = [], unzipped
        for arn in arns:
            parsed = parse_layer_version_arn(arn)
            found = self.state.layers.get((parsed[0], parsed[1]), f"{parsed[2]}:{parsed[3]}") if parsed else None
            if found is None:
                raise invalid_value(f"Layer version {arn} does not exist.")
            if parsed[0] != account and not self._shared(ctx, found, arn):
                raise ServiceError("AccessDeniedException", f"User is not authorized to perform: lambda:GetLayerVersion "
                                   f"on resource: {arn}", status=403)
            total += found.code_unzipped
            layers.append({"Arn": arn, "CodeSize": found.code_size})
        if total > UNZIPPED_LIMIT:
            raise invalid_value(f"Function code combined with layers exceeds the maximum allowed size of {UNZIPPED_LIMIT} "
                                f"bytes. The actual size is {total} bytes.")
        return layers

    @staticmethod
    def _unsupported(ctx: RequestContext, params: dict) -> None:
        for member, why in (("FileSystemConfigs", "Amazon EFS file systems are not served by regionbox"),
                            ("CapacityProviderConfig", "capacity providers are not built"),
                            ("DurableConfig", "durable functions are not built")):
            if params.get(member):
                raise NotImplementedOperation("lambda", ctx.operation, why)
        if (params.get("SnapStart") or {}).get("ApplyOn", "None") != "None":
            raise NotImplementedOperation("lambda", ctx.operation, "SnapStart is not built")
        if params.get("PackageType") == "Image":
            raise NotImplementedOperation("lambda", ctx.operation, "container image functions (PackageType Image) are "
                                          "not run by regionbox: deploy a .zip package")

    def _check_signing(self, scope: Scope, arn: str | None) -> None:
        """A deployment the function's code signing configuration refuses (code_signing.py):
        no package here is signed (no AWS Signer), so Enforce refuses every one, as AWS refuses
        an unsigned package; Warn lets it through."""
        if not arn:
            return
        config = self.state.code_signing.get(scope, arn.rsplit(":", 1)[-1])
        if config is None or config.arn != arn:
            raise code_signing_not_found(arn)
        if config.untrusted == "Enforce":
            raise ServiceError("CodeVerificationFailedException", "The code signature failed one or more of the "
                               "validation checks for signature mismatch or expiry, and the code signing policy is set "
                               "to ENFORCE. Lambda blocks the deployment.", status=400, Type="User")

    def _apply(self, config: FunctionConfig, params: dict) -> None:
        """The configuration members of a Create or UpdateFunctionConfiguration request."""
        _limit(params, "Timeout", "timeout", 900)
        _limit(params, "MemorySize", "memorySize", 10240)
        _limit(params.get("EphemeralStorage") or {}, "Size", "ephemeralStorage.size", 10240)
        for member, attribute in (("Runtime", "runtime"), ("Role", "role"), ("Handler", "handler"),
                                  ("Description", "description"), ("Timeout", "timeout"), ("MemorySize", "memory"),
                                  ("KMSKeyArn", "kms_key_arn")):
            if member in params:
                setattr(config, attribute, params[member])
        if "Environment" in params:
            config.environment = dict((params["Environment"] or {}).get("Variables") or {})
            self._check_environment(config.environment)
        if "TracingConfig" in params:
            config.tracing = (params["TracingConfig"] or {}).get("Mode") or "PassThrough"
        if "DeadLetterConfig" in params:
            target = (params["DeadLetterConfig"] or {}).get("TargetArn") or None
            if target and target.split(":")[2:3] not in (["sqs"], ["sns"]):
                raise invalid_value("The provided target arn is invalid: it must be an Amazon SQS queue or an Amazon SNS topic.")
            config.dead_letter_target = target
        if "EphemeralStorage" in params:
            config.ephemeral_storage = params["EphemeralStorage"]["Size"]
        if "LoggingConfig" in params:
            given = dict(params["LoggingConfig"] or {})
            if given.get("LogFormat", config.logging.get("LogFormat", "Text")) == "Text" and \
                    ("ApplicationLogLevel" in given or "SystemLogLevel" in given):
                raise invalid_value("To set ApplicationLogLevel or SystemLogLevel, LogFormat must be JSON.")
            config.logging = {**config.logging, **given}
        if "VpcConfig" in params:
            vpc = params["VpcConfig"] or {}
            config.vpc = {"SubnetIds": vpc.get("SubnetIds") or [], "SecurityGroupIds": vpc.get("SecurityGroupIds") or [],
                          "VpcId": ""} if vpc.get("SubnetIds") else None

    # -- the operations ------------------------------------------------------------------------
    async def create_function(self, ctx: RequestContext, params: dict) -> dict:
        ref = parse_function(ctx, params["FunctionName"])
        if ref.qualifier or ref.account != ctx.account_id:
            raise invalid_value("Function name can only contain a function name, not a qualified or cross-account ARN.")
        self._unsupported(ctx, params)
        self._check_runtime(params.get("Runtime"), params.get("Handler"))
        if self.state.functions.get(ctx.scope, ref.name) is not None:
            raise conflict(f"Function already exist: {ref.name}")
        self.roles.check(params["Role"])
        self._check_signing(ctx.scope, params.get("CodeSigningConfigArn"))
        package = await self.packages.install(ctx, params.get("Code") or {}, self._code_parent(ctx.scope, ref.name))
        if self.state.functions.get(ctx.scope, ref.name) is not None:  # created meanwhile, by another request
            raise conflict(f"Function already exist: {ref.name}")
        now = clock.epoch()
        function = Function(name=ref.name, version=LATEST, runtime=params["Runtime"], role=params["Role"],
                            handler=params["Handler"], code_sha256=package.sha256, code_size=package.size,
                            code_key=package.key, code_unzipped=package.unzipped, last_modified=timestamp(now),
                            revision_id=revision(), created=now, tags=dict(params.get("Tags") or {}),
                            architectures=list(params.get("Architectures") or ["x86_64"]),
                            code_signing_config=params.get("CodeSigningConfigArn") or None)
        self._apply(function, params)
        function.layers = self._layers(ctx, params.get("Layers") or [], package.unzipped, ctx.account_id)
        with self.state.store.transaction():
            self.state.functions.put(ctx.scope, ref.name, function)
            if params.get("Publish"):
                self.publish(ctx.scope, function, {})
        ctx.touched("AWS::Lambda::Function", ref.name)
        self._settle(ctx.scope, ref.name)
        return configuration(ctx.scope, function)

    def _settle(self, scope: Scope, name: str) -> None:
        """Pending -> Active, InProgress -> Successful, once the create delay has passed."""
        async def settle() -> None:
            if self.create_delay:
                await asyncio.sleep(self.create_delay)
            self.finish_pending(scope, name)

        def failed(error: BaseException) -> None:
            function = self.state.functions.get(scope, name)
            if function is not None:
                function.state, function.state_reason, function.state_reason_code = "Failed", str(error), "InternalError"
                self.state.functions.put(scope, name, function)

        self.tasks.spawn(settle(), owner="lambda", what=f"activating function {name}", on_failure=failed)

    def finish_pending(self, scope: Scope, name: str) -> None:
        with self.state.store.transaction():
            function = self.state.functions.get(scope, name)
            if function is not None:
                if _settled(function):
                    self.state.functions.put(scope, name, function)
                for version in self.state.published(scope, name):
                    if _settled(version):
                        self.state.versions.put(scope, f"{name}:{version.version}", version)

    def resume(self) -> None:
        """At start: finish every flip a stop or crash interrupted (the code is in place)."""
        for scope, name, function in list(self.state.functions.all()):
            if function.state == "Pending" or function.last_update_status == "InProgress":
                self.finish_pending(scope, name)

    def get_function(self, ctx: RequestContext, params: dict) -> dict:
        ref = parse_function(ctx, params["FunctionName"], params.get("Qualifier"))
        function = self.state.function(ref)
        config, _ = self.state.resolve(ref)
        output: dict[str, Any] = {
            "Configuration": configuration(ref.scope, config, qualified=ref.qualifier is not None),
            "Code": {"RepositoryType": "S3", "Location": self.code_location(ref.scope, ref.name, config.code_key)},
        }
        if function.tags and ref.account == ctx.account_id:
            output["Tags"] = dict(function.tags)
        if function.reserved_concurrency is not None:
            output["Concurrency"] = {"ReservedConcurrentExecutions": function.reserved_concurrency}
        return output

    def get_function_configuration(self, ctx: RequestContext, params: dict) -> dict:
        ref = parse_function(ctx, params["FunctionName"], params.get("Qualifier"))
        config, _ = self.state.resolve(ref)
        return configuration(ref.scope, config, qualified=ref.qualifier is not None)

    def list_functions(self, ctx: RequestContext, params: dict) -> dict:
        functions = sorted(self.state.functions.values(ctx.scope), key=lambda f: f.name)
        if params.get("FunctionVersion") == "ALL":
            listed = [c for f in functions for c in [f, *self.state.published(ctx.scope, f.name)]]
        else:
            listed = functions
        page, marker = self.paginator.paginate(listed, params, FUNCTIONS_PAGE, query=params.get("FunctionVersion"))
        output: dict[str, Any] = {"Functions": [configuration(ctx.scope, c, qualified=c.version != LATEST) for c in page]}
        if marker:
            output["NextMarker"] = marker
        return output

    def _updatable(self, ref: FunctionRef) -> Function:
        function = self.state.function(ref)
        if function.state == "Pending" or function.last_update_status == "InProgress":
            raise conflict("The operation cannot be performed at this time. An update is in progress for resource: "
                           f"{function_arn(ref.account, ref.region, ref.name)}")
        return function

    def _updated(self, ctx: RequestContext, ref: FunctionRef, function: Function, params: dict) -> dict:
        function.last_modified = timestamp()
        function.revision_id = revision()
        function.last_update_status = "InProgress"
        function.last_update_reason = "The function is being created."
        function.last_update_reason_code = "Creating"
        with self.state.store.transaction():
            self.state.functions.put(ref.scope, ref.name, function)
            published = self.publish(ref.scope, function, {}) if params.get("Publish") else None
        self.invoker.retire(ref.scope, ref.name, LATEST)
        self._settle(ref.scope, ref.name)
        ctx.touched("AWS::Lambda::Function", ref.name)
        return configuration(ref.scope, published or function, qualified=published is not None)

    async def update_function_code(self, ctx: RequestContext, params: dict) -> dict:
        ref = parse_function(ctx, params["FunctionName"])
        function = self._updatable(ref)
        check_revision(function.revision_id, params.get("RevisionId"))
        self._check_signing(ref.scope, function.code_signing_config)
        package = await self.packages.install(ctx, params, self._code_parent(ref.scope, ref.name))
        function = self._updatable(ref)
        self._layers(ctx, [layer["Arn"] for layer in function.layers], package.unzipped, ref.account)
        if params.get("DryRun"):
            return configuration(ref.scope, function)
        old_key = function.code_key
        function.code_sha256, function.code_size = package.sha256, package.size
        function.code_key, function.code_unzipped = package.key, package.unzipped
        if params.get("Architectures"):
            function.architectures = list(params["Architectures"])
        output = self._updated(ctx, ref, function, params)
        self._drop_code(ref.scope, ref.name, old_key)
        return output

    def _drop_code(self, scope: Scope, name: str, key: str) -> None:
        """Remove a package no version uses any more."""
        function = self.state.functions.get(scope, name)
        used = {function.code_key} if function is not None else set()
        used |= {v.code_key for v in self.state.published(scope, name)}
        if key not in used:
            self.state.code.remove(self.state.code.code_dir(scope[0], scope[1], name, key))

    def update_function_configuration(self, ctx: RequestContext, params: dict) -> dict:
        ref = parse_function(ctx, params["FunctionName"])
        function = self._updatable(ref)
        check_revision(function.revision_id, params.get("RevisionId"))
        self._unsupported(ctx, params)
        if "Runtime" in params:
            self._check_runtime(params["Runtime"], params.get("Handler", function.handler))
        if params.get("Role") and params["Role"] != function.role:
            self.roles.check(params["Role"])
        self._apply(function, params)
        if "Layers" in params:
            function.layers = self._layers(ctx, params["Layers"] or [], function.code_unzipped, ref.account)
        return self._updated(ctx, ref, function, {})

    def delete_function(self, ctx: RequestContext, params: dict) -> dict:
        ref = parse_function(ctx, params["FunctionName"], params.get("Qualifier"))
        function = self.state.function(ref)
        if ref.qualifier is not None:
            return self._delete_version(ref, function)
        with self.state.store.transaction():
            for collection in (self.state.versions, self.state.aliases, self.state.policies, self.state.invoke_configs, self.state.urls, self.state.provisioned):
                for key, _ in collection.items(ref.scope):
                    if key.startswith(f"{ref.name}:"):
                        collection.delete(ref.scope, key)
            self.state.functions.delete(ref.scope, ref.name)
        self.invoker.retire(ref.scope, ref.name)
        self.state.code.remove(self.state.code.function_dir(ref.account, ref.region, ref.name))
        ctx.touched("AWS::Lambda::Function", ref.name)
        return {}

    def _delete_version(self, ref: FunctionRef, function: Function) -> dict:
        if ref.qualifier == LATEST:
            raise invalid_value("$LATEST version cannot be deleted without deleting the function.")
        if not ref.qualifier.isdigit():
            raise invalid_value("Deletion of aliases is not currently supported.")
        version = self.state.version(ref, ref.qualifier)
        users = sorted(a.name for a in self.state.aliases_of(ref.scope, ref.name)
                       if a.version == ref.qualifier or ref.qualifier in a.weights)
        if users:
            raise conflict(f"Unable to delete version because the following aliases reference it: [{', '.join(users)}]")
        with self.state.store.transaction():
            self.state.versions.delete(ref.scope, f"{ref.name}:{ref.qualifier}")
            self.state.policies.delete(ref.scope, f"{ref.name}:{ref.qualifier}")
            self.state.invoke_configs.delete(ref.scope, f"{ref.name}:{ref.qualifier}")
            self.state.provisioned.delete(ref.scope, f"{ref.name}:{ref.qualifier}")
        self.invoker.retire(ref.scope, ref.name, ref.qualifier)
        self._drop_code(ref.scope, ref.name, version.code_key)
        return {}

    # -- concurrency and settings --------------------------------------------------------------
    def put_function_concurrency(self, ctx: RequestContext, params: dict) -> dict:
        ref = parse_function(ctx, params["FunctionName"])
        function = self.state.function(ref)
        wanted = params["ReservedConcurrentExecutions"]
        others = sum(f.reserved_concurrency or 0 for f in self.state.functions.values(ref.scope) if f.name != ref.name)
        if self.concurrency - others - wanted < MINIMUM_UNRESERVED:
            raise invalid_value("Specified ReservedConcurrentExecutions for function decreases account's "
                                f"UnreservedConcurrentExecution below its minimum value of [{MINIMUM_UNRESERVED}].")
        function.reserved_concurrency = wanted
        self.state.functions.put(ref.scope, ref.name, function)
        return {"ReservedConcurrentExecutions": wanted}

    def get_function_concurrency(self, ctx: RequestContext, params: dict) -> dict:
        function = self.state.function(parse_function(ctx, params["FunctionName"]))
        return {} if function.reserved_concurrency is None else {"ReservedConcurrentExecutions": function.reserved_concurrency}

    def delete_function_concurrency(self, ctx: RequestContext, params: dict) -> dict:
        ref = parse_function(ctx, params["FunctionName"])
        function = self.state.function(ref)
        function.reserved_concurrency = None
        self.state.functions.put(ref.scope, ref.name, function)
        return {}

    def get_account_settings(self, ctx: RequestContext, params: dict) -> dict:
        functions = self.state.functions.values(ctx.scope)
        total = sum(f.code_size for f in functions) + sum(v.code_size for _, v in self.state.versions.items(ctx.scope))
        return {"AccountLimit": {"TotalCodeSize": TOTAL_CODE, "CodeSizeUnzipped": UNZIPPED_LIMIT,
                                 "CodeSizeZipped": 52428800, "ConcurrentExecutions": self.concurrency,
                                 "UnreservedConcurrentExecutions": self.invoker.unreserved(ctx.scope)},
                "AccountUsage": {"TotalCodeSize": total, "FunctionCount": len(functions)}}

    def put_function_recursion_config(self, ctx: RequestContext, params: dict) -> dict:
        ref = parse_function(ctx, params["FunctionName"])
        function = self.state.function(ref)
        function.recursion = params["RecursiveLoop"]
        self.state.functions.put(ref.scope, ref.name, function)
        return {"RecursiveLoop": function.recursion}

    def get_function_recursion_config(self, ctx: RequestContext, params: dict) -> dict:
        return {"RecursiveLoop": self.state.function(parse_function(ctx, params["FunctionName"])).recursion}

    def put_runtime_management_config(self, ctx: RequestContext, params: dict) -> dict:
        ref = parse_function(ctx, params["FunctionName"], params.get("Qualifier"))
        function = self.state.function(ref)
        function.runtime_update = {"UpdateRuntimeOn": params["UpdateRuntimeOn"],
                                   **({"RuntimeVersionArn": params["RuntimeVersionArn"]} if params.get("RuntimeVersionArn") else {})}
        self.state.functions.put(ref.scope, ref.name, function)
        return {**function.runtime_update, "FunctionArn": function_arn(ref.account, ref.region, ref.name)}

    def get_runtime_management_config(self, ctx: RequestContext, params: dict) -> dict:
        ref = parse_function(ctx, params["FunctionName"], params.get("Qualifier"))
        function = self.state.function(ref)
        return {**function.runtime_update, "FunctionArn": function_arn(ref.account, ref.region, ref.name)}


def _limit(params: dict, member: str, path: str, maximum: int) -> None:
    """The on-demand limits, tighter than the model's (which allows capacity provider functions more)."""
    if params.get(member) is not None and params[member] > maximum:
        raise invalid(f"1 validation error detected: Value '{params[member]}' at '{path}' failed to satisfy constraint: "
                      f"Member must have value less than or equal to {maximum}")


def _settled(config: FunctionConfig) -> bool:
    """Mark a Pending or InProgress configuration as done; whether anything changed."""
    changed = False
    if config.state == "Pending":
        config.state, config.state_reason, config.state_reason_code = "Active", None, None
        if config.last_update_status is None:
            config.last_update_status = "Successful"
        changed = True
    if config.last_update_status == "InProgress":
        config.last_update_status, config.last_update_reason, config.last_update_reason_code = "Successful", None, None
        changed = True
    return changed
