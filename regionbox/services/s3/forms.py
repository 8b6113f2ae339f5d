"""Browser form uploads (POST Object): a multipart/form-data POST to a bucket with the key, a
base64 policy document signed with SigV4, and the file last. The policy's expiration and every
condition are checked (each form field must be covered by one), the signature too for keys
regionbox issued (the others have no secret here, as everywhere), and the file streams to disk
through PutObject's own path. Answers 204 by default, 200/201 (with a PostResponse document) or
a 303 redirect, as success_action_status and success_action_redirect ask.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime
from typing import Any, AsyncIterator
from urllib.parse import quote, urlencode
from xml.etree import ElementTree

from regionbox.core import clock, ids
from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError
from regionbox.core.service import Access
from regionbox.protocol import serializer_for
from regionbox.protocol.form_data import FormReader, boundary_of
from regionbox.protocol.http import HttpRequest, HttpResponse
from regionbox.protocol.restxml import host_id
from regionbox.protocol.specs import service_model
from regionbox.protocol.xml import to_bytes
from regionbox.services.s3.objects import Objects
from regionbox.services.s3.state import S3State

# Fields a policy need not cover.
UNCHECKED = {"policy", "x-amz-signature", "file", "signature", "awsaccesskeyid", "x-amz-security-token"}


def denied(message: str) -> ServiceError:
    return ServiceError("AccessDenied", message, 403)


class FormUploads:
    def __init__(self, state: S3State, objects: Objects, cloud: Any, dialect: Any, policy_of: Any) -> None:
        self.policy_of = policy_of  # the bucket policy of an ARN, IAM's resource policy
        self.state = state
        self.objects = objects
        self.cloud = cloud
        self.dialect = dialect

    async def handle(self, request: HttpRequest) -> HttpResponse | None:
        content_type = request.headers.get("content-type", "")
        if request.method != "POST" or not content_type.lower().startswith("multipart/form-data"):
            return None  # an AWS request after all (virtual-hosted addressing)
        request_id = ids.request_id()
        from regionbox.protocol import parser_for

        path = parser_for(service_model("s3"), dialect=self.dialect).routed_path(request)
        bucket_name = path.split("/", 2)[1]
        try:
            return await self._upload(request, bucket_name, boundary_of(content_type), request_id)
        except ServiceError as error:
            return serializer_for(service_model("s3"), dialect=self.dialect).serialize_error(None, error, request_id)

    async def _upload(self, request: HttpRequest, bucket_name: str, boundary: str, request_id: str) -> HttpResponse:
        fields: dict[str, str] = {}
        async for part in FormReader(request.stream, boundary):
            name = part.name.lower()
            if name != "file":
                fields[name] = await part.text()
                continue
            ctx, conditions = self._authorize(fields, bucket_name, request, request_id)
            key = fields.get("key")
            if not key:
                raise ServiceError("InvalidArgument", "Bucket POST must contain a field named 'key'.  If it is specified, "
                                   "please check the order of the fields.", 400, ArgumentName="key", ArgumentValue="")
            key = key.replace("${filename}", part.filename or "")
            params: dict[str, Any] = {"Bucket": bucket_name, "Key": key,
                                      "Body": _bounded(part.content(), *conditions.get("content-length-range", (0, None)))}
            for member, field in (("ContentType", "content-type"), ("CacheControl", "cache-control"),
                                  ("ContentDisposition", "content-disposition"), ("ContentEncoding", "content-encoding"),
                                  ("ACL", "acl"), ("Tagging", "tagging"), ("StorageClass", "x-amz-storage-class")):
                if fields.get(field):
                    params[member] = fields[field]
            metadata = {name[len("x-amz-meta-"):]: value for name, value in fields.items() if name.startswith("x-amz-meta-")}
            if metadata:
                params["Metadata"] = metadata
            output = await self.objects.put_object(ctx, params, how="Post")
            return self._answer(fields, bucket_name, key, output, request_id)
        raise ServiceError("InvalidArgument", "POST requires exactly one file upload per request.", 400,
                           ArgumentName="file", ArgumentValue="0")

    def _authorize(self, fields: dict[str, str], bucket: str, request: HttpRequest,
                   request_id: str) -> tuple[RequestContext, dict]:
        credential = fields.get("x-amz-credential", "")
        # SigV4 names the key in x-amz-credential; SigV2 forms (boto3's default) in AWSAccessKeyId.
        key_id = credential.split("/", 1)[0] if credential else fields.get("awsaccesskeyid", "")
        caller = self.cloud.credentials.resolve(key_id or None)
        if not key_id:
            caller.access_key_id = ""  # anonymous: only a bucket open to everyone takes it
        parts = credential.split("/")
        region = parts[2] if len(parts) >= 5 else self.cloud.config.default_region
        ctx = RequestContext(caller=caller, region=region, request_id=request_id, service="s3", operation="PutObject",
                             user_agent=request.headers.get("user-agent", ""))
        conditions: dict = {}
        if key_id:
            policy_text = fields.get("policy")
            if not policy_text:
                raise ServiceError("InvalidArgument", "Bucket POST must contain a field named 'policy'.", 400,
                                   ArgumentName="policy", ArgumentValue="")
            issued = self.cloud.credentials.issued(key_id)
            if issued is not None:
                self._check_signature(issued.secret_access_key, parts, policy_text,
                                      fields.get("x-amz-signature") or fields.get("signature", ""))
            conditions = self._check_policy(policy_text, fields, bucket)
            self._check_iam(ctx, issued, bucket, fields.get("key", ""))
        return ctx, conditions

    def _check_iam(self, ctx: RequestContext, issued: Any, bucket: str, key: str) -> None:
        """A form comes past the gateway's authorization (it is a data-plane request): IAM is asked here."""
        if not self.cloud.config.iam_enforcement or ctx.caller.type == "Root":
            return
        arn = f"arn:{ctx.partition}:s3:::{bucket}/{key}"
        denial = self.cloud.services.api("iam").authorize(ctx, issued, "s3:PutObject", [Access(arn)], self.policy_of)
        if denial is not None:
            raise denied(f"User: {ctx.caller.arn} is not authorized to perform: {denial.action} on resource: "
                         f"{denial.resource} {denial.reason}")

    @staticmethod
    def _check_signature(secret: str, scope: list[str], policy_text: str, signature: str) -> None:
        # The signature is of the base64 policy itself: SigV4 with the scope's signing key, SigV2
        # (no scope) base64 HMAC-SHA1 with the secret.
        if len(scope) < 5:
            expected = base64.b64encode(hmac.new(secret.encode(), policy_text.encode(), hashlib.sha1).digest()).decode()
        else:
            key = ("AWS4" + secret).encode()
            for part in (*scope[1:4], "aws4_request"):
                key = hmac.new(key, part.encode(), hashlib.sha256).digest()
            expected = hmac.new(key, policy_text.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, signature):
            raise ServiceError("SignatureDoesNotMatch", "The request signature we calculated does not match the signature "
                               "you provided. Check your key and signing method.", 403)

    @staticmethod
    def _check_policy(policy_text: str, fields: dict[str, str], bucket: str) -> dict:
        try:
            policy = json.loads(base64.b64decode(policy_text))
            expiration = datetime.strptime(policy["expiration"].replace("Z", "+0000").split(".")[0].replace("+0000", "") + "+0000",
                                           "%Y-%m-%dT%H:%M:%S%z")
        except (ValueError, KeyError, TypeError):
            raise ServiceError("InvalidPolicyDocument", "Invalid Policy: Invalid JSON.", 400) from None
        if expiration.timestamp() < clock.epoch():
            raise denied("Invalid according to Policy: Policy expired.")
        values = {**fields, "bucket": bucket}
        covered, found = {"bucket"}, {}
        for condition in policy.get("conditions") or []:
            if isinstance(condition, dict):
                for name, wanted in condition.items():
                    name = name.lower().lstrip("$")
                    covered.add(name)
                    if values.get(name) != wanted:
                        raise denied(f"Invalid according to Policy: Policy Condition failed: [\"eq\", \"${name}\", \"{wanted}\"]")
            elif isinstance(condition, list) and len(condition) == 3:
                operator, name, wanted = condition
                if operator == "content-length-range":
                    found["content-length-range"] = (int(name), int(wanted))
                    continue
                name = str(name).lower().lstrip("$")
                covered.add(name)
                value = values.get(name, "")
                if (operator == "eq" and value != wanted) or (operator == "starts-with" and not value.startswith(wanted)):
                    raise denied(f"Invalid according to Policy: Policy Condition failed: [\"{operator}\", \"${name}\", \"{wanted}\"]")
        extra = sorted(name for name in fields if name not in covered and name not in UNCHECKED
                       and not name.startswith("x-ignore-") and name not in ("success_action_status",))
        if extra:
            raise denied(f"Invalid according to Policy: Extra input fields: {extra[0]}")
        return found

    @staticmethod
    def _answer(fields: dict[str, str], bucket: str, key: str, output: dict, request_id: str) -> HttpResponse:
        location = f"http://{bucket}.s3.localhost/{quote(key)}"
        headers = [("x-amz-request-id", request_id), ("x-amz-id-2", host_id(request_id)), ("ETag", output["ETag"]),
                   ("Location", location)]
        redirect = fields.get("success_action_redirect") or fields.get("redirect")
        if redirect:
            target = redirect + ("&" if "?" in redirect else "?") + urlencode({"bucket": bucket, "key": key, "etag": output["ETag"]})
            return HttpResponse(303, [*headers[:3], ("Location", target), ("Content-Length", "0")])
        status = fields.get("success_action_status")
        if status == "201":
            root = ElementTree.Element("PostResponse")
            for name, value in (("Location", location), ("Bucket", bucket), ("Key", key), ("ETag", output["ETag"])):
                ElementTree.SubElement(root, name).text = value
            body = to_bytes(root)
            return HttpResponse(201, [*headers, ("Content-Type", "application/xml"), ("Content-Length", str(len(body)))], body)
        return HttpResponse(200 if status == "200" else 204, [*headers, ("Content-Length", "0")])


async def _bounded(content: AsyncIterator[bytes], smallest: int, largest: int | None) -> AsyncIterator[bytes]:
    """The file, refused as soon as it passes the policy's content-length-range (and at the end if short of it)."""
    size = 0
    async for chunk in content:
        size += len(chunk)
        if largest is not None and size > largest:
            raise ServiceError("EntityTooLarge", "Your proposed upload exceeds the maximum allowed size", 400,
                               ProposedSize=str(size), MaxSizeAllowed=str(largest))
        yield chunk
    if size < smallest:
        raise ServiceError("EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size", 400,
                           ProposedSize=str(size), MinSizeAllowed=str(smallest))
