"""How a service bends its protocol's common rules.

The protocol modules know no service by name: a service declares its dialect in its own package
(``Service.dialect``) and the gateway hands it to the parser and serializer. The defaults are what
most services built on AWS's Coral framework do.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Dialect:
    # The code of a request that breaks the model's constraints ("1 validation error detected: ...").
    # None: the protocol's usual one (ValidationException; ValidationError for query; InvalidInput
    # for rest-xml). Logs says InvalidParameterException.
    validation_code: str | None = None
    # Older query services (ElastiCache, RDS, CloudWatch) check only that required members are
    # present, with their own code and wording, and leave ranges and patterns to the service:
    # ("InvalidParameterValue", "The parameter {name} must be provided and must not be null.").
    required_members_only: tuple[str, str] | None = None
    # S3's conventions: errors as a bare <Error> document with HostId and x-amz-id-2; bad input
    # checked against S3's schema (MalformedXML, InvalidRequest) instead of the model's
    # constraints; request paths signed exactly as sent.
    s3_conventions: bool = False
    # Outputs whose document is one scalar member as the root element:
    # (("GetBucketLocation", "LocationConstraint"),).
    scalar_root_outputs: tuple[tuple[str, str], ...] = ()
    # The largest request body read whole (a document; streamed payloads are the handler's to
    # bound), enforced while it arrives and again after Content-Encoding is undone.
    max_request_bytes: int = 16 * 1024 * 1024
    # Virtual-hosted addressing: Host patterns whose first "*" is the first path label (S3's
    # "<bucket>.s3.localhost" is the path "/<bucket>/..."); a later "*" is one name part.
    virtual_hosts: tuple[str, ...] = ()
    # An output with this member set answers 206 Partial Content (S3's ContentRange of a ranged GET).
    partial_content_member: str | None = None

    def scalar_root_output(self, operation: str) -> str | None:
        return next((member for name, member in self.scalar_root_outputs if name == operation), None)


DEFAULT = Dialect()
