"""ListObjects v1 and v2 and ListObjectVersions: prefixes, delimiters, markers, continuation,
encoding-type=url; versions and delete markers with versioning on and suspended."""

from __future__ import annotations

from tests.services.s3.helpers import error_of, s3

KEYS = ["a/1.txt", "a/2.txt", "a/b/3.txt", "b/4.txt", "c.txt", "d e+f.txt"]


def filled(cloud):
    client = s3(cloud)
    client.create_bucket(Bucket="listing")
    for key in KEYS:
        client.put_object(Bucket="listing", Key=key, Body=key.encode())
    return client


def test_list_v2_prefix_delimiter_and_pages(cloud):
    client = filled(cloud)
    top = client.list_objects_v2(Bucket="listing", Delimiter="/")
    assert [p["Prefix"] for p in top["CommonPrefixes"]] == ["a/", "b/"]
    assert [o["Key"] for o in top["Contents"]] == ["c.txt", "d e+f.txt"] and top["KeyCount"] == 4
    inside = client.list_objects_v2(Bucket="listing", Prefix="a/", Delimiter="/")
    assert [o["Key"] for o in inside["Contents"]] == ["a/1.txt", "a/2.txt"]
    assert [p["Prefix"] for p in inside["CommonPrefixes"]] == ["a/b/"]
    assert [o["Key"] for o in client.list_objects_v2(Bucket="listing", StartAfter="a/b/3.txt")["Contents"]] == KEYS[3:]
    keys, token, pages = [], None, 0
    while True:
        page = client.list_objects_v2(Bucket="listing", MaxKeys=2, **({"ContinuationToken": token} if token else {}))
        keys += [o["Key"] for o in page["Contents"]]
        pages += 1
        if not page["IsTruncated"]:
            break
        token = page["NextContinuationToken"]
    assert keys == KEYS and pages == 3
    # A page may end on a common prefix; the next one goes on after it.
    first = client.list_objects_v2(Bucket="listing", Delimiter="/", MaxKeys=1)
    second = client.list_objects_v2(Bucket="listing", Delimiter="/", MaxKeys=1, ContinuationToken=first["NextContinuationToken"])
    assert [p["Prefix"] for p in first["CommonPrefixes"] + second["CommonPrefixes"]] == ["a/", "b/"]
    paginated = client.get_paginator("list_objects_v2").paginate(Bucket="listing", PaginationConfig={"PageSize": 4})
    assert [o["Key"] for page in paginated for o in page.get("Contents", [])] == KEYS


def test_list_v1_markers_and_url_encoding(cloud):
    client = filled(cloud)
    page = client.list_objects(Bucket="listing", Delimiter="/", MaxKeys=3)
    assert page["IsTruncated"] and page["NextMarker"] == "c.txt"
    rest = client.list_objects(Bucket="listing", Delimiter="/", Marker=page["NextMarker"])
    assert [o["Key"] for o in rest["Contents"]] == ["d e+f.txt"]
    assert [o["Key"] for o in client.list_objects(Bucket="listing", Prefix="a/")["Contents"]] == KEYS[:3]
    # boto3 asks for encoding-type=url itself and decodes; the wire carries the encoded key.
    raw = client.list_objects_v2(Bucket="listing", Prefix="d")
    assert raw["Contents"][0]["Key"] == "d e+f.txt"
    captured = []
    client.meta.events.register("after-call.s3.ListObjectsV2", lambda http_response, **_: captured.append(http_response.content))
    client.list_objects_v2(Bucket="listing", Prefix="d", EncodingType="url")
    assert b"<Key>d%20e%2Bf.txt</Key>" in captured[0]
    assert error_of(lambda: client.list_objects_v2(Bucket="listing", EncodingType="base64"))["Code"] == "InvalidArgument"


def test_versions_and_delete_markers(cloud):
    client = s3(cloud)
    client.create_bucket(Bucket="versioned")
    client.put_object(Bucket="versioned", Key="k", Body=b"unversioned")
    client.put_bucket_versioning(Bucket="versioned", VersioningConfiguration={"Status": "Enabled"})
    v1 = client.put_object(Bucket="versioned", Key="k", Body=b"one")["VersionId"]
    v2 = client.put_object(Bucket="versioned", Key="k", Body=b"two")["VersionId"]
    marker = client.delete_object(Bucket="versioned", Key="k")
    assert marker["DeleteMarker"] is True
    assert error_of(lambda: client.get_object(Bucket="versioned", Key="k"))["Code"] == "NoSuchKey"
    assert client.get_object(Bucket="versioned", Key="k", VersionId=v1)["Body"].read() == b"one"
    assert client.get_object(Bucket="versioned", Key="k", VersionId="null")["Body"].read() == b"unversioned"
    listed = client.list_object_versions(Bucket="versioned")
    assert [v["VersionId"] for v in listed["Versions"]] == [v2, v1, "null"]
    assert [(m["VersionId"], m["IsLatest"]) for m in listed["DeleteMarkers"]] == [(marker["VersionId"], True)]
    assert client.list_objects_v2(Bucket="versioned")["KeyCount"] == 0
    error = error_of(lambda: client.get_object(Bucket="versioned", Key="k", VersionId=marker["VersionId"]))
    assert (error["Code"], error["Status"]) == ("MethodNotAllowed", 405)
    client.delete_object(Bucket="versioned", Key="k", VersionId=marker["VersionId"])
    assert client.get_object(Bucket="versioned", Key="k")["Body"].read() == b"two"
    page = client.list_object_versions(Bucket="versioned", MaxKeys=1)
    rest = client.list_object_versions(Bucket="versioned", KeyMarker=page["NextKeyMarker"],
                                       VersionIdMarker=page["NextVersionIdMarker"])
    assert [v["VersionId"] for v in page["Versions"] + rest["Versions"]] == [v2, v1, "null"]
    client.put_bucket_versioning(Bucket="versioned", VersioningConfiguration={"Status": "Suspended"})
    client.put_object(Bucket="versioned", Key="k", Body=b"null again")
    versions = client.list_object_versions(Bucket="versioned", Prefix="k")["Versions"]
    assert [v["VersionId"] for v in versions] == ["null", v2, v1]  # the old "null" was replaced
    assert error_of(lambda: client.get_object(Bucket="versioned", Key="k", VersionId="nonexistentversion"))["Code"] == "NoSuchVersion"


def test_list_versions_with_delimiter(cloud):
    client = filled(cloud)
    listed = client.list_object_versions(Bucket="listing", Delimiter="/", Prefix="a/")
    assert [v["Key"] for v in listed["Versions"]] == ["a/1.txt", "a/2.txt"]
    assert [p["Prefix"] for p in listed["CommonPrefixes"]] == ["a/b/"]
