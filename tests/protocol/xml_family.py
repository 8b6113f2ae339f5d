"""Property checks shared by the query, ec2 and rest-xml protocol tests.

Each check takes a service and a protocol name and pits regionbox's Parser / Serializer against
botocore's own serializer / parser: what botocore sends we must read back exactly, and what we
send botocore must read back exactly.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import import_module
from typing import Any, Callable

import boto3
import pytest
from botocore.model import OperationModel, ServiceModel
from botocore.exceptions import ParamValidationError
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st

from regionbox.core.errors import ServiceError
from regionbox.protocol import xml
from regionbox.protocol.errors import error_spec
from regionbox.protocol.specs import service_model
from tests.protocol.botocore_wire import botocore_parse, normalized, request_from_botocore
from tests.protocol.dialects import dialect_of
from tests.protocol.strategies import ShapeStrategies

_MODULES = {"query": "regionbox.protocol.query", "ec2": "regionbox.protocol.ec2", "rest-xml": "regionbox.protocol.restxml"}

# How each protocol family reports a missing required parameter.
MISSING_PARAMETER_ERRORS = {("ValidationError", 400), ("InvalidParameterValue", 400), ("MissingParameter", 400),
                            ("InvalidInput", 400), ("InvalidRequest", 400), ("MalformedXML", 400),
                            ("MissingRequestBodyError", 400)}

PROPERTY_SETTINGS = settings(
    max_examples=120, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)


@lru_cache(maxsize=None)
def strategies(service: str) -> ShapeStrategies:
    return ShapeStrategies(service_model(service), max_depth=3)


@lru_cache(maxsize=None)
def codec(service: str, protocol: str) -> tuple[Any, Any]:
    module = import_module(_MODULES[protocol])
    model = service_model(service)
    dialect = dialect_of(service)
    return module.Parser(model, dialect), module.Serializer(model, dialect)


def operations(service: str) -> list[OperationModel]:
    model = service_model(service)
    return [model.operation_model(name) for name in model.operation_names]


def operation_and(service: str, protocol: str, part: str) -> st.SearchStrategy[tuple[OperationModel, dict]]:
    """(operation, random input or output for it), the operation drawn uniformly."""
    builder = strategies(service)
    return st.sampled_from(operations(service)).flatmap(lambda op: st.tuples(st.just(op), getattr(builder, part)(op)))


# One example only: Hypothesis's first draw is the simplest value of every strategy.
EVERY_OPERATION_SETTINGS = settings(max_examples=1, deadline=None, phases=[Phase.generate], database=None,
                                    suppress_health_check=list(HealthCheck))


def every_operation(services: list[str]) -> list[tuple[str, str]]:
    """(service, operation name) for every operation, to parametrize the deterministic pass."""
    return [(service, name) for service in services for name in service_model(service).operation_names]


def check_simplest(service: str, protocol: str, operation_name: str, data: st.DataObject) -> None:
    """The simplest input and output of one operation round-trip."""
    operation = service_model(service).operation_model(operation_name)
    check_input(service, protocol, operation, data.draw(strategies(service).input(operation), label="input"))
    check_output(service, protocol, operation, data.draw(strategies(service).output(operation), label="output"))


# --- the three properties ------------------------------------------------------------------------

def check_input(service: str, protocol: str, operation: OperationModel, params: dict) -> None:
    parser, _ = codec(service, protocol)
    try:
        request = request_from_botocore(protocol, operation, params)
    except ParamValidationError:
        assume(False)  # botocore itself refuses it (host labels must be DNS-safe)
    if operation.input_shape is not None and not keeps_required(operation.input_shape, params, protocol):
        # A required member whose value left nothing on the wire (an empty structure, list or
        # map) is missing for the server, as it would be for AWS.
        with pytest.raises(ServiceError) as missing:
            parser.parse(request)
        assert (missing.value.code, missing.value.status) in MISSING_PARAMETER_ERRORS
        return
    twins = wire_twins(operation)
    if twins:
        # The server can only take such a request for one of them (whose schema may then reject it).
        try:
            assert parser.parse(request)[0].name in [operation.name, *twins]
        except ServiceError as error:
            assert error.status == 400
        return
    parsed_operation, parsed = parser.parse(request)
    assert parsed_operation.name == operation.name
    assert normalized(parsed) == normalized(params)


def wire_twins(operation: OperationModel) -> list[str]:
    """Other operations whose requests look exactly like this one's on the wire (S3's deprecated
    GetBucketLifecycle and GetBucketLifecycleConfiguration; ListBuckets and ListDirectoryBuckets,
    which AWS tells apart by host name only)."""
    if "requestUri" not in operation.http:
        return []

    def route(op: OperationModel) -> tuple:
        path, _, query = op.http.get("requestUri", "/").partition("?")
        return op.http.get("method"), path, sorted(p for p in query.split("&") if p and not p.startswith("x-id"))
    model = operation.service_model
    return [name for name in model.operation_names
            if name != operation.name and route(model.operation_model(name)) == route(operation)]


def keeps_required(shape, value, protocol: str) -> bool:
    """Every required member of ``value`` leaves a trace on the wire of ``protocol``."""
    if shape.type_name == "structure":
        return all(expressible(shape.members[name], value.get(name), protocol) for name in shape.required_members) \
            and all(keeps_required(shape.members[name], item, protocol) for name, item in value.items() if item is not None)
    if shape.type_name == "list":
        return all(keeps_required(shape.member, item, protocol) for item in value)
    if shape.type_name == "map":
        return all(keeps_required(shape.value, item, protocol) for item in value.values())
    return True


def expressible(shape, value, protocol: str) -> bool:
    """``value`` leaves a trace on the wire of ``protocol``."""
    if value is None:
        return False
    in_body = "location" not in shape.serialization
    if shape.type_name == "list":
        if value:  # items that are empty structures leave nothing, except in XML (<member/>)
            return protocol == "rest-xml" or any(expressible(shape.member, item, protocol) for item in value)
        # query writes an empty list as "Name=", rest-xml as <Name/>; ec2 and flattened lists drop it
        return protocol in ("query", "rest-xml") and not shape.serialization.get("flattened") and in_body
    if shape.type_name == "structure":
        # rest-xml writes even an empty structure as an element (<Name/>)
        return (protocol == "rest-xml" and in_body) or any(
            expressible(shape.members[name], item, protocol) for name, item in value.items() if name in shape.members)
    if shape.type_name == "map":
        return bool(value) or (protocol == "rest-xml" and in_body)
    return True


def check_output(service: str, protocol: str, operation: OperationModel, output: dict) -> None:
    if operation.has_event_stream_output:
        return  # event streams (S3 SelectObjectContent) are not serialized by regionbox yet
    clashes = output_clashes(operation)
    if clashes:
        output = one_of_each_clash(operation.output_shape, output)
    _, serializer = codec(service, protocol)
    response = serializer.serialize_response(operation, output, "request-id-1")
    assert 200 <= response.status < 300
    parsed = botocore_parse(protocol, operation, response)
    assert parsed["ResponseMetadata"]["RequestId"] == "request-id-1"
    for name, member in (operation.output_shape.members.items() if operation.output_shape else []):
        # HTTP's own Content-Length / Content-Type reach members bound to them (S3 HeadObject)
        if member.serialization.get("name", "").lower() in ("content-length", "content-type") and name not in output:
            parsed.pop(name, None)
    payload = operation.output_shape.serialization.get("payload") if operation.output_shape else None
    if payload and output.get(payload) in ("", b""):
        output = {key: value for key, value in output.items() if key != payload}  # empty raw body = none
    if clashes:  # the reader also fills the twin of each member written
        assert contains(normalized(parsed), normalized(output))
    else:
        assert normalized(parsed) == normalized(output)


def output_clashes(operation: OperationModel) -> bool:
    """Two members of one structure with the same element name (S3's deprecated notification
    shapes: Event and Events are both <Event>): a reader sees both, whichever the writer meant."""
    seen: set[str] = set()

    def walk(shape) -> bool:
        if shape is None or shape.name in seen:
            return False
        seen.add(shape.name)
        if shape.type_name == "structure":
            names = [xml.member_xml_name(member, name) for name, member in shape.members.items()
                     if "location" not in member.serialization]
            return len(names) != len(set(names)) or any(walk(member) for member in shape.members.values())
        if shape.type_name == "list":
            return walk(shape.member)
        if shape.type_name == "map":
            return walk(shape.value)
        return False
    return walk(operation.output_shape)


def contains(whole: Any, part: Any) -> bool:
    if isinstance(part, dict):
        return isinstance(whole, dict) and all(key in whole and contains(whole[key], value) for key, value in part.items())
    if isinstance(part, list):
        return isinstance(whole, list) and len(whole) == len(part) and all(map(contains, whole, part))
    return whole == part


def one_of_each_clash(shape, value: Any) -> Any:
    """``value`` with at most one of the members that share an element name (a provider fills
    S3's deprecated Event or Events, never both: written together they are one ambiguous list)."""
    if value is None or shape is None:
        return value
    if shape.type_name == "structure" and isinstance(value, dict):
        kept, names = {}, set()
        for name, item in value.items():
            member = shape.members.get(name)
            xml_name = xml.member_xml_name(member, name) if member is not None and "location" not in member.serialization else None
            if item is not None and xml_name is not None:
                if xml_name in names:
                    continue
                names.add(xml_name)
            kept[name] = one_of_each_clash(member, item)
        return kept
    if shape.type_name == "list" and isinstance(value, list):
        return [one_of_each_clash(shape.member, item) for item in value]
    if shape.type_name == "map" and isinstance(value, dict):
        return {key: one_of_each_clash(shape.value, item) for key, item in value.items()}
    return value


def check_error(service: str, protocol: str, model: ServiceModel, shape_name: str, fields: dict, message: str) -> dict:
    """A modeled error raised by a provider reaches botocore with its code, message, status and
    modeled exception class. Returns botocore's parsed error for protocol-specific checks."""
    _, serializer = codec(service, protocol)
    shape = model.shape_for(shape_name)
    code = (shape.metadata.get("error") or {}).get("code") or shape.name
    error = ServiceError(code, message, **{k: v for k, v in fields.items() if k.lower() != "message"})
    spec = error_spec(model, error)
    operation = operations(service)[0]
    response = serializer.serialize_error(operation, error, "request-id-2")
    expected_status = (shape.metadata.get("error") or {}).get("httpStatusCode") or 400
    assert response.status == expected_status
    parsed = botocore_parse(protocol, operation, response)
    assert parsed["Error"]["Code"] == code
    assert parsed["Error"]["Message"] == message
    assert parsed["ResponseMetadata"]["RequestId"] == "request-id-2"
    assert parsed["ResponseMetadata"]["HTTPStatusCode"] == expected_status
    sharing = [s for s in model.error_shapes if ((s.metadata.get("error") or {}).get("code") or s.name) == code]
    if len(sharing) == 1:  # several shapes may share one wire code (CloudWatch's ResourceNotFound)
        assert client_for(service).exceptions.from_code(code).__name__ == shape.name
        assert spec.shape.name == shape.name
    return parsed


@lru_cache(maxsize=None)
def client_for(service: str):
    return boto3.session.Session().client(service, region_name="us-east-1", endpoint_url="http://127.0.0.1:9",
                                          aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret")


def error_shapes(service: str) -> list[str]:
    return sorted(shape.name for shape in service_model(service).error_shapes)


def error_case(service: str) -> st.SearchStrategy[tuple[str, dict, str]]:
    model = service_model(service)
    builder = strategies(service)
    message = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Co", "Cn", "Zl", "Zp")),
                      min_size=1, max_size=30)
    return st.sampled_from(error_shapes(service)).flatmap(
        lambda name: st.tuples(st.just(name), builder.error(model.shape_for(name)), message))


def property_tests(services: list[str], protocol: str) -> tuple[Callable, Callable, Callable]:
    """The round-trip properties over ``services`` in ``protocol``: botocore's requests parse back
    to their input, our responses parse in botocore to their output, and every operation's
    simplest input and output round-trip. A test module assigns them to test_* names."""

    @pytest.mark.parametrize("service", services)
    @PROPERTY_SETTINGS
    @given(data=st.data())
    def requests(service, data):
        operation, params = data.draw(operation_and(service, protocol, "input"))
        check_input(service, protocol, operation, params)

    @pytest.mark.parametrize("service", services)
    @PROPERTY_SETTINGS
    @given(data=st.data())
    def responses(service, data):
        operation, output = data.draw(operation_and(service, protocol, "output"))
        check_output(service, protocol, operation, output)

    @pytest.mark.parametrize(("service", "operation"), every_operation(services))
    @EVERY_OPERATION_SETTINGS
    @given(data=st.data())
    def simplest(service, operation, data):
        check_simplest(service, protocol, operation, data)

    return requests, responses, simplest
