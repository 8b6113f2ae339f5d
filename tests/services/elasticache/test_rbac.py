"""AUTH tokens and RBAC users, enforced by the engine: NOAUTH, WRONGPASS, NOPERM, over TLS
with the cloud's local CA."""

from __future__ import annotations

import socket
import ssl

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from tests.services.elasticache.redis_helpers import admin, create_group, describe, error_of, eventually, wait_available

# A refused AUTH is final; redis-py would otherwise retry the connection with backoff.
NO_RETRY = Retry(NoBackoff(), 0)
TOKEN = "first-token-0123456789"
SECOND = "second-token-0123456789"


def ca_file(cloud) -> str:
    return str(cloud.cloud.state_dir / "tls" / "ca.pem")


def tls_client(cloud, endpoint: dict, **kwargs) -> redis.Redis:
    # Hostname checking is on: the node certificate names the endpoint addresses.
    return redis.Redis(host=endpoint["Address"], port=endpoint["Port"], ssl=True, ssl_ca_certs=ca_file(cloud),
                       socket_timeout=5, protocol=2, retry=NO_RETRY, **kwargs)


def raw_tls_command(cloud, endpoint: dict, command: bytes) -> bytes:
    """One RESP command on a bare TLS socket: the engine's own error text, no client library between."""
    context = ssl.create_default_context(cafile=ca_file(cloud))
    with socket.create_connection((endpoint["Address"], endpoint["Port"]), timeout=5) as raw:
        with context.wrap_socket(raw, server_hostname=endpoint["Address"]) as sock:
            sock.sendall(command)
            return sock.recv(4096)


