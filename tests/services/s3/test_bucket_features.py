"""CORS answered on preflight by the bucket's rules, lifecycle expiration that really deletes,
event notifications on the cloud's bus, and browser POST uploads with a policy."""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request

import pytest

from tests.services.s3.helpers import error_of, module_cloud, s3


def preflight(cloud, path: str, origin: str, method: str = "PUT", headers: str = "content-type"):
    request = urllib.request.Request(cloud.endpoint + path, method="OPTIONS", headers={
        "Origin": origin, "Access-Control-Request-Method": method, "Access-Control-Request-Headers": headers})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers
    except urllib.error.HTTPError as error:
        return error.code, error.headers


def test_cors_preflight_answered_by_the_bucket_rules(cloud):
    client = s3(cloud)
    client.create_bucket(Bucket="webapp")
    assert preflight(cloud, "/webapp/upload.bin", "https://app.example")[0] == 403  # no CORS configuration
    assert error_of(lambda: client.get_bucket_cors(Bucket="webapp"))["Code"] == "NoSuchCORSConfiguration"
    client.put_bucket_cors(Bucket="webapp", CORSConfiguration={"CORSRules": [{
        "AllowedOrigins": ["https://app.example"], "AllowedMethods": ["GET", "PUT"], "AllowedHeaders": ["*"],
        "ExposeHeaders": ["ETag"], "MaxAgeSeconds": 300}]})
    status, headers = preflight(cloud, "/webapp/upload.bin", "https://app.example")
    assert status == 200
    assert (headers["Access-Control-Allow-Origin"], headers["Access-Control-Allow-Methods"], headers["Access-Control-Max-Age"]) == (
        "https://app.example", "GET, PUT", "300")
    assert headers["Access-Control-Allow-Headers"] == "content-type"
    assert preflight(cloud, "/webapp/upload.bin", "https://evil.example")[0] == 403
    assert preflight(cloud, "/webapp/upload.bin", "https://app.example", method="DELETE")[0] == 403
    # The actual cross-origin request carries the headers too.
    client.put_object(Bucket="webapp", Key="page.txt", Body=b"x")
    client.delete_public_access_block(Bucket="webapp")
    client.put_bucket_policy(Bucket="webapp", Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::webapp/*"}]}))
    request = urllib.request.Request(cloud.endpoint + "/webapp/page.txt", headers={"Origin": "https://app.example"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.headers["Access-Control-Allow-Origin"] == "https://app.example"
        assert response.headers["Access-Control-Expose-Headers"] == "ETag"
    # Other services still refuse that origin (the guard's rule for the rest of the cloud).
    sts = urllib.request.Request(cloud.endpoint + "/?Action=GetCallerIdentity&Version=2011-06-15",
                                 headers={"Origin": "https://app.example"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(sts, timeout=10)
    assert refused.value.code == 403
    client.delete_bucket_cors(Bucket="webapp")
    assert preflight(cloud, "/webapp/upload.bin", "https://app.example")[0] == 403


fast_lifecycle = module_cloud(s3_lifecycle_interval=0.2)


def test_lifecycle_expiration_really_deletes(fast_lifecycle):
    client = s3(fast_lifecycle)
    client.create_bucket(Bucket="expiring")
    client.put_object(Bucket="expiring", Key="tmp/a", Body=b"a")
    client.put_object(Bucket="expiring", Key="keep/b", Body=b"b")
    upload = client.create_multipart_upload(Bucket="expiring", Key="tmp/partial")["UploadId"]
    today = datetime.datetime.now(datetime.timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    error = error_of(lambda: client.put_bucket_lifecycle_configuration(Bucket="expiring", LifecycleConfiguration={"Rules": [
        {"ID": "noon", "Status": "Enabled", "Filter": {"Prefix": ""}, "Expiration": {"Date": today.replace(hour=12)}}]}))
    assert (error["Code"], error["Message"]) == ("InvalidArgument", "'Date' must be at midnight GMT")
    client.put_bucket_lifecycle_configuration(Bucket="expiring", LifecycleConfiguration={"Rules": [
        {"ID": "tmp", "Status": "Enabled", "Filter": {"Prefix": "tmp/"}, "Expiration": {"Date": today}},
        {"ID": "uploads", "Status": "Enabled", "Filter": {"Prefix": "tmp/"},
         "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1}}]})
    assert [r["ID"] for r in client.get_bucket_lifecycle_configuration(Bucket="expiring")["Rules"]] == ["tmp", "uploads"]
    deadline = time.time() + 10
    while time.time() < deadline and client.list_objects_v2(Bucket="expiring", Prefix="tmp/")["KeyCount"]:
        time.sleep(0.1)
    assert [o["Key"] for o in client.list_objects_v2(Bucket="expiring")["Contents"]] == ["keep/b"]
    assert [u["UploadId"] for u in client.list_multipart_uploads(Bucket="expiring").get("Uploads", [])] == [upload]
    client.delete_bucket_lifecycle(Bucket="expiring")
    assert error_of(lambda: client.get_bucket_lifecycle_configuration(Bucket="expiring"))["Code"] == "NoSuchLifecycleConfiguration"


def test_event_notifications_are_validated_and_published(cloud):
    client = s3(cloud)
    client.create_bucket(Bucket="events")
    arn = "arn:aws:lambda:us-east-1:111111111111:function:thumbnails"
    error = error_of(lambda: client.put_bucket_notification_configuration(Bucket="events", NotificationConfiguration={
        "LambdaFunctionConfigurations": [{"LambdaFunctionArn": arn, "Events": ["s3:ObjectExploded:*"]}]}))
    assert (error["Code"], error["Message"]) == ("InvalidArgument", "The event is not supported for notifications")
    error = error_of(lambda: client.put_bucket_notification_configuration(Bucket="events", NotificationConfiguration={
        "QueueConfigurations": [{"QueueArn": "not-an-arn", "Events": ["s3:ObjectCreated:*"]}]}))
    assert error["Code"] == "InvalidArgument"
    error = error_of(lambda: client.put_bucket_notification_configuration(Bucket="events", NotificationConfiguration={
        "LambdaFunctionConfigurations": [{"LambdaFunctionArn": arn, "Events": ["s3:ObjectCreated:*"]},
                                         {"LambdaFunctionArn": arn, "Events": ["s3:ObjectCreated:Put"]}]}))
    assert error["Message"].startswith("Configurations overlap")
    client.put_bucket_notification_configuration(Bucket="events", NotificationConfiguration={
        "LambdaFunctionConfigurations": [{"Id": "thumbs", "LambdaFunctionArn": arn, "Events": ["s3:ObjectCreated:*"],
                                          "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "images/"},
                                                                             {"Name": "suffix", "Value": ".jpg"}]}}}]})
    stored = client.get_bucket_notification_configuration(Bucket="events")["LambdaFunctionConfigurations"][0]
    assert stored["Id"] == "thumbs" and stored["Events"] == ["s3:ObjectCreated:*"]
    seen = []
    unsubscribe = cloud.cloud.bus.subscribe("s3.event", lambda topic, event: seen.append(event))
    try:
        client.put_object(Bucket="events", Key="images/cat.jpg", Body=b"meow")
        client.put_object(Bucket="events", Key="docs/readme.txt", Body=b"doc")
        client.delete_object(Bucket="events", Key="images/cat.jpg")
    finally:
        unsubscribe()
    created = seen[0]["Records"][0]
    assert (created["eventSource"], created["eventName"], created["s3"]["bucket"]["name"], created["s3"]["object"]["key"],
            created["s3"]["object"]["size"], created["s3"]["object"]["eTag"]) == (
        "aws:s3", "ObjectCreated:Put", "events", "images/cat.jpg", 4, hashlib.md5(b"meow").hexdigest())
    assert seen[0]["destinations"] == [{"type": "LambdaFunction", "arn": arn, "id": "thumbs"}]
    assert created["s3"]["configurationId"] == "thumbs"
    assert seen[1]["destinations"] == []  # not under images/: an event, but for no configured destination
    assert seen[2]["Records"][0]["eventName"] == "ObjectRemoved:Delete"


def _post_policy(conditions: list, expires_in: int = 300) -> str:
    expiration = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=expires_in)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return base64.b64encode(json.dumps({"expiration": expiration, "conditions": conditions}).encode()).decode()


def _multipart(fields: list[tuple[str, str]], file: bytes, boundary: str = "----regionboxform") -> bytes:
    body = b""
    for name, value in fields:
        body += f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
    body += f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="photo.jpg"\r\n' \
            f'Content-Type: image/jpeg\r\n\r\n'.encode() + file + f"\r\n--{boundary}--\r\n".encode()
    return body


def _send_form(cloud, bucket: str, body: bytes, boundary: str = "----regionboxform"):
    request = urllib.request.Request(f"{cloud.endpoint}/{bucket}", data=body, method="POST",
                                     headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def test_browser_post_upload_with_a_policy(cloud):
    client = s3(cloud)
    client.create_bucket(Bucket="uploads")
    post = client.generate_presigned_post("uploads", "user/${filename}", Fields={"Content-Type": "image/jpeg"},
                                          Conditions=[["starts-with", "$key", "user/"], {"Content-Type": "image/jpeg"},
                                                      ["content-length-range", 1, 1000]])
    photo = b"\xff\xd8 jpeg bytes"
    status, headers, _ = _send_form(cloud, "uploads", _multipart(list(post["fields"].items()), photo))
    assert status == 204 and headers["ETag"] == f'"{hashlib.md5(photo).hexdigest()}"'
    got = client.get_object(Bucket="uploads", Key="user/photo.jpg")
    assert got["Body"].read() == photo and got["ContentType"] == "image/jpeg"
    fields = dict(post["fields"]) | {"success_action_status": "201"}
    status, _, body = _send_form(cloud, "uploads", _multipart(list(fields.items()), photo))
    assert status == 201 and b"<Key>user/photo.jpg</Key>" in body
    too_big = _send_form(cloud, "uploads", _multipart(list(post["fields"].items()), b"x" * 2000))
    assert too_big[0] == 400 and b"EntityTooLarge" in too_big[2]
    other_key = dict(post["fields"]) | {"key": "admin/photo.jpg"}
    refused = _send_form(cloud, "uploads", _multipart(list(other_key.items()), photo))
    assert refused[0] == 403 and b"Policy Condition failed" in refused[2]
    expired = dict(post["fields"]) | {"policy": _post_policy([{"bucket": "uploads"}], expires_in=-10)}
    refused = _send_form(cloud, "uploads", _multipart(list(expired.items()), photo))
    assert refused[0] == 403 and b"Policy expired" in refused[2]


def test_browser_post_signature_is_verified_for_issued_keys(cloud):
    iam = cloud.client("iam", account="111111111111")
    iam.create_user(UserName="web")
    key = iam.create_access_key(UserName="web")["AccessKey"]
    client = cloud.client("s3", access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"])
    s3(cloud).create_bucket(Bucket="signed-posts")
    post = client.generate_presigned_post("signed-posts", "a.txt")
    refused = _send_form(cloud, "signed-posts", _multipart(list(post["fields"].items()), b"ok"))
    assert refused[0] == 403 and b"s3:PutObject" in refused[2]  # the user has no permission yet
    iam.put_user_policy(UserName="web", PolicyName="upload", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::signed-posts/*"}]}))
    assert _send_form(cloud, "signed-posts", _multipart(list(post["fields"].items()), b"ok"))[0] == 204
    forged = dict(post["fields"]) | {"x-amz-signature": hmac.new(b"wrong", b"x", hashlib.sha256).hexdigest()}
    refused = _send_form(cloud, "signed-posts", _multipart(list(forged.items()), b"no"))
    assert refused[0] == 403 and b"SignatureDoesNotMatch" in refused[2]
