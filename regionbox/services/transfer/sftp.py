"""The SFTP endpoint of a server: asyncssh with large windows, the server's host keys and its
security policy's algorithms, users logged in by public key (service-managed or a custom
provider's keys) or password (custom providers), and SFTP requests mapped onto S3 (filesystem.py).

No shell, exec or port forwarding: only the sftp subsystem, as on AWS (OpenSSH's scp speaks
SFTP since 9.0, so scp works too). A malformed packet ends that connection, never the server.
"""

from __future__ import annotations

import asyncio
import logging
import stat as stat_bits
from typing import TYPE_CHECKING, AsyncIterator

import asyncssh
from asyncssh import FXF_APPEND, FXF_READ, FXF_WRITE, SFTPAttrs, SFTPError, SFTPName

from regionbox.services.transfer import host_keys
from regionbox.services.transfer.dataplane import Connection, DataPlane
from regionbox.services.transfer.filesystem import Download, Entry, Files, FsError, Upload
from regionbox.services.transfer.security_policies import ssh_algorithms

if TYPE_CHECKING:
    from regionbox.services.transfer.models import Server

log = logging.getLogger("regionbox.transfer.sftp")

WINDOW = 16 * 1024 * 1024  # bytes a client may send before we acknowledge: a full pipe on a fast link
MAX_PACKET = 256 * 1024
SERVER_VERSION = "AWS_SFTP_1.1"
_CODES = {FsError.NO_SUCH_FILE: asyncssh.FX_NO_SUCH_FILE, FsError.PERMISSION_DENIED: asyncssh.FX_PERMISSION_DENIED,
          FsError.FAILURE: asyncssh.FX_FAILURE, FsError.UNSUPPORTED: asyncssh.FX_OP_UNSUPPORTED}


def _sftp_error(error: FsError) -> SFTPError:
    return SFTPError(_CODES.get(error.kind, asyncssh.FX_FAILURE), error.message)


class _SshServer(asyncssh.SSHServer):
    def __init__(self, listener: "SftpListener") -> None:
        self.listener = listener
        self.plane = listener.plane
        self.conn: asyncssh.SSHServerConnection | None = None
        self.connection: Connection | None = None
        self._tried: dict[tuple[str, bytes], object] = {}
        self.method = ""

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self.conn = conn
        self.listener.connections.add(conn)
        peer = conn.get_extra_info("peername") or ("", 0)
        self.connection = Connection(self.listener.scope, self.listener.server_id, "SFTP", peer[0])
        server = self.plane.server(self.connection)
        if server is not None and server.pre_banner:
            conn.send_auth_banner(server.pre_banner)

    def connection_lost(self, exc: Exception | None) -> None:
        self.listener.connections.discard(self.conn)
        if self.connection is not None and self.connection.login is not None:
            self.plane.log(self.connection, "DISCONNECTED")

    def begin_auth(self, username: str) -> bool:
        return True

    def _methods(self) -> str:
        server = self.plane.server(self.connection)
        if server is None or server.identity_provider_type == "SERVICE_MANAGED":
            return "PUBLIC_KEY"
        return server.identity_provider_details.get("SftpAuthenticationMethods") or "PUBLIC_KEY_OR_PASSWORD"

    def public_key_auth_supported(self) -> bool:
        return self._methods() in ("PUBLIC_KEY", "PUBLIC_KEY_OR_PASSWORD", "PUBLIC_KEY_AND_PASSWORD")

    def password_auth_supported(self) -> bool:
        return self._methods() in ("PASSWORD", "PUBLIC_KEY_OR_PASSWORD", "PUBLIC_KEY_AND_PASSWORD")

    async def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
        # asyncssh asks once for the key offered and again for its signature: one answer for both.
        attempt = (username, key.public_data)
        if attempt not in self._tried:
            self._tried[attempt] = await self.plane.login(self.connection, username, public_key=key.public_data)
        login = self._tried[attempt]
        if login is None:
            return False
        self._logged_in(login, "publickey", key)
        return True

    async def validate_password(self, username: str, password: str) -> bool:
        login = await self.plane.login(self.connection, username, password=password)
        if login is None:
            return False
        self._logged_in(login, "password", None)
        return True

    def _logged_in(self, login, method: str, key: asyncssh.SSHKey | None) -> None:
        self.connection.login = login
        self.method = method
        self.key = key

    def auth_completed(self) -> None:
        conn = self.conn
        extra = {"client": conn.get_extra_info("client_version"), "kex": None,
                 "ciphers": ",".join(filter(None, [conn.get_extra_info("send_cipher"), conn.get_extra_info("recv_cipher")]))}
        if self.method == "publickey" and getattr(self, "key", None) is not None:
            extra.update(ssh_public_key=self.key.export_public_key().decode().split()[1],
                         ssh_public_key_fingerprint=self.key.get_fingerprint("sha256"),
                         ssh_public_key_type=self.key.get_algorithm())
        self.plane.begin(self.connection, self.connection.login, self.method, **extra)


