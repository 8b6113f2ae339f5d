"""Layers: PublishLayerVersion (a zip unpacked once, put on the module path of the functions that
name it: ``python/`` and ``python/lib/<runtime>/site-packages`` for Python, ``nodejs/node_modules``
for Node.js, ``bin`` on PATH, ``lib`` on LD_LIBRARY_PATH), the listings, deletion, and the layer
version policies that share a layer with other accounts. Version numbers are never reused."""

from __future__ import annotations

import json
from typing import Any, Callable

from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError
from regionbox.core.pagination import PageRule, Paginator
from regionbox.services.lambda_.code import Packages
from regionbox.services.lambda_.errors import check_revision, invalid_value
from regionbox.services.lambda_.functions import revision, timestamp
from regionbox.services.lambda_.models import LayerVersion
from regionbox.services.lambda_.names import layer_arn, parse_layer, parse_layer_version_arn
from regionbox.services.lambda_.permissions import document, new_statement
from regionbox.services.lambda_.state import LambdaState

LAYERS_PAGE = PageRule(token="Marker", size="MaxItems", default=50, minimum=1, maximum=50,
                       out_of_range=lambda n: invalid_value(f"MaxItems must be between 1 and 50: {n}"),
                       bad_token=lambda t: invalid_value("Invalid Marker"))


def _not_found() -> ServiceError:
    return ServiceError("ResourceNotFoundException", "The resource you requested does not exist.", status=404, Type="User")


