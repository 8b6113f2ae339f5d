"""Lambda's one typed state: its collections (functions with their $LATEST configuration,
published versions, aliases, layers, function policies, asynchronous invocation settings, the
queue of asynchronous invocations, event source mappings) and the code on disk."""

from __future__ import annotations

from pathlib import Path

from regionbox.core.store import Scope, Store
from regionbox.services.lambda_.code import CodeStore
from regionbox.services.lambda_.models import (LATEST, Alias, EventSourceMapping, Function, FunctionConfig,
                                                InvokeConfig, LayerVersion, Policy, QueuedEvent, FunctionUrl,
                                                ProvisionedConcurrency, CodeSigningConfig)
from regionbox.services.lambda_.errors import not_found
from regionbox.services.lambda_.names import FunctionRef, function_arn, parse_layer_version_arn


class LambdaState:
    def __init__(self, store: Store, root: Path) -> None:
        self.store = store
        self.functions = store.collection("lambda.functions", Function)
        self.versions = store.collection("lambda.versions", FunctionConfig)
        self.aliases = store.collection("lambda.aliases", Alias)
        self.layers = store.collection("lambda.layers", LayerVersion)
        self.policies = store.collection("lambda.policies", Policy)
        self.invoke_configs = store.collection("lambda.invoke_configs", InvokeConfig)
        self.queue = store.collection("lambda.queue", QueuedEvent)
        self.mappings = store.collection("lambda.event_source_mappings", EventSourceMapping)
        self.urls = store.collection("lambda.function_urls", FunctionUrl)
        self.provisioned = store.collection("lambda.provisioned_concurrency", ProvisionedConcurrency)
        self.code_signing = store.collection("lambda.code_signing_configs", CodeSigningConfig)
        self.code = CodeStore(root)

    # -- lookups that answer AWS's not-found errors --------------------------------------------
    def function(self, ref: FunctionRef) -> Function:
        found = self.functions.get(ref.scope, ref.name)
        if found is None:
            raise not_found("Function", function_arn(ref.account, ref.region, ref.name))
        return found

    def version(self, ref: FunctionRef, version: str) -> FunctionConfig:
        """A function's configuration at a version ($LATEST or a published number)."""
        function = self.function(ref)
        if version == LATEST:
            return function
        found = self.versions.get(ref.scope, f"{ref.name}:{version}")
        if found is None:
            raise not_found("Function", function_arn(ref.account, ref.region, ref.name, version))
        return found

    def alias(self, ref: FunctionRef, name: str) -> Alias:
        self.function(ref)
        found = self.aliases.get(ref.scope, f"{ref.name}:{name}")
        if found is None:
            raise not_found("Alias", function_arn(ref.account, ref.region, ref.name, name))
        return found

    def resolve(self, ref: FunctionRef) -> tuple[FunctionConfig, Alias | None]:
        """The configuration a (possibly qualified) reference names, and the alias it went through."""
        qualifier = ref.qualifier or LATEST
        if qualifier == LATEST or qualifier.isdigit():
            return self.version(ref, qualifier), None
        alias = self.alias(ref, qualifier)
        return self.version(ref, alias.version), alias

    def published(self, scope: Scope, name: str) -> list[FunctionConfig]:
        found = [v for key, v in self.versions.items(scope) if key.startswith(f"{name}:")]
        return sorted(found, key=lambda v: int(v.version))

    def aliases_of(self, scope: Scope, name: str) -> list[Alias]:
        return [a for key, a in self.aliases.items(scope) if key.startswith(f"{name}:")]

    def code_dir(self, scope: Scope, config: FunctionConfig) -> Path:
        return self.code.code_dir(scope[0], scope[1], config.name, config.code_key)

    def layer_dir(self, layer_version_arn: str) -> Path | None:
        parsed = parse_layer_version_arn(layer_version_arn)
        if parsed is None:
            return None
        account, region, name, version = parsed
        return self.code.layer_dir(account, region, name, version)

    def sweep_code(self) -> None:
        """At start: remove code and layer directories no document names any more."""
        keep: dict[tuple[str, str, str], set[str]] = {}
        for (account, region), name, function in self.functions.all():
            keep.setdefault((account, region, name), set()).add(function.code_key)
        for (account, region), _, version in self.versions.all():
            keep.setdefault((account, region, version.name), set()).add(version.code_key)
        layers = {(account, region, layer.name, layer.version) for (account, region), _, layer in self.layers.all()}
        # A deleted layer version stays on disk for the functions that still name it.
        for _, _, config in [*self.functions.all(), *self.versions.all()]:
            layers |= {parsed for parsed in map(parse_layer_version_arn, (l["Arn"] for l in config.layers)) if parsed}
        self.code.sweep(keep, layers)
