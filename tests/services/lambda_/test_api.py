"""LambdaApi: how other services (Transfer Family's identity providers, AppSync's Lambda data
sources, API Gateway's AWS_PROXY integrations) invoke a function in-process, with what Invoke
would answer and refuse."""

from __future__ import annotations

import pytest

from regionbox.core.errors import ServiceError
from tests.services.lambda_.helpers import ACCOUNT, OTHER, client, create

ECHO = """def handler(event, context):
    if event.get("fail"):
        raise ValueError("refused " + event["user"])
    print("asked for", event["user"])
    return {"Role": "arn:aws:iam::111111111111:role/r", "HomeDirectory": "/home/" + event["user"]}
"""


def invoke(cloud, function: str, payload, **options):
    async def call():
        return await cloud.cloud.services.api("lambda").invoke(ACCOUNT, "us-east-1", function, payload, **options)
    return cloud.run(call())


def refusal(cloud, function: str, payload, **options) -> ServiceError:
    with pytest.raises(ServiceError) as caught:
        invoke(cloud, function, payload, **options)
    return caught.value


def test_invoke_returns_status_payload_and_function_error(cloud):
    arn = create(cloud, "idp", ECHO)["FunctionArn"]
    answer = invoke(cloud, arn, {"user": "ann"})  # by ARN, with a dict payload
    assert (answer.status_code, answer.function_error, answer.executed_version) == (200, None, "$LATEST")
    assert answer.json() == {"Role": "arn:aws:iam::111111111111:role/r", "HomeDirectory": "/home/ann"}
    by_name = invoke(cloud, "idp", b'{"user": "bob"}', log_type="Tail")  # by name, with bytes
    assert by_name.json()["HomeDirectory"] == "/home/bob"
    assert by_name.log_result is not None and invoke(cloud, "idp", b'{"user": "c"}').log_result is None
    failed = invoke(cloud, "idp", {"user": "eve", "fail": True})
    assert (failed.status_code, failed.function_error, failed.error_type) == (200, "Unhandled", "ValueError")
    assert failed.json()["errorMessage"] == "refused eve"
    assert invoke(cloud, "idp", {"user": "x"}, invocation_type="DryRun").status_code == 204
    assert invoke(cloud, "idp", {"user": "x"}, invocation_type="Event").status_code == 202


def test_invoke_refuses_as_invoke_does(cloud):
    create(cloud, "idp", ECHO)
    missing = refusal(cloud, "nope", {})
    assert (missing.code, missing.status) == ("ResourceNotFoundException", 404)
    assert missing.message == f"Function not found: arn:aws:lambda:us-east-1:{ACCOUNT}:function:nope"
    too_big = refusal(cloud, "idp", b'"' + b"x" * 6_300_000 + b'"')
    assert (too_big.code, too_big.status) == ("RequestEntityTooLargeException", 413)
    assert refusal(cloud, "idp", b"{not json").code == "InvalidRequestContentException"


def test_a_service_principal_needs_the_function_policy(cloud):
    arn = create(cloud, "idp", ECHO)["FunctionArn"]
    server = f"arn:aws:transfer:us-east-1:{ACCOUNT}:server/s-0123456789abcdef0"
    denied = refusal(cloud, arn, {"user": "ann"}, principal="transfer.amazonaws.com", source_arn=server)
    assert (denied.code, denied.status) == ("AccessDeniedException", 403)
    assert denied.message.startswith("transfer.amazonaws.com is not authorized to perform: lambda:InvokeFunction")
    client(cloud).add_permission(FunctionName="idp", StatementId="transfer", Action="lambda:InvokeFunction",
                                 Principal="transfer.amazonaws.com", SourceArn=server)
    allowed = invoke(cloud, arn, {"user": "ann"}, principal="transfer.amazonaws.com", source_arn=server)
    assert allowed.json()["HomeDirectory"] == "/home/ann"
    other_server = server.replace("0123456789abcdef0", "fedcba98765432100")
    assert refusal(cloud, arn, {"user": "ann"}, principal="transfer.amazonaws.com",
                   source_arn=other_server).code == "AccessDeniedException"


def test_a_caller_is_authorized_by_iam_and_the_function_policy(cloud):
    arn = create(cloud, "idp", ECHO)["FunctionArn"]
    from regionbox.core.context import Caller

    stranger = Caller.root(OTHER)
    denied = refusal(cloud, arn, {"user": "ann"}, caller=stranger)
    assert (denied.code, denied.status) == ("AccessDeniedException", 403)
    client(cloud).add_permission(FunctionName="idp", StatementId="other", Action="lambda:InvokeFunction",
                                 Principal=OTHER)
    assert invoke(cloud, arn, {"user": "ann"}, caller=stranger).status_code == 200