class Layers:
    def __init__(self, state: LambdaState, paginator: Paginator, packages: Packages,
                 code_location: Callable[..., str]) -> None:
        self.state = state
        self.paginator = paginator
        self.packages = packages
        self.code_location = code_location
        self.counters = state.store.collection("lambda.layer_counters")

    def _output(self, account: str, region: str, layer: LayerVersion) -> dict[str, Any]:
        output: dict[str, Any] = {
            "LayerArn": layer_arn(account, region, layer.name),
            "LayerVersionArn": layer_arn(account, region, layer.name, layer.version),
            "Description": layer.description, "CreatedDate": layer.created, "Version": layer.version,
            "CompatibleRuntimes": list(layer.runtimes), "CompatibleArchitectures": list(layer.architectures),
        }
        if layer.license:
            output["LicenseInfo"] = layer.license
        return output

    def _get(self, account: str, region: str, name: str, version: int) -> LayerVersion:
        found = self.state.layers.get((account, region), f"{name}:{version}")
        if found is None:
            raise _not_found()
        return found

    async def publish_layer_version(self, ctx: RequestContext, params: dict) -> dict:
        account, region, name = parse_layer(ctx, params["LayerName"])
        if (account, region) != ctx.scope:
            raise invalid_value("Layers can only be published in the caller's own account and region.")
        counter = self.counters.get(ctx.scope, name) or {"last": 0}
        version = counter["last"] + 1
        package = await self.packages.install(ctx, params.get("Content") or {},
                                              self.state.code.layer_dir(account, region, name, version).parent, str(version))
        layer = LayerVersion(name=name, version=version, created=timestamp(), code_sha256=package.sha256,
                             code_size=package.size, code_key=str(version), code_unzipped=package.unzipped,
                             description=params.get("Description") or "",
                             runtimes=list(params.get("CompatibleRuntimes") or []),
                             architectures=list(params.get("CompatibleArchitectures") or []),
                             license=params.get("LicenseInfo"))
        with self.state.store.transaction():
            self.counters.put(ctx.scope, name, {"last": version})
            self.state.layers.put(ctx.scope, f"{name}:{version}", layer)
        return self._with_content(account, region, layer)

    def _with_content(self, account: str, region: str, layer: LayerVersion) -> dict:
        return {**self._output(account, region, layer),
                "Content": {"Location": self.code_location((account, region), layer.name, str(layer.version), layer=True),
                            "CodeSha256": layer.code_sha256, "CodeSize": layer.code_size}}

    def get_layer_version(self, ctx: RequestContext, params: dict) -> dict:
        account, region, name = parse_layer(ctx, params["LayerName"])
        return self._with_content(account, region, self._get(account, region, name, params["VersionNumber"]))

    def get_layer_version_by_arn(self, ctx: RequestContext, params: dict) -> dict:
        parsed = parse_layer_version_arn(params["Arn"])
        if parsed is None:
            raise invalid_value(f"Invalid Layer Version Arn: {params['Arn']}")
        account, region, name, version = parsed
        return self._with_content(account, region, self._get(account, region, name, version))

    def _matching(self, layers: list[LayerVersion], params: dict) -> list[LayerVersion]:
        runtime, architecture = params.get("CompatibleRuntime"), params.get("CompatibleArchitecture")
        return [layer for layer in layers if (not runtime or runtime in layer.runtimes)
                and (not architecture or architecture in layer.architectures)]

    def list_layers(self, ctx: RequestContext, params: dict) -> dict:
        latest: dict[str, LayerVersion] = {}
        for layer in self._matching(self.state.layers.values(ctx.scope), params):
            if layer.name not in latest or layer.version > latest[layer.name].version:
                latest[layer.name] = layer
        names = sorted(latest)
        page, marker = self.paginator.paginate(names, params, LAYERS_PAGE,
                                               query=[params.get("CompatibleRuntime"), params.get("CompatibleArchitecture")])
        output: dict[str, Any] = {"Layers": [{"LayerName": name, "LayerArn": layer_arn(*ctx.scope, name),
                                              "LatestMatchingVersion": {k: v for k, v in self._output(*ctx.scope, latest[name]).items()
                                                                        if k not in ("LayerArn", "Version")} |
                                              {"Version": latest[name].version}} for name in page]}
        if marker:
            output["NextMarker"] = marker
        return output

    def list_layer_versions(self, ctx: RequestContext, params: dict) -> dict:
        account, region, name = parse_layer(ctx, params["LayerName"])
        versions = sorted((layer for layer in self.state.layers.values((account, region)) if layer.name == name),
                          key=lambda layer: -layer.version)
        versions = self._matching(versions, params)
        page, marker = self.paginator.paginate(versions, params, LAYERS_PAGE,
                                               query=[name, params.get("CompatibleRuntime"), params.get("CompatibleArchitecture")])
        output: dict[str, Any] = {"LayerVersions": [{k: v for k, v in self._output(account, region, layer).items()
                                                     if k != "LayerArn"} for layer in page]}
        if marker:
            output["NextMarker"] = marker
        return output

    def delete_layer_version(self, ctx: RequestContext, params: dict) -> dict:
        account, region, name = parse_layer(ctx, params["LayerName"])
        # The files stay while functions use them (AWS keeps a deleted version for its functions);
        # the sweep at start removes them once no function names the version.
        self.state.layers.delete((account, region), f"{name}:{params['VersionNumber']}")
        return {}

    # -- layer version policies ----------------------------------------------------------------
    def add_layer_version_permission(self, ctx: RequestContext, params: dict) -> dict:
        account, region, name = parse_layer(ctx, params["LayerName"])
        layer = self._get(account, region, name, params["VersionNumber"])
        check_revision(layer.policy_revision, params.get("RevisionId"))
        statement = new_statement(layer.statements, params, layer_arn(account, region, name, layer.version), ctx.partition)
        if params.get("OrganizationId"):
            statement["Condition"] = {"StringEquals": {"aws:PrincipalOrgID": params["OrganizationId"]}}
        layer.statements = [*layer.statements, statement]
        layer.policy_revision = revision()
        self.state.layers.put((account, region), f"{name}:{layer.version}", layer)
        return {"Statement": json.dumps(statement, separators=(",", ":")), "RevisionId": layer.policy_revision}

    def get_layer_version_policy(self, ctx: RequestContext, params: dict) -> dict:
        account, region, name = parse_layer(ctx, params["LayerName"])
        layer = self._get(account, region, name, params["VersionNumber"])
        if not layer.statements:
            raise _not_found()
        return {"Policy": document(layer.statements), "RevisionId": layer.policy_revision}

    def remove_layer_version_permission(self, ctx: RequestContext, params: dict) -> dict:
        account, region, name = parse_layer(ctx, params["LayerName"])
        layer = self._get(account, region, name, params["VersionNumber"])
        kept = [s for s in layer.statements if s.get("Sid") != params["StatementId"]]
        if len(kept) == len(layer.statements):
            raise ServiceError("ResourceNotFoundException", f"Statement {params['StatementId']} is not found in resource "
                               "policy.", status=404, Type="User")
        check_revision(layer.policy_revision, params.get("RevisionId"))
        layer.statements, layer.policy_revision = kept, revision()
        self.state.layers.put((account, region), f"{name}:{layer.version}", layer)
        return {}

    def policy_of(self, resource: str) -> str | None:
        parsed = parse_layer_version_arn(resource)
        if parsed is None:
            return None
        account, region, name, version = parsed
        layer = self.state.layers.get((account, region), f"{name}:{version}")
        return document(layer.statements) if layer is not None and layer.statements else None
