"""IAM and STS through the AWS CLI (v1, a real subprocess): groups and their members, passwords
under the account's password policy, virtual MFA devices written out by the CLI, the credential
report, OIDC providers and web identity federation, federation tokens, paging with the CLI's own
pagination, and AWS's codes in its error lines."""

from __future__ import annotations

import base64
import csv
import io
import json
import time

from tests.services.test_cli_aws import aws

ACCOUNT = "456789012345"  # an account of its own: these tests list what it holds


def run(cloud, service: str, *args: str, account: str = ACCOUNT) -> dict:
    output = aws(cloud, service, *args, account=account).stdout
    return json.loads(output) if output.strip() else {}


def failure(cloud, service: str, *args: str) -> str:
    result = aws(cloud, service, *args, account=ACCOUNT, check=False)
    assert result.returncode != 0
    return result.stderr


def test_groups_passwords_and_policies_through_the_cli(cloud):
    for name in ("dev-a", "dev-b", "dev-c"):
        run(cloud, "iam", "create-group", "--group-name", name, "--path", "/teams/")
    run(cloud, "iam", "create-user", "--user-name", "alice")
    run(cloud, "iam", "add-user-to-group", "--group-name", "dev-b", "--user-name", "alice")
    # the CLI pages by itself with --page-size: every group arrives
    listed = run(cloud, "iam", "list-groups", "--path-prefix", "/teams/", "--page-size", "1")
    assert [g["GroupName"] for g in listed["Groups"]] == ["dev-a", "dev-b", "dev-c"]
    assert [g["GroupName"] for g in run(cloud, "iam", "list-groups-for-user", "--user-name", "alice")["Groups"]] == ["dev-b"]
    assert [u["UserName"] for u in run(cloud, "iam", "get-group", "--group-name", "dev-b")["Users"]] == ["alice"]
    assert "(EntityAlreadyExists)" in failure(cloud, "iam", "create-group", "--group-name", "dev-a")
    assert "(DeleteConflict)" in failure(cloud, "iam", "delete-group", "--group-name", "dev-b")
    run(cloud, "iam", "update-account-password-policy", "--minimum-password-length", "12", "--require-numbers")
    assert run(cloud, "iam", "get-account-password-policy")["PasswordPolicy"]["MinimumPasswordLength"] == 12
    refused = failure(cloud, "iam", "create-login-profile", "--user-name", "alice", "--password", "short1")
    assert "(PasswordPolicyViolation)" in refused
    profile = run(cloud, "iam", "create-login-profile", "--user-name", "alice", "--password", "long-enough-pass-1",
                  "--password-reset-required")["LoginProfile"]
    assert (profile["UserName"], profile["PasswordResetRequired"]) == ("alice", True)


def test_virtual_mfa_device_written_by_the_cli(cloud, tmp_path):
    png = tmp_path / "qr.png"
    device = run(cloud, "iam", "create-virtual-mfa-device", "--virtual-mfa-device-name", "alice-phone",
                 "--outfile", str(png), "--bootstrap-method", "QRCodePNG")["VirtualMFADevice"]
    assert device["SerialNumber"] == f"arn:aws:iam::{ACCOUNT}:mfa/alice-phone"
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    seed = tmp_path / "seed.txt"
    run(cloud, "iam", "create-virtual-mfa-device", "--virtual-mfa-device-name", "spare", "--outfile", str(seed),
        "--bootstrap-method", "Base32StringSeed")
    base64.b32decode(seed.read_text().strip())  # a real Base32 seed
    listed = run(cloud, "iam", "list-virtual-mfa-devices", "--assignment-status", "Unassigned")["VirtualMFADevices"]
    assert {d["SerialNumber"].rsplit("/", 1)[1] for d in listed} == {"alice-phone", "spare"}


def test_credential_report_through_the_cli(cloud):
    run(cloud, "iam", "create-user", "--user-name", "reported")
    deadline = time.monotonic() + 60
    while run(cloud, "iam", "generate-credential-report")["State"] != "COMPLETE":
        assert time.monotonic() < deadline
    report = run(cloud, "iam", "get-credential-report")
    assert report["ReportFormat"] == "text/csv"
    rows = list(csv.DictReader(io.StringIO(base64.b64decode(report["Content"]).decode())))
    assert rows[0]["user"] == "<root_account>" and "reported" in [r["user"] for r in rows]


def test_web_identity_and_federation_tokens_through_the_cli(cloud):
    provider = run(cloud, "iam", "create-open-id-connect-provider", "--url", "https://ci.example.com",
                   "--client-id-list", "sts.amazonaws.com")["OpenIDConnectProviderArn"]
    trust = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Federated": provider},
                                                                "Action": "sts:AssumeRoleWithWebIdentity"}]})
    role = run(cloud, "iam", "create-role", "--role-name", "ci-deploy", "--assume-role-policy-document", trust)["Role"]
    b64 = lambda data: base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")  # noqa: E731
    now = int(time.time())
    token = ".".join([b64({"alg": "RS256", "kid": "k"}), b64({"iss": "https://ci.example.com", "sub": "repo:acme/app",
                                                               "aud": "sts.amazonaws.com", "iat": now, "exp": now + 600}), "c2ln"])
    # what a CI job runs: no credentials of the account, the token is the credential
    assumed = run(cloud, "sts", "assume-role-with-web-identity", "--role-arn", role["Arn"], "--role-session-name", "build-1",
                  "--web-identity-token", token, "--no-sign-request")
    assert assumed["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/ci-deploy/build-1"
    assert assumed["SubjectFromWebIdentityToken"] == "repo:acme/app"
    denied = aws(cloud, "sts", "assume-role-with-web-identity", "--role-arn", "arn:aws:iam::1:role/x", "--role-session-name", "b2",
                 "--web-identity-token", token, "--no-sign-request", check=False)
    assert "(ValidationError)" in denied.stderr and "Request ARN is invalid" in denied.stderr
    # federation tokens, from the account's own credentials
    token = run(cloud, "sts", "get-federation-token", "--name", "jane", "--duration-seconds", "900")
    assert token["FederatedUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT}:federated-user/jane"
    assert "(MalformedPolicyDocument)" in failure(cloud, "sts", "get-federation-token", "--name", "jane", "--policy", "{nope")
