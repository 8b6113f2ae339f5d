"""botocore's bundled service models, loaded once and cached.

Every wire detail (operations, shapes, protocols, errors) comes from these models; regionbox
commits no generated code. A model is loaded when its service is first used. Routing a request
to a service needs only a few facts per model (signing name, target prefix, query actions);
``routing_facts`` keeps those in a small file in the user's cache directory, per botocore
version, so that starting the cloud does not parse every served model (EC2's alone takes 100 ms).
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import botocore  # the package alone is light; its loader and models are imported on first use
import orjson
import platformdirs

if TYPE_CHECKING:
    from botocore.model import OperationModel, ServiceModel


@lru_cache(maxsize=None)
def _loader():
    import botocore.loaders

    return botocore.loaders.Loader()


@lru_cache(maxsize=None)
def service_model(name: str) -> "ServiceModel":
    from botocore.model import ServiceModel

    document = _bundled_model(name)
    if document is None:
        document = _loader().load_service_model(name, "service-2")
    return ServiceModel(document, service_name=name)


def _bundled_model(name: str) -> dict | None:
    """The model botocore ships, read directly (orjson reads it in a fifth of the time botocore's
    loader takes, which is most of a service's first request). None where botocore's loader
    would do more than read that file: models the user installed (~/.aws/models, AWS_DATA_PATH)
    or SDK extras merged into the model (S3, RDS ...)."""
    import gzip

    from regionbox.config import botocore_data_path

    if botocore_data_path() or (Path.home() / ".aws" / "models").exists():
        return None
    service_dir = Path(botocore.__file__).parent / "data" / name
    try:
        versions = sorted(entry.name for entry in service_dir.iterdir()
                          if (entry / "service-2.json.gz").exists() or (entry / "service-2.json").exists())
    except OSError:
        return None
    if not versions or (service_dir / versions[-1] / "service-2.sdk-extras.json").exists():
        return None
    latest = service_dir / versions[-1]
    try:
        if (latest / "service-2.json.gz").exists():
            return orjson.loads(gzip.decompress((latest / "service-2.json.gz").read_bytes()))
        return orjson.loads((latest / "service-2.json").read_bytes())
    except (OSError, ValueError):
        return None


def protocol_of(model: "ServiceModel") -> str:
    """The wire protocol regionbox answers in: the model's own ``protocol`` (what botocore sends).

    Where a model lists several (CloudWatch: smithy-rpc-v2-cbor, json, query), the parser for
    ``protocol`` also accepts the others, detected from the request, since older SDKs still send them.
    """
    return model.metadata["protocol"]


def operation(model: "ServiceModel", name: str) -> "OperationModel":
    return model.operation_model(name)


@dataclass(frozen=True)
class RoutingFacts:
    """What the gateway needs to tell a request's service, from its model's metadata."""

    signing_names: tuple[str, ...]  # signingName and endpointPrefix
    target_prefix: str  # JSON protocols' X-Amz-Target prefix ("DynamoDB_20120810"), or ""
    api_version: str
    protocol: str
    protocols: tuple[str, ...]
    query_actions: tuple[str, ...]  # operation names, for services that speak query or ec2

    @classmethod
    def of(cls, model: "ServiceModel") -> "RoutingFacts":
        metadata = model.metadata
        protocols = tuple(metadata.get("protocols") or [metadata["protocol"]])
        speaks_query = "query" in protocols or "ec2" in protocols
        return cls(
            signing_names=tuple(sorted({metadata.get("signingName"), metadata.get("endpointPrefix")} - {None})),
            target_prefix=metadata.get("targetPrefix", ""),
            api_version=metadata.get("apiVersion", ""),
            protocol=metadata["protocol"],
            protocols=protocols,
            query_actions=tuple(model.operation_names) if speaks_query else (),
        )


def model_for_signing_name(signing_name: str, rpc_v2_service: str | None = None) -> "ServiceModel | None":
    """The botocore model of the service that signs as ``signing_name`` (``monitoring`` is
    CloudWatch, ``email`` SES ...), to answer a service regionbox does not serve in its own
    protocol. Most share their name; the others are found once in every model's metadata,
    remembered with the routing facts. ``rpc_v2_service``: the service a Smithy RPC v2 request
    names in its path (``/service/AWSEventsV2/operation/...``), which tells apart two services
    that sign with one name (EventBridge and EventBridgeV2 both sign as ``events``)."""
    data = Path(botocore.__file__).parent / "data"
    if rpc_v2_service:
        service = _metadata_index("targetPrefix").get(rpc_v2_service)
        if service:
            return service_model(service)
    if signing_name and (data / signing_name).is_dir():
        model = service_model(signing_name)
        if signing_name in RoutingFacts.of(model).signing_names:
            return model
    service = _metadata_index("signingName", "endpointPrefix").get(signing_name)
    return service_model(service) if service else None


def _metadata_index(*keys: str) -> dict[str, str]:
    """Every bundled model's service name by the first of ``keys`` its metadata has a value for
    (read once per botocore version, then from the cache file)."""
    path = _cache_path()
    try:
        cached = orjson.loads(path.read_bytes())
    except (OSError, ValueError):
        cached = {}
    entry = "__by_" + "_".join(keys) + "__"
    index = cached.get(entry)
    if index is None:
        data = Path(botocore.__file__).parent / "data"
        index = {}
        metadata = {e.name: (_bundled_model(e.name) or {}).get("metadata", {}) for e in sorted(data.iterdir())}
        for key in keys:  # a signing name first: it is what SigV4 scopes name
            for service, fields in metadata.items():
                if fields.get(key):
                    index.setdefault(fields[key], service)
        cached[entry] = index
        _write_atomically(path, orjson.dumps(cached))
    return index


def _cache_path() -> Path:
    return Path(platformdirs.user_cache_dir("regionbox")) / f"routing-botocore-{botocore.__version__}.json"


def routing_facts(names: list[str]) -> dict[str, RoutingFacts]:
    """Routing facts of each service, from the cache file when it has them (else from the model,
    then saved). A cache that cannot be read or written only costs the models' load time."""
    path = _cache_path()
    try:
        cached = orjson.loads(path.read_bytes())
    except (OSError, ValueError):
        cached = {}
    facts: dict[str, RoutingFacts] = {}
    missing = False
    for name in names:
        raw = cached.get(name)
        try:
            facts[name] = RoutingFacts(**{key: tuple(v) if isinstance(v, list) else v for key, v in raw.items()})
        except (AttributeError, TypeError):
            facts[name] = RoutingFacts.of(service_model(name))
            cached[name] = asdict(facts[name])
            missing = True
    if missing:
        _write_atomically(path, orjson.dumps(cached))
    return facts


def _write_atomically(path: Path, data: bytes) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".routing-")
        with os.fdopen(fd, "wb") as file:
            file.write(data)
        os.replace(tmp, path)
    except OSError:
        pass  # a read-only home: the next start computes the facts again
