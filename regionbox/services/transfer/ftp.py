"""The FTP and FTPS endpoint of a server: an asyncio FTP server on the cloud's event loop, over the
same file system as SFTP (filesystem.py).

As AWS's servers behave: passive mode only (PASV, EPSV) with data ports 8192-8200 on the
endpoint's address (PassiveIp, when set, is the address announced); binary transfers in stream
mode; FTPS is explicit (AUTH TLS) and needs PROT P for data (PROT C is refused), and with
TlsSessionResumptionMode ENFORCED a data connection must resume the control connection's TLS
session; APPE (append) is refused, as S3 cannot append. A malformed command is answered with an
error; an overlong line closes that connection; nothing a client sends stops the server.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import time
from typing import TYPE_CHECKING

from regionbox.services.transfer.dataplane import Connection, DataPlane
from regionbox.services.transfer.filesystem import Entry, FsError, Upload
from regionbox.services.transfer.ftp_data import DataChannel

if TYPE_CHECKING:
    from regionbox.services.transfer.models import Server

log = logging.getLogger("regionbox.transfer.ftp")

PASSIVE_PORTS = range(8192, 8201)
MAX_LINE = 8192
DATA_TIMEOUT = 30.0
OPEN_BEFORE_LOGIN = {"USER", "PASS", "AUTH", "PBSZ", "PROT", "FEAT", "SYST", "QUIT", "NOOP", "OPTS", "HELP"}
FEATURES = ["UTF8", "EPSV", "PASV", "SIZE", "MDTM", "MLST type*;size*;modify*;", "REST STREAM"]


class Reply(Exception):
    def __init__(self, code: int, text: str) -> None:
        super().__init__(text)
        self.code = code
        self.text = text


def _fs(error: FsError) -> Reply:
    return Reply(550, error.message)


def _list_line(entry: Entry) -> str:
    mode = "drwxr-xr-x" if entry.is_dir else "-rw-r--r--"
    stamp = time.strftime("%b %d %H:%M", time.gmtime(entry.mtime or time.time()))
    return f"{mode}   1 0        0        {entry.size:>12} {stamp} {entry.name}"


def _facts(entry: Entry) -> str:
    modify = time.strftime("%Y%m%d%H%M%S", time.gmtime(entry.mtime or 0))
    kind = "dir" if entry.is_dir else "file"
    return f"type={kind};size={entry.size};modify={modify}; {entry.name}"


class FtpSession:
    def __init__(self, listener: "FtpListener", reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.listener = listener
        self.plane: DataPlane = listener.plane
        self.reader, self.writer = reader, writer
        peer = writer.get_extra_info("peername") or ("", 0)
        self.connection = Connection(listener.scope, listener.server_id, "FTP", peer[0])
        self.user: str | None = None
        self.files = None
        self.tls = False
        self.protected = False
        self.passive: asyncio.AbstractServer | None = None
        self.data: asyncio.Future | None = None  # the passive port's connection, once it comes
        self.rename_from: str | None = None
        self.restart_at = 0
        self.uploads: set[Upload] = set()
        self.data_channel: DataChannel | None = None  # of the transfer under way

    # -- the control connection ------------------------------------------------------------------
    async def reply(self, code: int, text: str) -> None:
        lines = text.split("\n")
        body = "".join(f"{code}-{line}\r\n" for line in lines[:-1]) + f"{code} {lines[-1]}\r\n"
        self.writer.write(body.encode("utf-8", "replace"))
        await self.writer.drain()

    async def run(self) -> None:
        server = self.plane.server(self.connection)
        banner = (server.pre_banner + "\n" if server is not None and server.pre_banner else "")
        await self.reply(220, banner + "Service ready for new user.")
        try:
            while True:
                try:
                    line = await self.reader.readuntil(b"\n")
                except asyncio.LimitOverrunError:
                    await self.reply(500, "Command line too long.")
                    return
                except asyncio.IncompleteReadError:
                    return
                text = line.decode("utf-8", "surrogateescape").rstrip("\r\n")
                command, _, argument = text.partition(" ")
                command = command.upper()
                if command == "QUIT":
                    await self.reply(221, "Goodbye.")
                    return
                try:
                    await self.dispatch(command, argument)
                except Reply as answer:
                    await self.reply(answer.code, answer.text)
        finally:
            await self.end()

    async def dispatch(self, command: str, argument: str) -> None:
        handler = getattr(self, f"ftp_{command.lower()}", None) if command.isalpha() else None
        if handler is None:
            raise Reply(502, f"Command '{command[:20]}' not implemented.")
        if self.files is None and command not in OPEN_BEFORE_LOGIN:
            raise Reply(530, "Please login with USER and PASS.")
        if command != "RNTO":
            pending, self.rename_from = self.rename_from, None
            if command == "RNFR":
                self.rename_from = pending
        if command not in ("RETR", "REST", "STOR", "APPE"):
            self.restart_at = 0
        if any("\udc80" <= c <= "\udcff" for c in argument):
            raise Reply(553, "File names must be UTF-8.")
        await handler(argument)

    async def end(self) -> None:
        for upload in list(self.uploads):
            self.uploads.discard(upload)
            await upload.abort()
            self.plane.partial(self.connection, upload.path, upload)
        self._close_passive()
        if self.connection.login is not None:
            self.plane.log(self.connection, "DISCONNECTED")

    def _server(self) -> "Server":
        server = self.plane.server(self.connection)
        if server is None:
            raise Reply(421, "Service not available, closing control connection.")
        return server

    # -- login and TLS ---------------------------------------------------------------------------
    async def ftp_auth(self, argument: str) -> None:
        if argument.upper() not in ("TLS", "SSL", "TLS-C"):
            raise Reply(504, "AUTH type not supported.")
        if self.listener.tls is None:
            raise Reply(502, "FTPS is not enabled on this server.")
        if self.tls:
            raise Reply(503, "Already using TLS.")
        await self.reply(234, "AUTH command ok; starting TLS connection.")
        await self.writer.start_tls(self.listener.tls)
        self.tls = True
        self.connection.protocol = "FTPS"

    async def ftp_pbsz(self, argument: str) -> None:
        if not self.tls:
            raise Reply(503, "PBSZ not allowed on insecure control connection.")
        await self.reply(200, "PBSZ=0")

    async def ftp_prot(self, argument: str) -> None:
        if not self.tls:
            raise Reply(503, "PROT not allowed on insecure control connection.")
        level = argument.strip().upper()
        if level == "P":
            self.protected = True
            await self.reply(200, "Protection level set to P")
        elif level == "C":
            raise Reply(536, "PROT C is not supported: use PROT P")
        else:
            raise Reply(504, f"PROT {level} not supported.")

    async def ftp_user(self, argument: str) -> None:
        server = self._server()
        if not self.tls and "FTP" not in server.protocols:
            raise Reply(530, "TLS is required: send AUTH TLS first.")
        if self.files is not None:
            raise Reply(503, "Already logged in.")
        self.user = argument.strip()
        await self.reply(331, "User name okay, need password.")

    async def ftp_pass(self, argument: str) -> None:
        if self.user is None:
            raise Reply(503, "Login with USER first.")
        if self.files is not None:
            raise Reply(503, "Already logged in.")
        login = await self.plane.login(self.connection, self.user, password=argument)
        if login is None:
            self.user = None
            raise Reply(530, "Login incorrect.")
        self.files = self.plane.begin(self.connection, login, "password")
        server = self._server()
        await self.reply(230, (server.post_banner + "\n" if server.post_banner else "") + "User logged in, proceed.")

    # -- small talk ------------------------------------------------------------------------------
    async def ftp_syst(self, argument: str) -> None:
        await self.reply(215, "UNIX Type: L8")

    async def ftp_feat(self, argument: str) -> None:
        features = FEATURES + (["AUTH TLS", "PBSZ", "PROT"] if self.listener.tls is not None else [])
        await self.reply(211, "Features:\n" + "\n".join(f" {f}" for f in features) + "\nEnd")

    async def ftp_opts(self, argument: str) -> None:
        await self.reply(200, "OK")

    async def ftp_noop(self, argument: str) -> None:
        await self.reply(200, "NOOP ok.")

    async def ftp_help(self, argument: str) -> None:
        await self.reply(214, "Help OK.")

    async def ftp_type(self, argument: str) -> None:
        kind = argument.strip().upper()[:1]
        if kind not in ("A", "I", "L"):
            raise Reply(504, f"Type {argument} not supported.")
        await self.reply(200, f"Type set to {kind}.")  # bytes always travel as they are (image)

    async def ftp_mode(self, argument: str) -> None:
        if argument.strip().upper() != "S":
            raise Reply(504, "Only stream mode is supported.")
        await self.reply(200, "Mode set to S.")

    async def ftp_stru(self, argument: str) -> None:
        if argument.strip().upper() != "F":
            raise Reply(504, "Only file structure is supported.")
        await self.reply(200, "Structure set to F.")

    async def ftp_port(self, argument: str) -> None:
        raise Reply(502, "Active mode is not supported: use passive mode.")

    ftp_eprt = ftp_port

    # -- the tree --------------------------------------------------------------------------------
    async def ftp_pwd(self, argument: str) -> None:
        await self.reply(257, f'"{self.files.cwd}" is the current directory.')

    ftp_xpwd = ftp_pwd

    async def ftp_cwd(self, argument: str) -> None:
        try:
            self.files.change_directory(argument or self.files.session.view.home)
        except FsError as error:
            raise _fs(error) from None
        await self.reply(250, "CWD command successful.")

    async def ftp_cdup(self, argument: str) -> None:
        await self.ftp_cwd("..")

    async def _changed(self, activity: str, action, path: str, code: int, text: str, **fields) -> None:
        try:
            await action(path)
        except FsError as error:
            self.plane.log(self.connection, "ERROR", path=path, message=error.message)
            raise _fs(error) from None
        self.plane.log(self.connection, activity, path=self.files.absolute(path), **fields)
        await self.reply(code, text)

    async def ftp_mkd(self, argument: str) -> None:
        await self._changed("MKDIR", self.files.mkdir, argument, 257, f'"{self.files.absolute(argument)}" created.')

    async def ftp_rmd(self, argument: str) -> None:
        await self._changed("RMDIR", self.files.rmdir, argument, 250, "RMD command successful.")

    async def ftp_dele(self, argument: str) -> None:
        await self._changed("DELETE", self.files.remove, argument, 250, "DELE command successful.")

    async def ftp_rnfr(self, argument: str) -> None:
        try:
            self.files.stat(argument)
        except FsError as error:
            raise _fs(error) from None
        self.rename_from = argument
        await self.reply(350, "Ready for RNTO.")

    async def ftp_rnto(self, argument: str) -> None:
        source, self.rename_from = self.rename_from, None
        if source is None:
            raise Reply(503, "Bad sequence of commands: RNFR first.")

        async def rename(target: str) -> None:
            await self.files.rename(source, target)
        try:
            await rename(argument)
        except FsError as error:
            self.plane.log(self.connection, "ERROR", path=source, message=error.message)
            raise _fs(error) from None
        self.plane.log(self.connection, "RENAME", path=self.files.absolute(source), new_path=self.files.absolute(argument))
        await self.reply(250, "RNTO command successful.")

    async def ftp_size(self, argument: str) -> None:
        try:
            entry = self.files.stat(argument)
        except FsError as error:
            raise _fs(error) from None
        if entry.is_dir:
            raise Reply(550, "Is a directory.")
        await self.reply(213, str(entry.size))

    async def ftp_mdtm(self, argument: str) -> None:
        try:
            entry = self.files.stat(argument)
        except FsError as error:
            raise _fs(error) from None
        await self.reply(213, time.strftime("%Y%m%d%H%M%S", time.gmtime(entry.mtime)))

    async def ftp_mlst(self, argument: str) -> None:
        try:
            entry = self.files.stat(argument or ".")
        except FsError as error:
            raise _fs(error) from None
        await self.reply(250, f"Listing {argument or '.'}\n {_facts(entry)}\nEnd")

    async def ftp_site(self, argument: str) -> None:
        verb, _, rest = argument.partition(" ")
        if verb.upper() != "CHMOD":
            raise Reply(504, f"SITE {verb[:20]} not supported.")
        try:
            self.files.setstat(rest.partition(" ")[2])
        except FsError as error:
            raise _fs(error) from None
        await self.reply(200, "SITE CHMOD command ignored.")

    async def ftp_rest(self, argument: str) -> None:
        if not argument.strip().isdigit():
            raise Reply(501, "REST needs a byte offset.")
        self.restart_at = int(argument.strip())
        await self.reply(350, f"Restarting at {self.restart_at}. Send RETR to resume.")

    async def ftp_abor(self, argument: str) -> None:
        self._close_passive()
        await self.reply(226, "ABOR command successful.")

    async def ftp_stat(self, argument: str) -> None:
        await self.reply(211, "regionbox Transfer Family FTP server status OK.")

    # -- data connections ------------------------------------------------------------------------
    def _close_passive(self) -> None:
        if self.passive is not None:
            self.passive.close()
            self.passive = None
        if self.data is not None:
            if not self.data.done():
                self.data.cancel()
            elif not self.data.cancelled():
                self.data.result().abort()  # connected, and no transfer used it
        self.data = None

    async def _open_passive(self) -> int:
        self._close_passive()
        loop = asyncio.get_running_loop()
        self.data = loop.create_future()
        data = self.data

        def accept(channel: DataChannel) -> bool:
            if data.done() or channel.get_extra_info("peername", ("",))[0] != self.connection.source_ip:
                return False
            data.set_result(channel)
            return True

        for port in list(PASSIVE_PORTS) + [0]:
            try:
                self.passive = await loop.create_server(lambda: DataChannel(accept), self.listener.address, port,
                                                        reuse_address=True, backlog=1)
                break
            except OSError:
                continue
        return self.passive.sockets[0].getsockname()[1]

    async def ftp_pasv(self, argument: str) -> None:
        port = await self._open_passive()
        announced = self._server().protocol_details.get("PassiveIp") or "AUTO"
        address = self.listener.address if announced == "AUTO" else announced
        numbers = ",".join(address.split(".") + [str(port >> 8), str(port & 255)])
        await self.reply(227, f"Entering Passive Mode ({numbers}).")

    async def ftp_epsv(self, argument: str) -> None:
        if argument.strip().upper() == "ALL":
            await self.reply(200, "EPSV ALL ok.")
            return
        port = await self._open_passive()
        await self.reply(229, f"Entering Extended Passive Mode (|||{port}|)")

    def _ready_for_data(self) -> None:
        if self.data is None:
            raise Reply(425, "Use PASV or EPSV first.")
        if self.listener.tls is not None and self.tls and not self.protected:
            raise Reply(521, "Data connections must be protected: send PROT P.")

    async def _data_connection(self, opening: str) -> DataChannel:
        """The client's data connection, once it connected to the passive port: the 150 reply
        sent, and (with PROT P) its TLS handshake done, which clients start only after the 150."""
        self._ready_for_data()
        try:
            channel = await asyncio.wait_for(asyncio.shield(self.data), DATA_TIMEOUT)
        except (asyncio.TimeoutError, asyncio.CancelledError):
            self._close_passive()
            raise Reply(425, "Can't open data connection.") from None
        finally:
            if self.passive is not None:
                self.passive.close()
                self.passive = None
        self.data = None
        self.data_channel = channel
        await self.reply(150, opening)
        if self.protected:
            try:
                await asyncio.wait_for(channel.start_tls(self.listener.tls), DATA_TIMEOUT)
            except (OSError, ssl.SSLError, asyncio.TimeoutError):
                self._finish(channel, abort=True)
                raise Reply(522, "TLS negotiation on the data connection failed.") from None
            mode = self._server().protocol_details.get("TlsSessionResumptionMode", "ENFORCED")
            tls = channel.get_extra_info("ssl_object")
            if mode == "ENFORCED" and (tls is None or not tls.session_reused):
                self._finish(channel)
                raise Reply(522, "TLS session of the data connection must resume the control connection's session.")
        return channel

    def _finish(self, channel: DataChannel, abort: bool = False) -> None:
        (channel.abort if abort else channel.close)()
        self.data_channel = None

    async def _send(self, lines: list[str]) -> None:
        channel = await self._data_connection("Opening data connection.")
        try:
            channel.write("".join(f"{line}\r\n" for line in lines).encode("utf-8", "surrogateescape"))
            await channel.drain()
        except (ConnectionError, ssl.SSLError):
            self._finish(channel, abort=True)
            raise Reply(426, "Connection closed; transfer aborted.") from None
        self._finish(channel)
        await self.reply(226, "Transfer complete.")

    async def _listing(self, argument: str) -> list[Entry]:
        self._ready_for_data()
        path = " ".join(part for part in argument.split() if not part.startswith("-")) or "."
        try:
            entry = self.files.stat(path)
            return self.files.listdir(path) if entry.is_dir else [entry]
        except FsError as error:
            raise _fs(error) from None

    async def ftp_list(self, argument: str) -> None:
        await self._send([_list_line(e) for e in await self._listing(argument)])

    async def ftp_nlst(self, argument: str) -> None:
        await self._send([e.name for e in await self._listing(argument)])

    async def ftp_mlsd(self, argument: str) -> None:
        await self._send([_facts(e) for e in await self._listing(argument)])

    async def ftp_retr(self, argument: str) -> None:
        offset, self.restart_at = self.restart_at, 0
        self._ready_for_data()
        try:
            download = await self.files.open_read(argument, offset)
        except FsError as error:
            self.plane.log(self.connection, "ERROR", path=argument, message=error.message)
            raise _fs(error) from None
        self.plane.log(self.connection, "OPEN", path=download.path, mode="READ")
        try:
            channel = await self._data_connection("Opening BINARY mode data connection.")
            pieces = None if self.protected else download.pieces()
            try:
                if pieces is not None:
                    try:
                        await channel.send_files(pieces)
                    finally:
                        download.sent += channel.sent
                else:
                    async for chunk in download.chunks():
                        channel.write(chunk)
                        await channel.drain()
            except (ConnectionError, ssl.SSLError):
                self._finish(channel, abort=True)
                raise Reply(426, "Connection closed; transfer aborted.") from None
            self._finish(channel)
        finally:
            await download.close()
            self.plane.log(self.connection, "CLOSE", path=download.path, bytes_out=str(download.sent))
        await self.reply(226, "Transfer complete.")

    async def ftp_appe(self, argument: str) -> None:
        raise Reply(550, "Appending to a file is not supported by Amazon S3.")

    async def ftp_stor(self, argument: str) -> None:
        if self.restart_at:
            self.restart_at = 0
            raise Reply(550, "Resuming an upload is not supported by Amazon S3.")
        self._ready_for_data()
        try:
            upload = self.files.open_write(argument)
        except FsError as error:
            self.plane.log(self.connection, "ERROR", path=argument, message=error.message)
            raise _fs(error) from None
        self.uploads.add(upload)
        self.plane.log(self.connection, "OPEN", path=upload.path, mode="CREATE|TRUNCATE|WRITE")
        try:
            channel = await self._data_connection("Opening BINARY mode data connection.")
        except Reply:
            self.uploads.discard(upload)
            await upload.abort()
            raise
        try:
            while True:
                chunk = await channel.read()
                if not chunk:
                    break
                await upload.write(upload.received, chunk)
        except (ConnectionError, ssl.SSLError, FsError) as error:
            self._finish(channel, abort=True)
            self.uploads.discard(upload)
            await upload.abort()
            self.plane.partial(self.connection, upload.path, upload)
            raise Reply(426 if not isinstance(error, FsError) else 550, "Transfer aborted.") from None
        self._finish(channel)
        self.uploads.discard(upload)
        try:
            await upload.close()
        except FsError as error:
            self.plane.log(self.connection, "ERROR", path=upload.path, message=error.message)
            raise _fs(error) from None
        self.plane.uploaded(self.connection, upload.path, upload)
        await self.reply(226, "Transfer complete.")


class FtpListener:
    """One AZ endpoint's FTP server; closing it drops its control and data connections."""

    def __init__(self, plane: DataPlane, scope, server_id: str, address: str, tls: ssl.SSLContext | None) -> None:
        self.plane = plane
        self.scope = scope
        self.server_id = server_id
        self.address = address
        self.tls = tls
        self.server: asyncio.AbstractServer | None = None
        self.sessions: set[FtpSession] = set()
        self.ended = asyncio.Event()  # no session left: they have all logged their end
        self.ended.set()

    @classmethod
    async def start(cls, plane: DataPlane, scope, server: "Server", address: str, port: int,
                    tls: ssl.SSLContext | None) -> "FtpListener":
        listener = cls(plane, scope, server.server_id, address, tls)
        listener.server = await asyncio.start_server(listener._serve, address, port, reuse_address=True, limit=MAX_LINE)
        return listener

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        session = FtpSession(self, reader, writer)
        self.sessions.add(session)
        self.ended.clear()
        try:
            await session.run()
        except (ConnectionError, ssl.SSLError, asyncio.IncompleteReadError):
            pass
        except Exception:  # noqa: BLE001 - one client's failure must never stop the server
            log.exception("FTP session failed")
        finally:
            self.sessions.discard(session)
            writer.transport.abort() if writer.transport is not None else None
            if not self.sessions:
                self.ended.set()

    def close(self) -> None:
        if self.server is not None:
            self.server.close()
        for session in list(self.sessions):
            session._close_passive()
            if session.data_channel is not None:
                session.data_channel.abort()
            session.writer.transport.abort()

    async def wait_closed(self) -> None:
        if self.server is not None:
            await self.server.wait_closed()
        try:
            await asyncio.wait_for(self.ended.wait(), 5)
        except asyncio.TimeoutError:
            log.warning("FTP sessions of %s did not end within 5 s", self.server_id)
