"""Lambda: functions that really run, in warm worker processes, with versions, aliases, layers,
function policies, asynchronous invocations with retries and destinations, and event source
mappings on DynamoDB streams; S3 notifications and CloudWatch Logs subscriptions invoke them.

Modules: state.py (the one state object) and models.py (its documents); code.py (packages on
disk); functions.py, versions.py, aliases.py, layers.py, permissions.py, invoke_configs.py,
event_source_mappings.py and tags.py (the handlers, one class per resource); invoke.py (what an
invocation runs, and Invoke); workers.py and runtime/ (the execution environments);
function_logs.py (START/END/REPORT and CloudWatch Logs); execution_role.py (the role's session);
async_invocations.py and destinations.py (the Event queue); function_urls.py (function URLs and
their HTTP endpoints); provisioned.py (provisioned concurrency); code_signing.py (code signing
configurations); stream_poller.py and filters.py (event
source mappings at work); notifications.py (S3 events); api.py (what other services use);
resources.py (what IAM authorizes); code_links.py (Code.Location); runtimes.py (what runs here).

The package is ``lambda_``: ``lambda`` is a Python keyword. Its botocore name, collections and
IAM prefix are ``lambda``.
"""

from __future__ import annotations

import asyncio
import logging

from regionbox.core.service import Service
from regionbox.protocol.dialect import Dialect

log = logging.getLogger("regionbox.lambda")

# A CreateFunction request carries up to 50 MB of zip in base64 (69905067 bytes) in its JSON.
DIALECT = Dialect(max_request_bytes=70 * 1024 * 1024)

# Lambda Managed Instances run a function's environments on EC2 instances that a capacity provider
# launches in the customer's VPC, several requests per environment; regionbox runs every function in
# its own local environments (workers.py) and launches no instances, so a capacity provider would
# manage nothing and a scaling config would bound nothing.
_CAPACITY = ("Lambda Managed Instances capacity providers are not built: they launch EC2 instances in your VPC "
             "to run functions, and regionbox runs every function in its own local execution environments")
_SCALING = ("function scaling configs (the minimum and maximum execution environments of a function version on a "
            "capacity provider) are not built: Lambda Managed Instances are not, and CreateFunction refuses "
            "CapacityProviderConfig")
_DURABLE = ("durable executions are not built: they belong to durable functions (CreateFunction's DurableConfig, "
            "runs checkpointed so they resume after waits and callbacks), which regionbox does not run")
NOT_IMPLEMENTED = {
    **dict.fromkeys(["CreateCapacityProvider", "DeleteCapacityProvider", "GetCapacityProvider", "ListCapacityProviders",
                     "UpdateCapacityProvider", "ListFunctionVersionsByCapacityProvider"], _CAPACITY),
    **dict.fromkeys(["GetFunctionScalingConfig", "PutFunctionScalingConfig"], _SCALING),
    **dict.fromkeys(["CheckpointDurableExecution", "GetDurableExecution", "GetDurableExecutionHistory",
                     "GetDurableExecutionState", "ListDurableExecutionsByFunction", "SendDurableExecutionCallbackFailure",
                     "DeleteDurableExecution", "PauseDurableExecution", "ResumeDurableExecution",
                     "SendDurableExecutionCallbackHeartbeat", "SendDurableExecutionCallbackSuccess",
                     "StopDurableExecution"], _DURABLE),
}


