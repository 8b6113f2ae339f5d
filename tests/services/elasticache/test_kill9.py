"""kill -9 in the middle of ElastiCache's writes: everything acknowledged is there after a restart,
and no operation is left half done (a member cluster without its group, a user in a user group
that does not list it). Against a real `regionbox up` process, through boto3."""

from __future__ import annotations

import random
import threading
import time

import botocore.exceptions
import botocore.parsers

from regionbox.testing import CloudProcess
from tests.services.elasticache.redis_helpers import FAST

USERS = 99  # with "default", the most a user group holds
ROUNDS = 3
# A call cut by the kill: no connection, or an answer cut short.
ERRORS = (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError, botocore.parsers.ResponseParserError)


def pages(ec, operation: str, key: str) -> list[dict]:
    return [item for page in ec.get_paginator(operation).paginate() for item in page[key]]


def test_acknowledged_elasticache_writes_survive_kill_9_without_orphans(tmp_path):
    process = CloudProcess(tmp_path / "state").start()
    try:
        ec = process.client("elasticache")
        users = [f"user-{i}" for i in range(USERS)]
        for user_id in users:
            ec.create_user(UserId=user_id, UserName=user_id, Engine="redis", AccessString="on ~* +@all", NoPasswordRequired=True)
        ec.create_cache_cluster(CacheClusterId="mc", Engine="memcached", CacheNodeType="cache.t3.micro", NumCacheNodes=2)
        acknowledged = {"user groups": set(), "deleting user groups": set(), "replication groups": set()}
        for round_number in range(ROUNDS):
            stop = threading.Event()

            def writer(round_number=round_number, stop=stop) -> None:
                # User groups write the group and every member's membership: one operation, many documents.
                i = 0
                while not stop.is_set():
                    name = f"{round_number}-{i}"
                    try:
                        if i % 10 == 0:
                            ec.create_replication_group(ReplicationGroupId=f"rg-{name}", ReplicationGroupDescription="kill -9",
                                                        NumCacheClusters=3)
                            acknowledged["replication groups"].add(f"rg-{name}")
                        ec.create_user_group(UserGroupId=f"ug-{name}", Engine="redis", UserIds=["default", *users])
                        acknowledged["user groups"].add(f"ug-{name}")
                        if i % 2:
                            # Asked to delete: gone, or still there if regionbox died before committing.
                            acknowledged["deleting user groups"].add(f"ug-{name}")
                            ec.delete_user_group(UserGroupId=f"ug-{name}")
                    except ERRORS:
                        return  # the server died mid-call: that call was never acknowledged
                    i += 1

            thread = threading.Thread(target=writer)
            thread.start()
            wanted = len(acknowledged["user groups"]) + 15
            while len(acknowledged["user groups"]) < wanted:
                time.sleep(0.005)
            time.sleep(random.uniform(0, 0.03))  # at any point of a request, not just after an answer
            process.kill9()
            stop.set()
            thread.join(30)

            process.start()
            ec = process.client("elasticache")
            stored_users = {u["UserId"]: u for u in pages(ec, "describe_users", "Users")}
            stored_groups = {g["UserGroupId"]: g for g in pages(ec, "describe_user_groups", "UserGroups")}
            assert set(users) <= set(stored_users)
            assert acknowledged["user groups"] - acknowledged["deleting user groups"] <= set(stored_groups)
            for group_id, group in stored_groups.items():
                for user_id in group["UserIds"]:
                    if user_id != "default":
                        assert group_id in stored_users[user_id]["UserGroupIds"], f"{user_id} does not list {group_id}"
            for user_id in users:
                for group_id in stored_users[user_id]["UserGroupIds"]:
                    assert group_id in stored_groups and user_id in stored_groups[group_id]["UserIds"], \
                        f"{user_id} lists {group_id}, which does not list it"

        groups = {g["ReplicationGroupId"]: g for g in pages(ec, "describe_replication_groups", "ReplicationGroups")}
        clusters = {c["CacheClusterId"]: c for c in pages(ec, "describe_cache_clusters", "CacheClusters")}
        assert acknowledged["replication groups"] <= set(groups) and "mc" in clusters
        for group_id, group in groups.items():
            assert all(member in clusters for member in group["MemberClusters"]), f"{group_id} lists missing members"
        for cluster_id, cluster in clusters.items():
            owner = cluster.get("ReplicationGroupId")
            assert owner is None or (owner in groups and cluster_id in groups[owner]["MemberClusters"]), \
                f"orphan member cluster {cluster_id}"
        # What was being created when regionbox died is finished after the restart.
        for group_id in acknowledged["replication groups"]:
            ec.get_waiter("replication_group_available").wait(ReplicationGroupId=group_id, WaiterConfig=FAST)
        ec.get_waiter("cache_cluster_available").wait(CacheClusterId="mc", WaiterConfig=FAST)
    finally:
        process.cleanup()


def test_a_replica_count_change_cut_by_kill_9_is_finished_after_the_restart(tmp_path):
    process = CloudProcess(tmp_path / "state").start()
    try:
        ec = process.client("elasticache")
        ec.create_replication_group(ReplicationGroupId="grown", ReplicationGroupDescription="kill -9", NumCacheClusters=1)
        ec.get_waiter("replication_group_available").wait(ReplicationGroupId="grown", WaiterConfig=FAST)
        ec.increase_replica_count(ReplicationGroupId="grown", NewReplicaCount=2, ApplyImmediately=True)
        process.kill9()  # while the new replicas start
        process.start()
        ec = process.client("elasticache")
        ec.get_waiter("replication_group_available").wait(ReplicationGroupId="grown", WaiterConfig=FAST)
        group = ec.describe_replication_groups(ReplicationGroupId="grown")["ReplicationGroups"][0]
        assert group["MemberClusters"] == ["grown-001", "grown-002", "grown-003"]
        statuses = {c["CacheClusterId"]: c["CacheClusterStatus"] for c in pages(ec, "describe_cache_clusters", "CacheClusters")}
        assert statuses == dict.fromkeys(group["MemberClusters"], "available")
    finally:
        process.cleanup()