class TransferSftp(asyncssh.SFTPServer):
    """SFTP requests of one session, on the user's view of S3."""

    def __init__(self, chan: asyncssh.SSHServerChannel) -> None:
        super().__init__(chan)
        owner: _SshServer = chan.get_connection().get_owner()
        self.plane: DataPlane = owner.plane
        self.client: Connection = owner.connection
        self.files: Files = self.client.files
        self.open_files: set[Upload | Download] = set()
        posix = self.client.login.posix_profile or {}
        self.uid, self.gid = posix.get("Uid", 0), posix.get("Gid", 0)

    def _path(self, raw: bytes) -> str:
        return raw.decode("utf-8", "surrogateescape")

    def _attrs(self, entry: Entry) -> SFTPAttrs:
        mode = (stat_bits.S_IFDIR | 0o755) if entry.is_dir else (stat_bits.S_IFREG | 0o644)
        mtime = int(entry.mtime)
        return SFTPAttrs(type=asyncssh.FILEXFER_TYPE_DIRECTORY if entry.is_dir else asyncssh.FILEXFER_TYPE_REGULAR,
                         size=entry.size, uid=self.uid, gid=self.gid, permissions=mode, atime=mtime, mtime=mtime)

    # -- paths and attributes --------------------------------------------------------------------
    def realpath(self, path: bytes) -> bytes:
        try:
            return self.files.absolute(self._path(path) or ".").encode("utf-8", "surrogateescape")
        except FsError as error:
            raise _sftp_error(error) from None

    def stat(self, path: bytes) -> SFTPAttrs:
        try:
            return self._attrs(self.files.stat(self._path(path)))
        except FsError as error:
            raise _sftp_error(error) from None

    lstat = stat

    def fstat(self, file_obj) -> SFTPAttrs:
        if isinstance(file_obj, Download):
            return self._attrs(Entry(file_obj.path, False, file_obj.size))
        return self._attrs(Entry(file_obj.path, False, file_obj.received))

    def setstat(self, path: bytes, attrs: SFTPAttrs) -> None:
        try:
            self.files.setstat(self._path(path))
        except FsError as error:
            self.plane.log(self.client, "ERROR", path=self._path(path), message=error.message)
            raise _sftp_error(error) from None
        self.plane.log(self.client, "SETSTAT", path=self.files.absolute(self._path(path)))

    def fsetstat(self, file_obj, attrs: SFTPAttrs) -> None:
        if not self.files.session.set_stat_no_op:
            raise _sftp_error(FsError(FsError.UNSUPPORTED, "SETSTAT is not supported by Amazon S3"))

    async def scandir(self, path: bytes) -> AsyncIterator[SFTPName]:
        try:
            entries = self.files.listdir(self._path(path))
        except FsError as error:
            raise _sftp_error(error) from None
        for entry in entries:
            yield SFTPName(entry.name.encode("utf-8", "surrogateescape"), attrs=self._attrs(entry))

    # -- files -----------------------------------------------------------------------------------
    async def open(self, path: bytes, pflags: int, attrs: SFTPAttrs):
        name = self._path(path)
        try:
            if pflags & FXF_APPEND:
                raise FsError(FsError.UNSUPPORTED, "Appending is not supported by Amazon S3")
            if pflags & FXF_WRITE and pflags & FXF_READ:
                raise FsError(FsError.UNSUPPORTED, "Opening a file for reading and writing is not supported by Amazon S3")
            if pflags & FXF_WRITE:
                handle = self.files.open_write(name)
                self.plane.log(self.client, "OPEN", path=handle.path, mode=_mode(pflags))
            else:
                handle = await self.files.open_read(name)
                self.plane.log(self.client, "OPEN", path=handle.path, mode="READ")
        except FsError as error:
            self.plane.log(self.client, "ERROR", path=name, message=error.message)
            raise _sftp_error(error) from None
        self.open_files.add(handle)
        return handle

    async def read(self, file_obj, offset: int, size: int) -> bytes:
        if not isinstance(file_obj, Download):
            raise SFTPError(asyncssh.FX_FAILURE, "File not open for reading")
        try:
            return await file_obj.read(offset, size)
        except FsError as error:
            raise _sftp_error(error) from None

    async def write(self, file_obj, offset: int, data: bytes) -> int:
        if not isinstance(file_obj, Upload):
            raise SFTPError(asyncssh.FX_FAILURE, "File not open for writing")
        try:
            await file_obj.write(offset, data)
        except FsError as error:
            raise _sftp_error(error) from None
        return len(data)

    async def close(self, file_obj) -> None:
        if self.channel.is_closing():
            return  # asyncssh closes what is open when the connection drops: exit() aborts it instead
        self.open_files.discard(file_obj)
        if isinstance(file_obj, Download):
            await file_obj.close()
            self.plane.log(self.client, "CLOSE", path=file_obj.path, bytes_out=str(file_obj.sent))
            return
        try:
            await file_obj.close()
        except FsError as error:
            self.plane.log(self.client, "ERROR", path=file_obj.path, message=error.message)
            raise _sftp_error(error) from None
        self.plane.uploaded(self.client, file_obj.path, file_obj)

    async def exit(self) -> None:
        """The session ended (the client left, or the connection dropped): uploads still open never
        become objects."""
        for handle in list(self.open_files):
            self.open_files.discard(handle)
            if isinstance(handle, Upload):
                await handle.abort()
                self.plane.partial(self.client, handle.path, handle)
            else:
                await handle.close()
        # OpenSSH's scp takes a session that ends without an exit status for a failure.
        try:
            self.channel.exit(0)
        except (OSError, asyncssh.Error):
            pass

    # -- the tree --------------------------------------------------------------------------------
    async def _changed(self, activity: str, action, *paths: bytes, **fields) -> None:
        names = [self._path(p) for p in paths]
        try:
            await action(*names)
        except FsError as error:
            self.plane.log(self.client, "ERROR", path=names[0], message=error.message)
            raise _sftp_error(error) from None
        self.plane.log(self.client, activity, path=self.files.absolute(names[0]), **fields)

    async def mkdir(self, path: bytes, attrs: SFTPAttrs) -> None:
        await self._changed("MKDIR", self.files.mkdir, path)

    async def rmdir(self, path: bytes) -> None:
        await self._changed("RMDIR", self.files.rmdir, path)

    async def remove(self, path: bytes) -> None:
        await self._changed("DELETE", self.files.remove, path)

    async def rename(self, oldpath: bytes, newpath: bytes) -> None:
        await self._changed("RENAME", self.files.rename, oldpath, newpath,
                            new_path=self.files.absolute(self._path(newpath)))

    posix_rename = rename

    def readlink(self, path: bytes) -> bytes:
        raise SFTPError(asyncssh.FX_OP_UNSUPPORTED, "Symbolic links are not supported by Amazon S3")

    def symlink(self, oldpath: bytes, newpath: bytes) -> None:
        raise SFTPError(asyncssh.FX_OP_UNSUPPORTED, "Symbolic links are not supported by Amazon S3")

    def link(self, oldpath: bytes, newpath: bytes) -> None:
        raise SFTPError(asyncssh.FX_OP_UNSUPPORTED, "Hard links are not supported by Amazon S3")

    def statvfs(self, path: bytes):
        raise SFTPError(asyncssh.FX_OP_UNSUPPORTED, "statvfs is not supported by Amazon S3")

    fstatvfs = statvfs


