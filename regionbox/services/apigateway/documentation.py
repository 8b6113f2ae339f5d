"""API documentation: CreateDocumentationPart, GetDocumentationPart(s), UpdateDocumentationPart,
DeleteDocumentationPart, ImportDocumentationParts, CreateDocumentationVersion,
GetDocumentationVersion(s), UpdateDocumentationVersion, DeleteDocumentationVersion.

A part documents one location of the API (the API, a resource, a method, a parameter, a response
...) with a JSON ``properties`` document; each location has one part at most. A version is a
snapshot of the parts, which a stage may name (``documentationVersion``).
"""

from __future__ import annotations

import json
import time
from typing import Any

from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError
from regionbox.core.pagination import Paginator
from regionbox.services.apigateway import patch
from regionbox.services.apigateway.models import RestApi, new_id
from regionbox.services.apigateway.openapi import load_document
from regionbox.services.apigateway.paging import listing
from regionbox.services.apigateway.state import ApiGatewayState, bad_request, conflict, not_found

# type -> the location members it takes (with their defaults; None: required, no default)
_LOCATION = {
    "API": {}, "AUTHORIZER": {"name": None}, "MODEL": {"name": None}, "RESOURCE": {"path": "/"},
    "METHOD": {"path": "/", "method": "*"}, "PATH_PARAMETER": {"path": "/", "method": "*", "name": None},
    "QUERY_PARAMETER": {"path": "/", "method": "*", "name": None},
    "REQUEST_HEADER": {"path": "/", "method": "*", "name": None}, "REQUEST_BODY": {"path": "/", "method": "*"},
    "RESPONSE": {"path": "/", "method": "*", "statusCode": "*"},
    "RESPONSE_HEADER": {"path": "/", "method": "*", "statusCode": "*", "name": None},
    "RESPONSE_BODY": {"path": "/", "method": "*", "statusCode": "*"},
}


def location_of(given: dict) -> dict:
    kind = given.get("type")
    if kind not in _LOCATION:
        raise bad_request(f"Invalid documentation part type specified. Valid options are {','.join(_LOCATION)}")
    location: dict[str, Any] = {"type": kind}
    for member, default in _LOCATION[kind].items():
        value = given.get(member) or default
        if value is None:
            raise bad_request(f"Invalid location: the {member} of a {kind} documentation part must be specified")
        location[member] = value
    return location


def check_properties(text: str) -> None:
    try:
        if not isinstance(json.loads(text), dict):
            raise ValueError(text)
    except ValueError:
        raise bad_request("Invalid documentation properties specified: they must be a JSON object") from None


