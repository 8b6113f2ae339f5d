"""Accesses of directory groups on a server with AWS_DIRECTORY_SERVICE: kept and checked as users
are, while logins stay refused because regionbox serves no directory to find members in."""

from __future__ import annotations

import json


from tests.services.iam_support import error_of
from tests.services.transfer.helpers import clients, role

GROUP = "S-1-5-21-1004336348-1177238915-682003330-512"


def test_accesses_of_directory_groups(cloud):
    transfer, _, _ = clients(cloud)
    server_id = transfer.create_server(Protocols=["SFTP"], IdentityProviderType="AWS_DIRECTORY_SERVICE",
                                       IdentityProviderDetails={"DirectoryId": "d-1234567890"})["ServerId"]
    managed = transfer.create_server(Protocols=["SFTP"])["ServerId"]
    arn = role(cloud, "directory-users")

    created = transfer.create_access(ServerId=server_id, ExternalId=GROUP, Role=arn, HomeDirectoryType="LOGICAL",
                                     HomeDirectoryMappings=[{"Entry": "/", "Target": "/shared/${transfer:UserName}"}],
                                     PosixProfile={"Uid": 1000, "Gid": 1000})
    assert created == {"ServerId": server_id, "ExternalId": GROUP, "ResponseMetadata": created["ResponseMetadata"]}
    assert error_of(lambda: transfer.create_access(ServerId=server_id, ExternalId=GROUP, Role=arn))[0] == "ResourceExistsException"
    assert "AWS_DIRECTORY_SERVICE" in error_of(lambda: transfer.create_access(ServerId=managed, ExternalId=GROUP, Role=arn))[1]
    assert "LOGICAL" in error_of(lambda: transfer.create_access(ServerId=server_id, ExternalId="S-1-5-32-544", Role=arn,
                                                             HomeDirectoryType="LOGICAL"))[1]
    assert "session policy" in error_of(lambda: transfer.create_access(ServerId=server_id, ExternalId="S-1-5-32-544", Role=arn,
                                                                    Policy="{not json"))[1]

    access = transfer.describe_access(ServerId=server_id, ExternalId=GROUP)["Access"]
    assert access["HomeDirectoryType"] == "LOGICAL" and access["PosixProfile"]["Uid"] == 1000
    policy = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject",
                                                                 "Resource": "arn:aws:s3:::shared/*"}]})
    transfer.update_access(ServerId=server_id, ExternalId=GROUP, HomeDirectoryType="PATH", HomeDirectory="/shared/team",
                           Policy=policy)
    access = transfer.describe_access(ServerId=server_id, ExternalId=GROUP)["Access"]
    assert access["HomeDirectory"] == "/shared/team" and "HomeDirectoryMappings" not in access and access["Policy"] == policy
    assert transfer.list_accesses(ServerId=server_id)["Accesses"] == [
        {"ExternalId": GROUP, "Role": arn, "HomeDirectoryType": "PATH", "HomeDirectory": "/shared/team"}]

    # No directory to look the group's members up in: a login is refused, and says why.
    answer = transfer.test_identity_provider(ServerId=server_id, UserName="ann", UserPassword="x")
    assert answer["StatusCode"] == 500 and "Directory Service" in answer["Message"]

    transfer.delete_access(ServerId=server_id, ExternalId=GROUP)
    assert error_of(lambda: transfer.describe_access(ServerId=server_id, ExternalId=GROUP))[0] == "ResourceNotFoundException"
