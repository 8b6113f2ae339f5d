"""botocore's bundled service models, loaded once and cached.

Every wire detail (operations, shapes, protocols, errors) comes from these models; regionbox
commits no generated code.
"""

from __future__ import annotations

from functools import lru_cache

import botocore.loaders
from botocore.model import OperationModel, ServiceModel

_loader = botocore.loaders.Loader()


@lru_cache(maxsize=None)
def service_model(name: str) -> ServiceModel:
    return ServiceModel(_loader.load_service_model(name, "service-2"), service_name=name)


def protocol_of(model: ServiceModel) -> str:
    """The wire protocol regionbox answers in: the model's own ``protocol`` (what botocore sends).

    Where a model lists several (CloudWatch: smithy-rpc-v2-cbor, json, query), the parser for
    ``protocol`` also accepts the others, detected from the request, since older SDKs still send them.
    """
    return model.metadata["protocol"]


def operation(model: ServiceModel, name: str) -> OperationModel:
    return model.operation_model(name)