class Documentation:
    def __init__(self, state: ApiGatewayState, paginator: Paginator) -> None:
        self.state = state
        self.paginator = paginator

    def _part(self, api: RestApi, part_id: str) -> dict:
        found = api.documentation_parts.get(part_id)
        if found is None:
            raise not_found("Invalid Documentation part identifier specified")
        return found

    def _add(self, api: RestApi, location: dict, properties: str) -> dict:
        check_properties(properties)
        if any(p["location"] == location for p in api.documentation_parts.values()):
            raise conflict("Documentation part already exists for the specified location: "
                           + ", ".join(f"{k}={v}" for k, v in location.items()))
        part = {"id": new_id(10), "location": location, "properties": properties}
        api.documentation_parts[part["id"]] = part
        return part

    def create_documentation_part(self, ctx: RequestContext, params: dict) -> dict:
        api = self.state.api(ctx.scope, params["restApiId"])
        part = self._add(api, location_of(params["location"]), params["properties"])
        self.state.apis.put(ctx.scope, api.id, api)
        return dict(part)

    def get_documentation_part(self, ctx: RequestContext, params: dict) -> dict:
        api = self.state.api(ctx.scope, params["restApiId"])
        return dict(self._part(api, params["documentationPartId"]))

    def get_documentation_parts(self, ctx: RequestContext, params: dict) -> dict:
        api = self.state.api(ctx.scope, params["restApiId"])
        parts = list(api.documentation_parts.values())
        if params.get("type"):
            parts = [p for p in parts if p["location"]["type"] == params["type"]]
        if params.get("nameQuery"):
            parts = [p for p in parts if params["nameQuery"] in p["location"].get("name", "")]
        if params.get("path"):
            parts = [p for p in parts if p["location"].get("path") == params["path"]]
        if params.get("locationStatus"):
            documented = params["locationStatus"] == "DOCUMENTED"
            parts = [p for p in parts if (p["properties"].strip() not in ("", "{}")) == documented]
        query = [params.get(k) for k in ("type", "nameQuery", "path", "locationStatus")]
        return listing(self.paginator, [dict(p) for p in parts], params, query=query)

    def update_documentation_part(self, ctx: RequestContext, params: dict) -> dict:
        api = self.state.api(ctx.scope, params["restApiId"])
        part = self._part(api, params["documentationPartId"])
        changed = patch.apply(dict(part), params.get("patchOperations"), "DocumentationPart", ("properties",))
        check_properties(changed.get("properties") or "")
        api.documentation_parts[part["id"]] = changed
        self.state.apis.put(ctx.scope, api.id, api)
        return dict(changed)

    def delete_documentation_part(self, ctx: RequestContext, params: dict) -> dict:
        api = self.state.api(ctx.scope, params["restApiId"])
        del api.documentation_parts[self._part(api, params["documentationPartId"])["id"]]
        self.state.apis.put(ctx.scope, api.id, api)
        return {}

    def import_documentation_parts(self, ctx: RequestContext, params: dict) -> dict:
        """Parts from an OpenAPI document's ``x-amazon-apigateway-documentation.documentationParts``."""
        api = self.state.api(ctx.scope, params["restApiId"])
        document = load_document(params.get("body") or b"")
        given = (document.get("x-amazon-apigateway-documentation") or {}).get("documentationParts") or []
        if (params.get("mode") or "merge") == "overwrite":
            api.documentation_parts = {}
        ids, warnings = [], []
        for number, entry in enumerate(given):
            try:
                location = location_of(entry.get("location") or {})
                properties = entry.get("properties") or {}
                text = properties if isinstance(properties, str) else json.dumps(properties)
                existing = next((p for p in api.documentation_parts.values() if p["location"] == location), None)
                if existing is not None:  # importing merges onto the part already at that location
                    check_properties(text)
                    existing["properties"] = text
                    ids.append(existing["id"])
                else:
                    ids.append(self._add(api, location, text)["id"])
            except ServiceError as error:  # one part refused, the rest imported
                if params.get("failOnWarnings"):
                    raise
                warnings.append(f"documentationParts[{number}]: {error.message}")
        self.state.apis.put(ctx.scope, api.id, api)
        return {"ids": ids, "warnings": warnings}

    # -- versions -------------------------------------------------------------------------------
    def _version(self, api: RestApi, version: str) -> dict:
        found = api.documentation_versions.get(version)
        if found is None:
            raise not_found("Invalid Documentation version specified")
        return found

    @staticmethod
    def _shown(version: dict) -> dict:
        return {k: v for k, v in version.items() if k != "parts"}

    def create_documentation_version(self, ctx: RequestContext, params: dict) -> dict:
        api = self.state.api(ctx.scope, params["restApiId"])
        name = params["documentationVersion"]
        if name in api.documentation_versions:
            raise conflict(f"Documentation version {name} already exists")
        stage = self.state.stage(ctx.scope, api.id, params["stageName"]) if params.get("stageName") else None
        version = {"version": name, "createdDate": int(time.time()), "parts": json.loads(json.dumps(api.documentation_parts))}
        if params.get("description"):
            version["description"] = params["description"]
        with self.state.store.transaction():
            api.documentation_versions[name] = version
            self.state.apis.put(ctx.scope, api.id, api)
            if stage is not None:
                stage.body["documentationVersion"] = name
                self.state.stages.put(ctx.scope, f"{api.id}/{stage.name}", stage)
        return self._shown(version)

    def get_documentation_version(self, ctx: RequestContext, params: dict) -> dict:
        api = self.state.api(ctx.scope, params["restApiId"])
        return self._shown(self._version(api, params["documentationVersion"]))

    def get_documentation_versions(self, ctx: RequestContext, params: dict) -> dict:
        api = self.state.api(ctx.scope, params["restApiId"])
        return listing(self.paginator, [self._shown(v) for v in api.documentation_versions.values()], params)

    def update_documentation_version(self, ctx: RequestContext, params: dict) -> dict:
        api = self.state.api(ctx.scope, params["restApiId"])
        version = self._version(api, params["documentationVersion"])
        shown = patch.apply(self._shown(version), params.get("patchOperations"), "DocumentationVersion", ("description",))
        api.documentation_versions[version["version"]] = {**shown, "parts": version["parts"]}
        self.state.apis.put(ctx.scope, api.id, api)
        return shown

    def delete_documentation_version(self, ctx: RequestContext, params: dict) -> dict:
        api = self.state.api(ctx.scope, params["restApiId"])
        version = self._version(api, params["documentationVersion"])
        if any(s.body.get("documentationVersion") == version["version"] for s in self.state.stages_of(ctx.scope, api.id)):
            raise conflict(f"Documentation version {version['version']} is in use by a stage")
        del api.documentation_versions[version["version"]]
        self.state.apis.put(ctx.scope, api.id, api)
        return {}