def test_auth_token_over_tls_with_rotate_set_delete(cloud):
    ec = cloud.client("elasticache")
    create_group(ec, "secure", NumCacheClusters=2, TransitEncryptionEnabled=True, AuthToken=TOKEN)
    group = describe(ec, "secure")
    assert group["AuthTokenEnabled"] is True and group["TransitEncryptionEnabled"] is True
    assert "AuthTokenLastModifiedDate" in group
    endpoint = group["NodeGroups"][0]["PrimaryEndpoint"]
    assert raw_tls_command(cloud, endpoint, b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n").startswith(b"-NOAUTH Authentication required")
    assert raw_tls_command(cloud, endpoint, b"*2\r\n$4\r\nAUTH\r\n$22\r\nwrong-token-0123456789\r\n").startswith(b"-WRONGPASS")
    tls_client(cloud, endpoint, password=TOKEN).set("k", "v")
    # The replica enforces the same token (its data came over TLS replication).
    replica = tls_client(cloud, group["NodeGroups"][0]["NodeGroupMembers"][1]["ReadEndpoint"], password=TOKEN)
    assert eventually(lambda: replica.get("k") == b"v", what="TLS replication")

    ec.modify_replication_group(ReplicationGroupId="secure", AuthToken=SECOND, AuthTokenUpdateStrategy="ROTATE",
                                ApplyImmediately=True)
    wait_available(ec, "secure")
    assert tls_client(cloud, endpoint, password=TOKEN).ping() and tls_client(cloud, endpoint, password=SECOND).ping()
    ec.modify_replication_group(ReplicationGroupId="secure", AuthToken=SECOND, AuthTokenUpdateStrategy="SET",
                                ApplyImmediately=True)
    wait_available(ec, "secure")
    with pytest.raises(redis.exceptions.AuthenticationError):
        tls_client(cloud, endpoint, password=TOKEN).ping()
    assert tls_client(cloud, endpoint, password=SECOND).get("k") == b"v"
    ec.modify_replication_group(ReplicationGroupId="secure", AuthTokenUpdateStrategy="DELETE", ApplyImmediately=True)
    assert wait_available(ec, "secure")["AuthTokenEnabled"] is False
    assert tls_client(cloud, endpoint).get("k") == b"v"


def test_auth_token_modification_errors(cloud):
    ec = cloud.client("elasticache")
    create_group(ec, "plain", NumCacheClusters=1)
    assert error_of(ec.modify_replication_group, ReplicationGroupId="plain", AuthToken=TOKEN, ApplyImmediately=True) == \
        ("InvalidParameterValue", "The AUTH token is only supported when encryption-in-transit is enabled")
    create_group(ec, "tls", NumCacheClusters=1, TransitEncryptionEnabled=True)
    assert error_of(ec.modify_replication_group, ReplicationGroupId="tls", AuthToken="bad token with spaces",
                    ApplyImmediately=True) == ("InvalidParameterValue", "Invalid AuthToken provided.")
    assert error_of(ec.modify_replication_group, ReplicationGroupId="tls", AuthTokenUpdateStrategy="SET",
                    ApplyImmediately=True)[0] == "InvalidParameterValue"


def test_users_and_groups_enforced_by_the_engine_acls(cloud):
    ec = cloud.client("elasticache")
    created = ec.create_user(UserId="reader", UserName="reader", Engine="redis", Passwords=["reader-password-0123"],
                             AccessString="on ~app:* -@all +@read")
    assert created["Authentication"] == {"Type": "password", "PasswordCount": 1} and created["Status"] == "active"
    ec.create_user(UserId="writer", UserName="writer", Engine="redis", Passwords=["writer-password-0123"],
                   AccessString="on ~app:* +@all")
    ec.create_user(UserId="locked-default", UserName="default", Engine="redis", Passwords=["default-password-0123"],
                   AccessString="off ~* +@all")
    assert error_of(ec.create_user_group, UserGroupId="team", Engine="redis", UserIds=["reader", "writer"])[0] == \
        "DefaultUserRequired"
    group = ec.create_user_group(UserGroupId="team", Engine="redis", UserIds=["reader", "writer", "locked-default"])
    assert group["UserIds"] == ["reader", "writer", "locked-default"]
    create_group(ec, "rbac", NumCacheClusters=1, TransitEncryptionEnabled=True, UserGroupIds=["team"])
    endpoint = describe(ec, "rbac")["NodeGroups"][0]["PrimaryEndpoint"]
    assert describe(ec, "rbac")["UserGroupIds"] == ["team"]
    assert ec.describe_user_groups(UserGroupId="team")["UserGroups"][0]["ReplicationGroups"] == ["rbac"]

    writer = tls_client(cloud, endpoint, username="writer", password="writer-password-0123")
    writer.set("app:1", "x")
    with pytest.raises(redis.exceptions.NoPermissionError):
        writer.set("other", "x")
    reader = tls_client(cloud, endpoint, username="reader", password="reader-password-0123")
    assert reader.get("app:1") == b"x"
    with pytest.raises(redis.exceptions.NoPermissionError):
        reader.set("app:2", "y")
    with pytest.raises(redis.exceptions.AuthenticationError):
        tls_client(cloud, endpoint, username="reader", password="not-the-password-123").ping()
    assert raw_tls_command(cloud, endpoint, b"*2\r\n$3\r\nGET\r\n$5\r\napp:1\r\n").startswith(b"-NOAUTH")

    # Changing a user changes what the engine allows, at once.
    ec.modify_user(UserId="reader", AccessString="on ~app:* +@all")
    assert ec.describe_users(UserId="reader")["Users"][0]["AccessString"] == "on ~app:* +@all"
    reader.set("app:2", "y")
    ec.modify_user_group(UserGroupId="team", UserIdsToRemove=["writer"])
    with pytest.raises(redis.exceptions.AuthenticationError):
        tls_client(cloud, endpoint, username="writer", password="writer-password-0123").ping()


def test_user_errors(cloud):
    ec = cloud.client("elasticache")
    users = ec.describe_users()["Users"]
    assert [u["UserId"] for u in users] == ["default"]  # AWS's built-in default user
    ec.create_user(UserId="u1", UserName="alice", Engine="redis", NoPasswordRequired=True, AccessString="on ~* +@all")
    assert error_of(ec.create_user, UserId="u1", UserName="bob", Engine="redis", NoPasswordRequired=True,
                    AccessString="on ~* +@all") == ("UserAlreadyExists", "User u1 already exists.")
    assert error_of(ec.create_user, UserId="u2", UserName="alice", Engine="redis", NoPasswordRequired=True,
                    AccessString="on ~* +@all")[0] == "DuplicateUserName"
    assert error_of(ec.create_user, UserId="u3", UserName="carol", Engine="redis", Passwords=["short"],
                    AccessString="on ~* +@all")[0] == "InvalidParameterValue"
    assert error_of(ec.create_user, UserId="u4", UserName="dave", Engine="redis", NoPasswordRequired=True,
                    AccessString="on ~* +@nonsense junk")[0] == "InvalidParameterValue"
    assert error_of(ec.describe_users, UserId="nobody") == ("UserNotFound", "User nobody not found.")
    assert error_of(ec.delete_user_group, UserGroupId="nothing") == ("UserGroupNotFound", "User group nothing not found.")
    ec.create_user_group(UserGroupId="g", Engine="redis", UserIds=["default", "u1"])
    assert error_of(ec.create_user_group, UserGroupId="g", Engine="redis", UserIds=["default"])[0] == "UserGroupAlreadyExists"
    assert error_of(ec.delete_user, UserId="u1")[0] == "InvalidUserState"
    assert error_of(ec.delete_user, UserId="default")[0] == "DefaultUserAssociatedToUserGroup"
    ec.delete_user_group(UserGroupId="g")
    assert ec.delete_user(UserId="u1")["Status"] == "deleting"
    # AWS shows the user "deleting" for a moment before it is gone.
    assert [(u["UserId"], u["Status"]) for u in ec.describe_users()["Users"]] == [("default", "active"), ("u1", "deleting")]
    assert error_of(ec.delete_user, UserId="u1") == ("InvalidUserState", "User u1 is not in active state.")
    assert error_of(ec.create_user_group, UserGroupId="g2", Engine="redis", UserIds=["default", "u1"]) == (
        "InvalidUserState", "User u1 is not in active state.")
    eventually(lambda: [u["UserId"] for u in ec.describe_users()["Users"]] == ["default"], what="the user gone")
    assert error_of(ec.describe_users, UserId="u1") == ("UserNotFound", "User u1 not found.")


def test_create_user_checks_in_aws_order(cloud):
    """The request's own values first (authentication before the access string), then the account's state."""
    ec = cloud.client("elasticache")
    ec.create_user(UserId="taken", UserName="taken", Engine="redis", NoPasswordRequired=True, AccessString="on ~* +@all")
    # No password and no flag: that error, even before an access string that is not one.
    assert error_of(ec.create_user, UserId="taken", UserName="User1", Engine="Redis", AccessString="?") == (
        "InvalidParameterValue", "No password was provided. If you want to create/update the user without password, "
                                 "please use the NoPasswordRequired flag.")
    assert error_of(ec.create_user, UserId="x1", UserName="x1", Engine="redis", Passwords=["mysecretpass"],
                    AccessString="on ~* +@all") == ("InvalidParameterValue", "Passwords length must be between 16-128 characters.")
    assert error_of(ec.create_user, UserId="x2", UserName="x2", Engine="redis", AccessString="on",
                    AuthenticationMode={"Type": "magic"}) == (
        "InvalidParameterValue", "Input Authentication type: magic is not in the allowed list: [password,no-password-required,iam]")
    assert error_of(ec.create_user, UserId="x3", UserName="x3", Engine="redis", AccessString="on", NoPasswordRequired=True,
                    AuthenticationMode={"Type": "iam"}) == (
        "InvalidParameterCombination", "No password required flag is true but provided authentication type is iam")
    assert error_of(ec.create_user, UserId="x4", UserName="x4", Engine="redis", AccessString="on",
                    AuthenticationMode={"Type": "iam", "Passwords": ["a-long-enough-password"]}) == (
        "InvalidParameterCombination", "Password field is not allowed with authentication type: iam")
    assert error_of(ec.create_user, UserId="x5", UserName="x5", Engine="redis", AccessString="on",
                    AuthenticationMode={"Type": "password"}) == (
        "InvalidParameterCombination", "A user with Authentication Mode: password, must have at least one password")
    # A valid request meets the account's state: the id, then the name.
    assert error_of(ec.create_user, UserId="taken", UserName="other", Engine="redis", NoPasswordRequired=True,
                    AccessString="on ~* +@all") == ("UserAlreadyExists", "User taken already exists.")
    assert error_of(ec.create_user, UserId="fresh", UserName="taken", Engine="redis", NoPasswordRequired=True,
                    AccessString="on ~* +@all")[0] == "DuplicateUserName"
    iam = ec.create_user(UserId="iam-user", UserName="iam-user", Engine="redis", AccessString="on ~* +@all",
                         AuthenticationMode={"Type": "iam"})
    assert iam["Authentication"]["Type"] == "iam"


def test_users_groups_and_their_settings_come_back_after_kill_9(tmp_path):
    from regionbox.testing.process import CloudProcess

    process = CloudProcess(state_dir=tmp_path).start()
    try:
        ec = process.client("elasticache")
        ec.create_user(UserId="app", UserName="app", Engine="redis", Passwords=["app-password-01234567"],
                       AccessString="on ~app:* +@all")
        ec.create_user(UserId="closed-default", UserName="default", Engine="redis", NoPasswordRequired=True,
                       AccessString="off ~* +@all")
        ec.create_user_group(UserGroupId="crew", Engine="redis", UserIds=["app", "closed-default"])
        ec.create_cache_parameter_group(CacheParameterGroupName="kept-params", CacheParameterGroupFamily="redis7", Description="x")
        ec.modify_cache_parameter_group(CacheParameterGroupName="kept-params", ParameterNameValues=[
            {"ParameterName": "maxmemory-policy", "ParameterValue": "allkeys-lru"}])
        subnet = process.client("ec2").describe_subnets()["Subnets"][0]["SubnetId"]  # one of the default VPC's
        ec.create_cache_subnet_group(CacheSubnetGroupName="kept-subnets", CacheSubnetGroupDescription="x", SubnetIds=[subnet])
        create_group(ec, "durable-rbac", NumCacheClusters=1, TransitEncryptionEnabled=True, UserGroupIds=["crew"],
                     CacheParameterGroupName="kept-params", CacheSubnetGroupName="kept-subnets")
        users_before = ec.describe_users()["Users"]
        groups_before = ec.describe_user_groups()["UserGroups"]
        parameters_before = ec.describe_cache_parameters(CacheParameterGroupName="kept-params", Source="user")["Parameters"]
        subnets_before = ec.describe_cache_subnet_groups(CacheSubnetGroupName="kept-subnets")["CacheSubnetGroups"]
        ca = tmp_path / "tls" / "ca.pem"
        endpoint = describe(ec, "durable-rbac")["NodeGroups"][0]["PrimaryEndpoint"]

        def connect(**kwargs) -> redis.Redis:
            return redis.Redis(host=endpoint["Address"], port=endpoint["Port"], ssl=True, ssl_ca_certs=str(ca),
                               socket_timeout=5, protocol=2, retry=NO_RETRY, **kwargs)

        connect(username="app", password="app-password-01234567").set("app:1", "x")
        process.kill9()
        process.start()
        ec = process.client("elasticache")
        assert ec.describe_users()["Users"] == users_before
        assert ec.describe_user_groups()["UserGroups"] == groups_before
        assert ec.describe_cache_parameters(CacheParameterGroupName="kept-params", Source="user")["Parameters"] == parameters_before
        assert ec.describe_cache_subnet_groups(CacheSubnetGroupName="kept-subnets")["CacheSubnetGroups"] == subnets_before
        assert wait_available(ec, "durable-rbac")["UserGroupIds"] == ["crew"]
        # The engine enforces the same users after the crash.
        app = connect(username="app", password="app-password-01234567")
        assert eventually(lambda: app.set("app:2", "y"), what="the app user writing after the crash")
        with pytest.raises(redis.exceptions.NoPermissionError):
            app.set("elsewhere", "z")
        with pytest.raises(redis.exceptions.AuthenticationError):
            connect(username="app", password="not-the-password-123").ping()
        with pytest.raises(redis.exceptions.AuthenticationError):
            connect().ping()  # "default" is switched off
        settings = admin(process, endpoint, ssl=True, ssl_ca_certs=str(ca))
        assert settings.config_get("maxmemory-policy") == {"maxmemory-policy": "allkeys-lru"}  # the group's settings again
    finally:
        process.cleanup()
