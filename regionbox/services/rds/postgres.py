"""The PostgreSQL servers behind DB instances: how each one is made, runs, and is talked to.

Every node is a real ``postgres`` of the cloud's supervisor, on its own loopback address in its
AZ, with its data directory under ``<state>/engines/rds/<node id>/pgdata``. A cluster is made
once per server version (``initdb`` into a template, copied for each new instance: an instance is
available in about a second instead of the five initdb takes). Its superuser is ``rdsadmin``, as on
RDS, with a per-state-directory password: regionbox's admin path, and the user the standby
replicates as. The master user is an ordinary role in ``rds_superuser`` (CREATEDB, CREATEROLE,
pg_monitor ...), as RDS makes it.

The primary listens on its own address and on the instance endpoint's; a failover moves the
endpoint's address to the new primary (``listen_also``), so clients reconnect to the same
Endpoint.Address and reach the server itself, not a proxy. Settings regionbox manages (replication,
the parameter group's values) are in ``regionbox.conf``, included from ``postgresql.conf``, so
dynamic ones apply with a reload.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

import psycopg
from psycopg import sql

from regionbox.engines import NodeSpec, kinds
from regionbox.services.rds.models import DBInstance, DbNode

if TYPE_CHECKING:
    from regionbox.core.tls import LocalCA
    from regionbox.engines import Node, Supervisor

log = logging.getLogger("regionbox.rds")

ADMIN_USER = "rdsadmin"
STANDBY = "standby"  # the Multi-AZ standby's application_name: the one synchronous_standby_names names
READY_TIMEOUT = 60.0
HBA = """# regionbox: password authentication (SCRAM) over TCP, as RDS; no Unix socket.
host    all             all             127.0.0.0/8     scram-sha-256
host    all             all             ::1/128         scram-sha-256
host    replication     rdsadmin        127.0.0.0/8     scram-sha-256
"""
# What every node runs with, before the parameter group's values (which win).
BASE_SETTINGS = {
    "wal_level": "replica",
    "max_wal_senders": "10",
    "hot_standby": "on",
    "password_encryption": "scram-sha-256",
    "shared_preload_libraries": "'pg_stat_statements'",
    "track_io_timing": "on",
    "track_activity_query_size": "4096",
    "logging_collector": "off",
    "log_line_prefix": "'%m:%r:%u@%d:[%p]:'",  # RDS's prefix for PostgreSQL logs
}


def quote(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


class PostgresNodes:
    def __init__(self, supervisor: "Supervisor", root: Path, admin_password: str, ca: "LocalCA | None" = None) -> None:
        self.supervisor = supervisor
        self.root = root  # <state>/engines/rds
        self.admin_password = admin_password
        self.ca = ca  # the cloud's CA: every server takes TLS with a certificate of its own (rds-ca-rsa2048-g1 here)
        self._template_lock = asyncio.Lock()

    # -- where things are -----------------------------------------------------------------------
    def data_dir(self, node_id: str) -> Path:
        return self.root / node_id

    def tls_dir(self, node_id: str) -> Path:
        return self.data_dir(node_id) / "tls"

    def pgdata(self, node_id: str) -> Path:
        return self.data_dir(node_id) / "pgdata"

    def node(self, node_id: str) -> "Node | None":
        return self.supervisor.node(node_id)

    def running(self, db_node: DbNode | None) -> bool:
        node = self.node(db_node.node_id) if db_node is not None else None
        return node is not None and node.running

    # -- making a cluster -----------------------------------------------------------------------
    async def _run(self, argv: list[str], what: str) -> None:
        process = await asyncio.create_subprocess_exec(*argv, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
                                                       stderr=asyncio.subprocess.STDOUT)
        output, _ = await process.communicate()
        if process.returncode != 0:
            raise RuntimeError(f"{what} failed: {output.decode(errors='replace')[-800:]}")

    async def template(self, version: str) -> Path:
        """A fresh cluster of this server version, made once (initdb), to copy for new instances."""
        async with self._template_lock:
            path = self.root / f"template-{version}"
            if (path / "PG_VERSION").exists():
                return path
            shutil.rmtree(path, ignore_errors=True)
            partial = self.root / f"template-{version}.partial"
            shutil.rmtree(partial, ignore_errors=True)
            partial.parent.mkdir(parents=True, exist_ok=True)
            password_file = self.root / "template.pw"
            password_file.write_text(self.admin_password + "\n")
            password_file.chmod(0o600)
            try:
                await self._run([*kinds.postgres_tool("initdb"), "-D", str(partial), "-U", ADMIN_USER, "-E", "UTF8",
                                 "--locale=C.UTF-8", "--auth=scram-sha-256", f"--pwfile={password_file}", "--no-sync"],
                                "initdb")
            finally:
                password_file.unlink(missing_ok=True)
            (partial / "pg_hba.conf").write_text(HBA)
            with open(partial / "postgresql.conf", "a") as conf:
                conf.write("\n# Settings regionbox manages (replication, the DB parameter group).\ninclude_if_exists = 'regionbox.conf'\n")
            partial.rename(path)
            return path

    async def make_primary_data(self, node_id: str, version: str) -> None:
        target = self.pgdata(node_id)
        shutil.rmtree(self.data_dir(node_id), ignore_errors=True)
        target.parent.mkdir(parents=True, exist_ok=True)
        template = await self.template(version)
        await asyncio.to_thread(shutil.copytree, template, target, symlinks=True)
        target.chmod(0o700)

    async def restore_data(self, node_id: str, source: str) -> None:
        """A new node's data directory from a snapshot's copy (a cluster shut down cleanly, or a base backup)."""
        target = self.pgdata(node_id)
        shutil.rmtree(self.data_dir(node_id), ignore_errors=True)
        target.parent.mkdir(parents=True, exist_ok=True)
        await asyncio.to_thread(shutil.copytree, source, target, symlinks=True)
        for leftover in ("postmaster.pid", "standby.signal", "recovery.signal"):
            (target / leftover).unlink(missing_ok=True)
        target.chmod(0o700)

    async def backup(self, instance: DBInstance, target: Path) -> None:
        """An online, consistent copy of the primary (pg_basebackup with the WAL it needs): a snapshot."""
        primary = instance.primary
        conninfo = f"host={primary.address} port={instance.port} user={ADMIN_USER} password={self.admin_password}"
        await self._run([*kinds.postgres_tool("pg_basebackup"), "-D", str(target), "-d", conninfo, "-X", "stream",
                         "--checkpoint=fast", "--no-sync"], "pg_basebackup")

    def follow_conninfo(self, source: DBInstance, application_name: str) -> str:
        """How a standby or read replica reaches ``source``'s primary; the application name tells the
        Multi-AZ standby (the one commits wait for) from read replicas."""
        primary = source.primary
        return (f"host={primary.address} port={source.port} user={ADMIN_USER} password={self.admin_password} "
                f"application_name={application_name}")

    async def make_standby_data(self, instance: DBInstance, node_id: str, application_name: str = STANDBY) -> None:
        """A base backup of the primary, streaming its WAL, set up to follow it (standby.signal)."""
        shutil.rmtree(self.data_dir(node_id), ignore_errors=True)
        self.data_dir(node_id).mkdir(parents=True)
        conninfo = self.follow_conninfo(instance, application_name)
        await self._run([*kinds.postgres_tool("pg_basebackup"), "-D", str(self.pgdata(node_id)), "-d", conninfo, "-X", "stream",
                         "-R", "--checkpoint=fast", "--no-sync"], "pg_basebackup")

    # -- settings ---------------------------------------------------------------------------------
    def write_settings(self, node_id: str, values: dict[str, str], synchronous: bool) -> None:
        """regionbox.conf: the base settings, the parameter group's, and whether commits wait for
        the standby (Multi-AZ with a standby that runs)."""
        settings = dict(BASE_SETTINGS)
        settings["synchronous_standby_names"] = f"'\"{STANDBY}\"'" if synchronous else "''"
        settings["synchronous_commit"] = "on"
        # Every WAL segment into the instance's archive (point-in-time restores replay it): the
        # standby archives too ("always"), so a segment the primary had no time to archive before
        # it died is still there. Copied under a temporary name, then renamed: two servers may
        # archive the same segment at once.
        archive = self.archive_dir(node_id.rsplit("-", 1)[0])
        archive.mkdir(parents=True, exist_ok=True)
        settings["archive_mode"] = "always"
        settings["archive_timeout"] = "60"
        settings["archive_command"] = quote(f'test -f "{archive}/%f" || (cp %p "{archive}/%f.partial.$$" && '
                                            f'mv "{archive}/%f.partial.$$" "{archive}/%f")')
        if self.ca is not None:  # the certificate is issued when the node starts (``spec``)
            settings["ssl"] = "on"
            settings["ssl_cert_file"] = quote(str(self.tls_dir(node_id) / "node.crt"))
            settings["ssl_key_file"] = quote(str(self.tls_dir(node_id) / "node.key"))
        for name, value in values.items():
            settings[name] = quote(value)
        text = "".join(f"{name} = {value}\n" for name, value in settings.items())
        path = self.pgdata(node_id) / "regionbox.conf"
        partial = path.with_suffix(".partial")
        partial.write_text(text)
        partial.replace(path)

    # -- backups and point-in-time recovery ---------------------------------------------------------
    def archive_dir(self, resource_id: str) -> Path:
        return self.root.parent / "rds-wal" / resource_id.lower()

    def backups_dir(self, resource_id: str) -> Path:
        return self.root.parent / "rds-backups" / resource_id.lower()

    def base_backups(self, resource_id: str) -> list[tuple[float, Path]]:
        """The instance's automated base backups: (when it ended, where), oldest first."""
        root = self.backups_dir(resource_id)
        found = [(float(p.name), p) for p in root.iterdir() if p.name.replace(".", "").isdigit()] if root.exists() else []
        return sorted(found)

    def restorable_window(self, resource_id: str) -> tuple[float, float] | None:
        """(earliest, latest) time an instance can be restored to: its first base backup, its
        last archived WAL segment; None without a backup."""
        backups = self.base_backups(resource_id)
        if not backups:
            return None
        archive = self.archive_dir(resource_id)
        archived = [p.stat().st_mtime for p in archive.iterdir() if ".partial" not in p.name] if archive.exists() else []
        return backups[0][0], max([backups[-1][0], *archived])

    async def automated_backup(self, instance: DBInstance) -> None:
        root = self.backups_dir(instance.resource_id)
        root.mkdir(parents=True, exist_ok=True)
        partial = root / "backup.partial"
        shutil.rmtree(partial, ignore_errors=True)
        await self.backup(instance, partial)
        partial.rename(root / f"{time.time():.3f}")

    async def archive_now(self, instance: DBInstance, timeout: float = 120) -> None:
        """Make the primary's WAL up to now restorable: a commit stamped now (a recovery to an
        earlier time stops before it), then a segment switch, and wait until it is archived."""
        primary = instance.primary
        rows = await self.execute(primary.address, instance.port, "SELECT txid_current()",
                                  "SELECT pg_walfile_name(pg_switch_wal())")
        target = self.archive_dir(instance.resource_id) / rows[0][0]
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not target.exists():
            if loop.time() > deadline:
                raise TimeoutError(f"WAL segment {target.name} of {instance.identifier} was not archived in {timeout:.0f} s")
            await asyncio.sleep(0.05)

    def prepare_recovery(self, node_id: str, source_resource_id: str, target_time: float | None) -> None:
        """Archive recovery from the source's WAL archive, to ``target_time`` (None: to its end),
        then promotion."""
        pgdata = self.pgdata(node_id)
        archive = self.archive_dir(source_resource_id)
        lines = [f"restore_command = {quote(f'cp {archive}/%f %p')}", "recovery_target_action = 'promote'"]
        if target_time is not None:
            stamp = datetime.fromtimestamp(target_time, timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f+00")
            lines += [f"recovery_target_time = {quote(stamp)}", "recovery_target_inclusive = on"]
        with open(pgdata / "postgresql.auto.conf", "a") as conf:
            conf.write("\n".join(lines) + "\n")
        (pgdata / "recovery.signal").write_text("")

    async def wait_promoted(self, instance: DBInstance, timeout: float = 300) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            try:
                rows = await self.execute(instance.primary.address, instance.port, "SELECT pg_is_in_recovery()")
                if not rows[0][0]:
                    return
            except psycopg.OperationalError:
                log_text = (self.data_dir(instance.primary.node_id) / "process.log").read_text(errors="replace")[-4000:]
                if "recovery ended before configured recovery target was reached" in log_text:
                    raise RuntimeError("recovery ended before the restore time was reached: the archive ends earlier")
                if not self.running(instance.primary):
                    raise RuntimeError(f"PostgreSQL stopped during recovery: "
                                       f"{(self.data_dir(instance.primary.node_id) / 'process.log').read_text()[-600:]}")
            if loop.time() > deadline:
                raise TimeoutError("the restored server did not finish its recovery")
            await asyncio.sleep(0.1)

    def spec(self, instance: DBInstance, db_node: DbNode) -> NodeSpec:
        options: dict = {}
        if self.ca is not None:
            # Its own address and the endpoint's, which it takes over if it is promoted.
            self.ca.issue(self.tls_dir(db_node.node_id), [db_node.address, instance.endpoint_address])
        if db_node.role == "primary" and instance.endpoint_address and instance.endpoint_address != db_node.address:
            options["listen_also"] = [instance.endpoint_address]
        return NodeSpec(node_id=db_node.node_id, engine="postgres", version=instance.engine_version, zone=db_node.zone,
                        port=instance.port, options=options, data_dir=self.data_dir(db_node.node_id), address=db_node.address)

    async def start(self, instance: DBInstance, db_node: DbNode) -> "Node":
        """Start (or adopt) the node and wait until it answers queries."""
        node = await self.supervisor.start(self.spec(instance, db_node))
        if node.running:
            await self.wait_ready(db_node, instance.port)
        return node

    async def restart_as(self, instance: DBInstance, db_node: DbNode) -> None:
        """Stop the node and start it again with the settings its role gives it now."""
        node = self.node(db_node.node_id)
        if node is not None:
            await self.supervisor.start(self.spec(instance, db_node))  # takes the new spec (it runs: no restart yet)
            await self.supervisor.restart(db_node.node_id)
        else:
            await self.supervisor.start(self.spec(instance, db_node))
        await self.wait_ready(db_node, instance.port)

    # -- talking to a node as rdsadmin -----------------------------------------------------------------
    async def connect(self, address: str, port: int, dbname: str = "postgres", timeout: float = 5) -> psycopg.AsyncConnection:
        return await psycopg.AsyncConnection.connect(host=address, port=port, user=ADMIN_USER, password=self.admin_password,
                                                     dbname=dbname, autocommit=True, connect_timeout=max(int(timeout), 1),
                                                     application_name="rdsadmin")

    async def wait_ready(self, db_node: DbNode, port: int, timeout: float = READY_TIMEOUT) -> None:
        """Until the server takes sessions (it accepts TCP while it still recovers)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            try:
                connection = await self.connect(db_node.address, port)
                await connection.close()
                return
            except psycopg.OperationalError as error:
                if loop.time() > deadline:
                    raise TimeoutError(f"PostgreSQL node {db_node.node_id} did not take sessions: {error}") from error
                await asyncio.sleep(0.05)

    async def execute(self, address: str, port: int, *statements, dbname: str = "postgres") -> list:
        """Run statements (str or psycopg.sql objects, or (statement, params)); the last one's rows."""
        connection = await self.connect(address, port, dbname)
        rows: list = []
        try:
            for statement in statements:
                query, params = statement if isinstance(statement, tuple) else (statement, None)
                cursor = await connection.execute(query, params)
                rows = await cursor.fetchall() if cursor.description else []
        finally:
            await connection.close()
        return rows

    async def reload(self, instance: DBInstance, db_node: DbNode) -> None:
        await self.execute(db_node.address, instance.port, "SELECT pg_reload_conf()")

    async def set_up_roles(self, instance: DBInstance, password: str) -> None:
        """The master user as RDS makes it: LOGIN, CREATEDB, CREATEROLE, in rds_superuser, which may
        read every session's statistics and create in the public schema; the database, if named."""
        primary = instance.primary
        user = sql.Identifier(instance.master_username)
        statements = [
            "CREATE ROLE rds_superuser NOLOGIN",
            "GRANT pg_monitor, pg_signal_backend, pg_read_all_data, pg_write_all_data TO rds_superuser WITH ADMIN OPTION",
            (sql.SQL("CREATE ROLE {} LOGIN CREATEDB CREATEROLE PASSWORD {} IN ROLE rds_superuser").format(user, sql.Literal(password)),
             None),
            "GRANT ALL ON SCHEMA public TO rds_superuser WITH GRANT OPTION",
        ]
        await self.execute(primary.address, instance.port, *statements)
        # template1 too, so databases created later give rds_superuser the same schema rights.
        await self.execute(primary.address, instance.port, "GRANT ALL ON SCHEMA public TO rds_superuser WITH GRANT OPTION",
                           "CREATE EXTENSION IF NOT EXISTS pg_stat_statements", dbname="template1")
        await self.execute(primary.address, instance.port, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        if instance.db_name:
            await self.execute(primary.address, instance.port,
                               (sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(instance.db_name), user), None))

    async def follow(self, replica: DBInstance, source: DBInstance) -> None:
        """Point a running read replica at ``source``'s primary (after a failover moved it)."""
        conninfo = self.follow_conninfo(source, replica.resource_id.lower())
        await self.execute(replica.primary.address, replica.port,
                           (sql.SQL("ALTER SYSTEM SET primary_conninfo = {}").format(sql.Literal(conninfo)), None),
                           "SELECT pg_reload_conf()")

    async def set_password(self, instance: DBInstance, password: str) -> None:
        primary = instance.primary
        await self.execute(primary.address, instance.port,
                           (sql.SQL("ALTER ROLE {} WITH LOGIN PASSWORD {}").format(sql.Identifier(instance.master_username),
                                                                                  sql.Literal(password)), None))
