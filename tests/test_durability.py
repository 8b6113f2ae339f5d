"""Nothing acknowledged is lost: kill -9 the server during a stream of writes, restart, check."""

import threading
import time

import botocore.exceptions
import botocore.parsers

from regionbox.testing import CloudProcess

TRUST = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111111111111"},"Action":"sts:AssumeRole"}]}'


def test_acknowledged_writes_survive_kill_9(tmp_path):
    process = CloudProcess(tmp_path / "state").start()
    try:
        iam = process.client("iam", account="111111111111")
        acknowledged: list[str] = []
        stop = threading.Event()

        def writer() -> None:
            i = 0
            while not stop.is_set():
                name = f"role-{i}"
                try:
                    iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST)
                except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError, botocore.parsers.ResponseParserError):
                    return  # the server died mid-call (a cut answer does not parse): this one was never acknowledged
                acknowledged.append(name)
                i += 1

        thread = threading.Thread(target=writer)
        thread.start()
        while len(acknowledged) < 150:
            time.sleep(0.01)
        process.kill9()
        stop.set()
        thread.join(30)

        process.start()
        iam = process.client("iam", account="111111111111")
        stored = {role["RoleName"] for page in iam.get_paginator("list_roles").paginate() for role in page["Roles"]}
        missing = [name for name in acknowledged if name not in stored]
        assert not missing, f"{len(missing)} acknowledged writes lost, e.g. {missing[:5]}"
        assert len(acknowledged) >= 150
    finally:
        process.cleanup()


def test_state_and_ids_survive_clean_restart(tmp_path):
    process = CloudProcess(tmp_path / "state").start()
    try:
        role = process.client("iam").create_role(RoleName="keeper", AssumeRolePolicyDocument=TRUST)["Role"]
        process.stop()
        process.start()
        again = process.client("iam").get_role(RoleName="keeper")["Role"]
        assert (again["RoleId"], again["Arn"]) == (role["RoleId"], role["Arn"])
    finally:
        process.cleanup()
