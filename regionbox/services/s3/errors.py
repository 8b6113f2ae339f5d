"""S3's errors, with the extra fields S3 puts in its <Error> documents (BucketName, Key, Condition ...).
Messages are S3's own, word for word."""

from __future__ import annotations

from regionbox.core.errors import ServiceError


def no_such_bucket(name: str) -> ServiceError:
    return ServiceError("NoSuchBucket", "The specified bucket does not exist", 404, BucketName=name)


def no_such_key(key: str) -> ServiceError:
    return ServiceError("NoSuchKey", "The specified key does not exist.", 404, Key=key)


def no_such_version(key: str, version_id: str) -> ServiceError:
    return ServiceError("NoSuchVersion", "The specified version does not exist.", 404, Key=key, VersionId=version_id)


def no_such_upload(upload_id: str) -> ServiceError:
    return ServiceError("NoSuchUpload", "The specified upload does not exist. The upload ID may be invalid, or the "
                        "upload may have been aborted or completed.", 404, UploadId=upload_id)


def access_denied() -> ServiceError:
    return ServiceError("AccessDenied", "Access Denied", 403)


def precondition_failed(condition: str) -> ServiceError:
    return ServiceError("PreconditionFailed", "At least one of the pre-conditions you specified did not hold", 412,
                        Condition=condition)


def not_modified(etag: str, last_modified: str) -> ServiceError:
    return ServiceError("NotModified", "Not Modified", 304, ETag=etag, **{"Last-Modified": last_modified})


def invalid_argument(message: str, name: str | None = None, value: str | None = None) -> ServiceError:
    fields = {"ArgumentName": name, "ArgumentValue": value} if name is not None else {}
    return ServiceError("InvalidArgument", message, 400, **fields)


def invalid_request(message: str) -> ServiceError:
    return ServiceError("InvalidRequest", message, 400)


def malformed_xml() -> ServiceError:
    return ServiceError("MalformedXML", "The XML you provided was not well-formed or did not validate against our "
                        "published schema", 400)


def method_not_allowed(method: str, resource_type: str) -> ServiceError:
    return ServiceError("MethodNotAllowed", "The specified method is not allowed against this resource.", 405,
                        Method=method, ResourceType=resource_type)


def bad_digest(algorithm: str) -> ServiceError:
    if algorithm == "MD5":
        return ServiceError("BadDigest", "The Content-MD5 you specified did not match what we received.", 400)
    return ServiceError("BadDigest", f"The {algorithm} you specified did not match the calculated checksum.", 400)


def no_configuration(code: str, message: str, bucket: str) -> ServiceError:
    return ServiceError(code, message, 404, BucketName=bucket)