def _mode(pflags: int) -> str:
    parts = []
    if pflags & asyncssh.FXF_CREAT:
        parts.append("CREATE")
    if pflags & asyncssh.FXF_TRUNC:
        parts.append("TRUNCATE")
    parts.append("WRITE")
    return "|".join(parts)


class SftpListener:
    """One AZ endpoint's SFTP server: asyncssh's acceptor plus the connections it has open, which
    an outage or a stop drops (asyncssh's close() leaves them)."""

    def __init__(self, plane: DataPlane, scope, server_id: str) -> None:
        self.plane = plane
        self.scope = scope
        self.server_id = server_id
        self.acceptor = None
        self.connections: set = set()

    @classmethod
    async def start(cls, plane: DataPlane, scope, server: "Server", address: str, port: int) -> "SftpListener":
        listener = cls(plane, scope, server.server_id)
        keys = [asyncssh.import_private_key(k.body.encode() + b"\n") for k in host_keys.presented(server)]
        listener.acceptor = await asyncssh.listen(
            address, port, reuse_address=True, server_factory=lambda: _SshServer(listener), server_host_keys=keys,
            sftp_factory=TransferSftp, allow_scp=False, agent_forwarding=False, x11_forwarding=False,
            server_version=SERVER_VERSION, window=WINDOW, max_pktsize=MAX_PACKET, login_timeout=60,
            line_editor=False,  # SFTP only: no shell whose input to edit, and one layer less per write
            **ssh_algorithms(server.security_policy))
        return listener

    def close(self) -> None:
        if self.acceptor is not None:
            self.acceptor.close()
        for conn in list(self.connections):
            conn.abort()

    async def wait_closed(self) -> None:
        if self.acceptor is not None:
            await self.acceptor.wait_closed()
        for _ in range(500):  # their ends (uploads aborted, DISCONNECTED logged) before the store may close
            if not self.connections:
                break
            await asyncio.sleep(0.01)

