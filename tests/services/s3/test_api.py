"""S3Api, what Transfer Family builds on: objects by (account, bucket, key) as streams, in-process,
with the wire's semantics (what one side writes the other reads; S3's errors)."""

from __future__ import annotations

import pytest

from regionbox.core.errors import ServiceError
from tests.services.s3.helpers import OTHER, OWNER, s3


async def _chunks(*parts: bytes):
    for part in parts:
        yield part


async def _read(stream) -> bytes:
    return b"".join([chunk async for chunk in stream])


def test_s3_api_streams_objects_in_process(cloud):
    client = s3(cloud)
    client.create_bucket(Bucket="transfer-home")
    api = cloud.cloud.services.api("s3")
    assert api.bucket("transfer-home").owner == OWNER and api.bucket("nope") is None
    info = cloud.run(api.put_object(OWNER, "transfer-home", "users/ann/report.csv", _chunks(b"a,b\n", b"1,2\n"),
                                    content_type="text/csv", metadata={"uploaded-by": "sftp"}))
    assert (info.size, info.content_type, info.metadata) == (8, "text/csv", {"uploaded-by": "sftp"})
    got = client.get_object(Bucket="transfer-home", Key="users/ann/report.csv")
    assert got["Body"].read() == b"a,b\n1,2\n" and got["Metadata"] == {"uploaded-by": "sftp"}
    client.put_object(Bucket="transfer-home", Key="users/ann/in/x.txt", Body=b"from the wire")

    async def read(key: str, first=None, last=None) -> bytes:
        _, body = await api.get_object(OWNER, "transfer-home", key, first=first, last=last)
        return await _read(body)

    assert cloud.run(read("users/ann/in/x.txt")) == b"from the wire"
    assert cloud.run(read("users/ann/in/x.txt", 5, 7)) == b"the"
    listed = api.list_objects(OWNER, "transfer-home", prefix="users/ann/", delimiter="/")
    assert [o.key for o in listed.objects] == ["users/ann/report.csv"] and listed.common_prefixes == ["users/ann/in/"]
    copied = cloud.run(api.copy_object(OWNER, "transfer-home", "users/ann/report.csv", "transfer-home", "archive/report.csv"))
    assert copied.etag == info.etag
    cloud.run(api.delete_object(OWNER, "transfer-home", "users/ann/report.csv"))
    with pytest.raises(ServiceError) as caught:
        api.head_object(OWNER, "transfer-home", "users/ann/report.csv")
    assert caught.value.code == "NoSuchKey"
    with pytest.raises(ServiceError) as caught:
        api.head_object(OTHER, "transfer-home", "archive/report.csv")  # another account: the bucket policy decides
    assert caught.value.code == "AccessDenied"