def load(cloud) -> Service:
    from regionbox.services.lambda_.aliases import Aliases
    from regionbox.services.lambda_.api import LambdaApi
    from regionbox.services.lambda_.async_invocations import AsyncQueue
    from regionbox.services.lambda_.code import Packages
    from regionbox.services.lambda_.code_links import PATH, CodeLinks
    from regionbox.services.lambda_.code_signing import CodeSigningConfigs
    from regionbox.services.lambda_.destinations import Destinations
    from regionbox.services.lambda_.event_source_mappings import EventSourceMappings
    from regionbox.services.lambda_.execution_role import ExecutionRoles
    from regionbox.services.lambda_.function_logs import in_order
    from regionbox.services.lambda_.function_urls import FunctionUrls
    from regionbox.services.lambda_.functions import Functions
    from regionbox.services.lambda_.invoke import Invocations, Invoker
    from regionbox.services.lambda_.invoke_configs import InvokeConfigs
    from regionbox.services.lambda_.layers import Layers
    from regionbox.services.lambda_.notifications import S3Notifications
    from regionbox.services.lambda_.permissions import Permissions
    from regionbox.services.lambda_.provisioned import ProvisionedConcurrencyConfigs
    from regionbox.services.lambda_.resources import IAM_ACTIONS, resource_policy, resources
    from regionbox.services.lambda_.runtimes import Runtimes
    from regionbox.services.lambda_.state import LambdaState
    from regionbox.services.lambda_.stream_poller import StreamPoller
    from regionbox.services.lambda_.tags import Tags
    from regionbox.services.lambda_.versions import Versions
    from regionbox.services.lambda_.workers import Workers

    config = cloud.config
    root = cloud.state_dir / "lambda"
    endpoint = config.endpoint_url
    state = LambdaState(cloud.store, root)
    runtimes = Runtimes(config.lambda_python, config.lambda_node)

    def append_logs(account: str, region: str, group: str, stream: str, events: list) -> None:
        try:
            logs = cloud.services.api("logs")
            for run in in_order(events):
                logs.append(account, region, group, stream, run)
        except Exception:  # noqa: BLE001 - a function's logs lost must not fail what comes next
            log.exception("writing Lambda logs to %s failed", group)

    def write_logs(account: str, region: str, group: str, stream: str, events: list) -> None:
        # On the loop's next turn, once the invocation's answer is on its way: the write is a
        # SQLite commit (a fifth of a warm Invoke's time), and Lambda delivers a function's logs to
        # CloudWatch Logs asynchronously too. Turns run in order: a stream's lines stay in order,
        # and they are written before the loop reads the caller's next request.
        try:
            asyncio.get_running_loop().call_soon(append_logs, account, region, group, stream, events)
        except RuntimeError:  # no loop running (the cloud stopping): write now
            append_logs(account, region, group, stream, events)

    workers = Workers(root / "environments", write_logs, config.lambda_idle_seconds, config.lambda_concurrency)
    roles = ExecutionRoles(cloud.credentials, lambda: cloud.services.api("iam"))
    invoker = Invoker(state, workers, runtimes, roles, endpoint, config.lambda_concurrency)
    queue = AsyncQueue(state, invoker, Destinations(cloud.services), cloud.tasks, config.lambda_retry_scale)
    packages = Packages(state.code, lambda: cloud.services.api("s3"))
    links = CodeLinks(root, cloud.paginator, endpoint)
    versions = Versions(state, cloud.paginator)
    functions = Functions(state, invoker, roles, cloud.tasks, cloud.paginator, packages, versions.publish, links.location,
                          config.lambda_create_delay, config.lambda_concurrency)
    aliases = Aliases(state, cloud.paginator)
    layers = Layers(state, cloud.paginator, packages, links.location)
    permissions = Permissions(state, lambda: cloud.services.api("iam"))
    invoke_configs = InvokeConfigs(state, cloud.paginator)
    poller = StreamPoller(state, invoker, lambda: cloud.services.api("dynamodb"), queue.destinations, cloud.tasks,
                          cloud.bus, config.lambda_retry_scale)
    mappings = EventSourceMappings(state, cloud.paginator, lambda: cloud.services.api("dynamodb"), poller.changed)
    tags = Tags(state)
    invocations = Invocations(invoker, queue)
    urls = FunctionUrls(state, invoker, permissions, cloud.paginator, cloud.credentials,
                        lambda: cloud.services.api("iam"), config.iam_enforcement, config.port)
    provisioned = ProvisionedConcurrencyConfigs(state, cloud.paginator, config.lambda_concurrency)
    code_signing = CodeSigningConfigs(state, cloud.paginator)
    notifications = S3Notifications(state, queue, permissions, cloud.bus, lambda: cloud.services.api("s3"))

    async def sweep_idle() -> None:
        while True:
            await asyncio.sleep(min(30.0, max(config.lambda_idle_seconds / 2, 0.5)))
            workers.sweep()

    def run_background() -> None:
        queue.start()
        poller.start()
        notifications.start()
        cloud.tasks.spawn(sweep_idle(), owner="lambda", what="stopping idle Lambda execution environments")

    def start() -> None:
        state.sweep_code()
        functions.resume()
        run_background()

    async def stop() -> None:
        poller.stop()
        notifications.stop()
        await workers.close()

    async def reset() -> None:
        # The registry has cancelled this service's tasks; the store empties itself next.
        await stop()
        roles.forget()
        state.code.remove(root)
        poller.running = True  # new mappings start their pollers; the old ones are gone with the store
        queue.start()
        notifications.start()
        cloud.tasks.spawn(sweep_idle(), owner="lambda", what="stopping idle Lambda execution environments")

    async def http(request):
        return await links.serve(request) if request.path.startswith(PATH) else await urls.serve(request)

    return Service(
        name="lambda",
        operations={
            # functions
            "CreateFunction": functions.create_function,
            "GetFunction": functions.get_function,
            "GetFunctionConfiguration": functions.get_function_configuration,
            "ListFunctions": functions.list_functions,
            "UpdateFunctionCode": functions.update_function_code,
            "UpdateFunctionConfiguration": functions.update_function_configuration,
            "DeleteFunction": functions.delete_function,
            "PutFunctionConcurrency": functions.put_function_concurrency,
            "GetFunctionConcurrency": functions.get_function_concurrency,
            "DeleteFunctionConcurrency": functions.delete_function_concurrency,
            "PutFunctionRecursionConfig": functions.put_function_recursion_config,
            "GetFunctionRecursionConfig": functions.get_function_recursion_config,
            "PutRuntimeManagementConfig": functions.put_runtime_management_config,
            "GetRuntimeManagementConfig": functions.get_runtime_management_config,
            "GetAccountSettings": functions.get_account_settings,
            # invoking
            "Invoke": invocations.invoke,
            "InvokeAsync": invocations.invoke_async,
            "InvokeWithResponseStream": invocations.invoke_with_response_stream,
            # function URLs (the URLs themselves: http below)
            "CreateFunctionUrlConfig": urls.create_function_url_config,
            "GetFunctionUrlConfig": urls.get_function_url_config,
            "UpdateFunctionUrlConfig": urls.update_function_url_config,
            "DeleteFunctionUrlConfig": urls.delete_function_url_config,
            "ListFunctionUrlConfigs": urls.list_function_url_configs,
            # provisioned concurrency
            "PutProvisionedConcurrencyConfig": provisioned.put_provisioned_concurrency_config,
            "GetProvisionedConcurrencyConfig": provisioned.get_provisioned_concurrency_config,
            "DeleteProvisionedConcurrencyConfig": provisioned.delete_provisioned_concurrency_config,
            "ListProvisionedConcurrencyConfigs": provisioned.list_provisioned_concurrency_configs,
            # code signing
            "CreateCodeSigningConfig": code_signing.create_code_signing_config,
            "GetCodeSigningConfig": code_signing.get_code_signing_config,
            "UpdateCodeSigningConfig": code_signing.update_code_signing_config,
            "DeleteCodeSigningConfig": code_signing.delete_code_signing_config,
            "ListCodeSigningConfigs": code_signing.list_code_signing_configs,
            "ListFunctionsByCodeSigningConfig": code_signing.list_functions_by_code_signing_config,
            "PutFunctionCodeSigningConfig": code_signing.put_function_code_signing_config,
            "GetFunctionCodeSigningConfig": code_signing.get_function_code_signing_config,
            "DeleteFunctionCodeSigningConfig": code_signing.delete_function_code_signing_config,
            # versions and aliases
            "PublishVersion": versions.publish_version,
            "ListVersionsByFunction": versions.list_versions_by_function,
            "CreateAlias": aliases.create_alias,
            "GetAlias": aliases.get_alias,
            "UpdateAlias": aliases.update_alias,
            "DeleteAlias": aliases.delete_alias,
            "ListAliases": aliases.list_aliases,
            # layers and their policies
            "PublishLayerVersion": layers.publish_layer_version,
            "GetLayerVersion": layers.get_layer_version,
            "GetLayerVersionByArn": layers.get_layer_version_by_arn,
            "ListLayers": layers.list_layers,
            "ListLayerVersions": layers.list_layer_versions,
            "DeleteLayerVersion": layers.delete_layer_version,
            "AddLayerVersionPermission": layers.add_layer_version_permission,
            "GetLayerVersionPolicy": layers.get_layer_version_policy,
            "RemoveLayerVersionPermission": layers.remove_layer_version_permission,
            # function policies
            "AddPermission": permissions.add_permission,
            "GetPolicy": permissions.get_policy,
            "RemovePermission": permissions.remove_permission,
            "PutResourcePolicy": permissions.put_resource_policy,
            "GetResourcePolicy": permissions.get_resource_policy,
            "DeleteResourcePolicy": permissions.delete_resource_policy,
            # asynchronous invocation settings
            "PutFunctionEventInvokeConfig": invoke_configs.put_function_event_invoke_config,
            "UpdateFunctionEventInvokeConfig": invoke_configs.update_function_event_invoke_config,
            "GetFunctionEventInvokeConfig": invoke_configs.get_function_event_invoke_config,
            "DeleteFunctionEventInvokeConfig": invoke_configs.delete_function_event_invoke_config,
            "ListFunctionEventInvokeConfigs": invoke_configs.list_function_event_invoke_configs,
            # event source mappings
            "CreateEventSourceMapping": mappings.create_event_source_mapping,
            "GetEventSourceMapping": mappings.get_event_source_mapping,
            "ListEventSourceMappings": mappings.list_event_source_mappings,
            "UpdateEventSourceMapping": mappings.update_event_source_mapping,
            "DeleteEventSourceMapping": mappings.delete_event_source_mapping,
            # tags
            "TagResource": tags.tag_resource,
            "UntagResource": tags.untag_resource,
            "ListTags": tags.list_tags,
        },
        not_implemented=NOT_IMPLEMENTED,
        # Invoking is a data event in CloudTrail, not a management event.
        data_events=frozenset({"Invoke", "InvokeAsync", "InvokeWithResponseStream"}),
        dialect=DIALECT,
        api=LambdaApi(invoker, queue, permissions, lambda: cloud.services.api("iam"), config.iam_enforcement,
                      config.default_region),
        http=http,
        cors=urls.cors,
        start=start,
        stop=stop,
        reset=reset,
        engines=lambda: {**runtimes.describe(), "lambda-environments": f"{workers.count()} running or warm"},
        iam_actions=IAM_ACTIONS,
        resources=resources,
        resource_policy=resource_policy(permissions.policy_of, layers.policy_of),
    )
