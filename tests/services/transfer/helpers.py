"""What Transfer Family tests share: a role for users, key pairs from ssh-keygen, servers brought
ONLINE through boto3's waiter, where their endpoints listen, OpenSSH's sftp in batch mode, and
identity providers that are real Lambda functions."""

from __future__ import annotations

import ftplib
import json
import subprocess
import time
from pathlib import Path

from botocore.exceptions import ClientError

ACCOUNT = "111111111111"
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "transfer.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
ALL_S3 = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}


def clients(cloud, account: str = ACCOUNT):
    return cloud.client("transfer", account=account), cloud.client("s3", account=account), cloud.client("iam", account=account)


def role(cloud, name: str = "sftp-user", policy: dict | None = None, account: str = ACCOUNT) -> str:
    iam = cloud.client("iam", account=account)
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    iam.put_role_policy(RoleName=name, PolicyName="s3", PolicyDocument=json.dumps(policy or ALL_S3))
    return arn


def key_pair(directory: Path, name: str = "key", kind: str = "ed25519") -> tuple[Path, str]:
    path = directory / name
    subprocess.run(["ssh-keygen", "-q", "-t", kind, "-N", "", "-C", name, "-f", str(path)], check=True)
    return path, (directory / f"{name}.pub").read_text()


def online(transfer, server_id: str) -> dict:
    transfer.get_waiter("server_online").wait(ServerId=server_id, WaiterConfig={"Delay": 0.2, "MaxAttempts": 150})
    return transfer.describe_server(ServerId=server_id)["Server"]


def offline(transfer, server_id: str) -> None:
    transfer.get_waiter("server_offline").wait(ServerId=server_id, WaiterConfig={"Delay": 0.2, "MaxAttempts": 150})


def endpoints(cloud, server_id: str, account: str = ACCOUNT):
    """Where the server listens, as `regionbox status` reports it (AWS hands out a DNS name)."""
    return cloud.cloud.services.api("transfer").endpoints(account, "us-east-1", server_id)


def sftp_server(cloud, **params) -> str:
    transfer = cloud.client("transfer", account=params.pop("account", ACCOUNT))
    server_id = transfer.create_server(**{"Protocols": ["SFTP"], "IdentityProviderType": "SERVICE_MANAGED", **params})["ServerId"]
    online(transfer, server_id)
    return server_id


def sftp(key: Path, user: str, address: str, port: int, commands: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """OpenSSH's sftp in batch mode: each command's failure ends the batch (unless it starts with "-")."""
    return subprocess.run(["sftp", "-b", "-", "-i", str(key), "-P", str(port), "-o", "StrictHostKeyChecking=no",
                           "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", "-o", "BatchMode=yes",
                           f"{user}@{address}"], input=commands, capture_output=True, text=True, timeout=timeout)


def log_events(cloud, group: str, account: str = ACCOUNT, wait_for: str | None = None, timeout: float = 10) -> list[dict]:
    """Every JSON event of a log group, oldest first (waiting until one of activity ``wait_for`` is there)."""
    logs = cloud.client("logs", account=account)
    deadline = time.time() + timeout
    while True:
        try:
            events = [json.loads(e["message"]) for e in logs.filter_log_events(logGroupName=group)["events"]]
        except ClientError:
            events = []
        if wait_for is None or any(e.get("activity-type") == wait_for or e.get("type") == wait_for for e in events):
            return events
        if time.time() > deadline:
            return events
        time.sleep(0.1)


IDENTITY = """import json, os
def handler(event, context):
    with open(os.environ["OUT"], "a") as out:
        out.write(json.dumps(event) + "\\n")
    answer = json.loads(os.environ["ANSWERS"]).get(event["username"])
    return answer if answer is not None and event.get("password") == os.environ["PASSWORD"] else {}
"""


def identity_function(cloud, name: str, answers: dict, password: str, out: Path) -> str:
    """A custom identity provider: a real Lambda function answering AWS's contract (``answers`` by
    user name, for the right password), every event it gets kept in ``out``, and the policy that
    lets Transfer invoke it (as AWS requires). Returns its ARN."""
    from tests.services.lambda_.helpers import create

    arn = create(cloud, name, IDENTITY, account=ACCOUNT, Environment={"Variables": {
        "ANSWERS": json.dumps(answers), "PASSWORD": password, "OUT": str(out)}})["FunctionArn"]
    cloud.client("lambda", account=ACCOUNT).add_permission(
        FunctionName=name, StatementId="transfer", Action="lambda:InvokeFunction", Principal="transfer.amazonaws.com",
        SourceArn=f"arn:aws:transfer:us-east-1:{ACCOUNT}:server/*")
    return arn


def calls(out: Path) -> list[dict]:
    """The events a function recorded, oldest first."""
    return [json.loads(line) for line in out.read_text().splitlines()] if out.exists() else []


class ResumingFTP_TLS(ftplib.FTP_TLS):
    """FTP_TLS whose data connections resume the control connection's TLS session, as servers with
    TlsSessionResumptionMode ENFORCED (AWS's default) require."""

    def ntransfercmd(self, cmd, rest=None):
        conn, size = ftplib.FTP.ntransfercmd(self, cmd, rest)
        if self._prot_p:
            conn = self.context.wrap_socket(conn, server_hostname=self.host, session=self.sock.session)
        return conn, size
