"""API Gateway's documents.

Each document keeps the parts AWS returns in the wire shape the model names (``body``: what
GetRestApi, GetStage, GetApiKey ... answer, camelCase keys), beside the fields regionbox keys and
joins on. Storing the wire shape is what lets one model-driven PATCH applier (patch.py) serve every
Update* operation, and a deployment snapshot be exactly the resources GetResources showed.
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass, field
from typing import ClassVar

_ID_CHARS = string.ascii_lowercase + string.digits
_KEY_CHARS = string.ascii_letters + string.digits


def new_id(length: int) -> str:
    """API Gateway's ids: lower-case letters and digits (10 for APIs and keys, 6 for resources,
    deployments and usage plans)."""
    return "".join(secrets.choice(_ID_CHARS) for _ in range(length))


def new_key_value() -> str:
    """A generated API key value: 40 letters and digits, as AWS generates them."""
    return "".join(secrets.choice(_KEY_CHARS) for _ in range(40))


@dataclass
class RestApi:
    SCHEMA_VERSION: ClassVar[int] = 1
    id: str
    body: dict  # the RestApi shape (name, description, apiKeySource, rootResourceId, tags ...)
    # resource id -> the Resource shape, its methods (with integrations and responses) nested in
    # "resourceMethods" as GetResource(embed=methods) shows them.
    resources: dict[str, dict] = field(default_factory=dict)
    models: dict[str, dict] = field(default_factory=dict)  # name -> the Model shape (a JSON schema)
    validators: dict[str, dict] = field(default_factory=dict)  # id -> the RequestValidator shape
    gateway_responses: dict[str, dict] = field(default_factory=dict)  # type -> a customized GatewayResponse
    authorizers: dict[str, dict] = field(default_factory=dict)  # id -> the Authorizer shape
    documentation_parts: dict[str, dict] = field(default_factory=dict)  # id -> the DocumentationPart shape
    # version -> the DocumentationVersion shape with the parts it snapshotted ("parts")
    documentation_versions: dict[str, dict] = field(default_factory=dict)


@dataclass
class Deployment:
    SCHEMA_VERSION: ClassVar[int] = 1
    rest_api_id: str
    id: str
    body: dict  # the Deployment shape (id, description, createdDate)
    resources: dict[str, dict] = field(default_factory=dict)  # the API's resources when deployed
    models: dict[str, dict] = field(default_factory=dict)  # and its models and request validators
    validators: dict[str, dict] = field(default_factory=dict)
    gateway_responses: dict[str, dict] = field(default_factory=dict)
    authorizers: dict[str, dict] = field(default_factory=dict)


@dataclass
class Stage:
    SCHEMA_VERSION: ClassVar[int] = 1
    rest_api_id: str
    name: str
    body: dict  # the Stage shape (deploymentId, variables, methodSettings, tags ...)


@dataclass
class ApiKey:
    SCHEMA_VERSION: ClassVar[int] = 1
    id: str
    body: dict  # the ApiKey shape, value included


@dataclass
class UsagePlan:
    SCHEMA_VERSION: ClassVar[int] = 1
    id: str
    body: dict  # the UsagePlan shape (apiStages, throttle, quota, tags ...)
    keys: list[str] = field(default_factory=list)  # ids of the API keys in the plan, in the order added


@dataclass
class Account:
    SCHEMA_VERSION: ClassVar[int] = 1
    body: dict  # the Account shape's settable part (cloudwatchRoleArn)


@dataclass
class DomainName:
    SCHEMA_VERSION: ClassVar[int] = 1
    name: str
    body: dict  # the DomainName shape (regionalDomainName, endpointConfiguration, tags ...)
    mappings: dict[str, dict] = field(default_factory=dict)  # base path ("(none)": none) -> the BasePathMapping shape


@dataclass
class ClientCertificate:
    SCHEMA_VERSION: ClassVar[int] = 1
    id: str
    body: dict  # the ClientCertificate shape, pemEncodedCertificate included
    private_key: str = ""  # PEM: API Gateway keeps it to present the certificate to backends


@dataclass
class VpcLink:
    SCHEMA_VERSION: ClassVar[int] = 1
    id: str
    body: dict  # the VpcLink shape (name, targetArns, status ...)
