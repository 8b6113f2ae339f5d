"""regionbox's Python runtime: one warm execution environment of one function version.

Started by workers.py as ``python -u python_bootstrap.py <control fd> <extra path>``, with the
function's environment (AWS's variables) and its code directory as working directory. It imports
the handler once (the init phase) and then serves invocations one at a time, for as long as the
worker lives, as Lambda's own runtime does. Only the standard library: the function's imports
are the only ones it pays for.

The control channel is a Unix socket on ``<control fd>``; every message is a frame, a 4-byte
big-endian length then that many bytes. The worker first sends the init result ({"init": "ok"}
or {"init": "error"} + the error document), then for each invocation it reads a header frame
(JSON: id, deadline in epoch ms, invoked ARN, client context) and a payload frame, and answers a
header frame ({"error": null | errorType}) and a payload frame (the result or error document).
stdout and stderr are the function's log: whatever it prints reaches CloudWatch Logs.

A handler that calls sys.exit, crashes or never returns is the parent's to see (end of file, a
timeout): this process never tries to survive that, it is simply replaced.
"""

import decimal
import importlib
import json
import logging
import os
import socket
import struct
import sys
import time
import traceback

RESPONSE_LIMIT = 6291556  # bytes: Lambda's limit on a synchronous response
_HERE = os.path.abspath(__file__)
_request_id = ""


class LambdaContext:
    """What the handler gets as ``context``: the same attributes as on AWS."""

    def __init__(self, header):
        self.aws_request_id = header["id"]
        self.invoked_function_arn = header["arn"]
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.identity = header.get("identity")
        self.client_context = _ClientContext(header["client_context"]) if header.get("client_context") else None
        self.tenant_id = header.get("tenant_id")
        self._deadline = header["deadline"]

    def get_remaining_time_in_millis(self):
        return int(max(self._deadline - time.time() * 1000, 0))

    def log(self, message):
        sys.stdout.write(str(message))

    def __repr__(self):
        return (f"LambdaContext([aws_request_id={self.aws_request_id},log_group_name={self.log_group_name},"
                f"log_stream_name={self.log_stream_name},function_name={self.function_name},"
                f"memory_limit_in_mb={self.memory_limit_in_mb},function_version={self.function_version},"
                f"invoked_function_arn={self.invoked_function_arn},client_context={self.client_context},"
                f"identity={self.identity}])")


class _ClientContext:
    def __init__(self, document):
        self.client = document.get("client")
        self.custom = document.get("custom")
        self.env = document.get("env")


class _RequestIdFilter(logging.Filter):
    def filter(self, record):
        record.aws_request_id = _request_id
        return True


class _LambdaLogFormatter(logging.Formatter):
    """AWS's format for the logging module; a multi-line message stays one log event ("\\r")."""

    converter = time.gmtime

    def __init__(self):
        super().__init__("[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s\n",
                         "%Y-%m-%dT%H:%M:%S")

    def format(self, record):
        return super().format(record).rstrip("\n").replace("\n", "\r") + "\n"


def _install_logging():
    handler = logging.StreamHandler(sys.stdout)
    handler.terminator = ""
    handler.setFormatter(_LambdaLogFormatter())
    handler.addFilter(_RequestIdFilter())
    logging.getLogger().addHandler(handler)


def _error(message, error_type, stack=None):
    return {"errorMessage": message, "errorType": error_type, "requestId": _request_id, "stackTrace": stack or []}


def _stack(tb):
    # Plain tuples, as AWS's runtime formats them: no column markers under the line.
    frames = [(f.filename, f.lineno, f.name, f.line) for f in traceback.extract_tb(tb) if os.path.abspath(f.filename) != _HERE]
    return traceback.format_list(frames)


def _log_error(document):
    trace = "".join(document.get("stackTrace") or [])
    text = f"[ERROR] {document['errorType']}: {document['errorMessage']}"
    if trace:
        text += "\nTraceback (most recent call last):\n" + trace
    sys.stdout.write(text.rstrip("\n").replace("\n", "\r") + "\n")


def _json_default(value):
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _load_handler(name):
    """The handler, or the error document AWS's runtime gives for why it is not there."""
    try:
        module_name, function_name = name.rsplit(".", 1)
    except ValueError as exc:
        return None, _error(f"Bad handler '{name}': {exc}", "Runtime.MalformedHandlerName")
    if module_name.split(".")[0] in sys.builtin_module_names:
        return None, _error(f"Cannot use built-in module {module_name} as a handler module", "Runtime.BuiltInModuleConflict")
    try:
        module = importlib.import_module(module_name.replace("/", "."))
    except ImportError as exc:
        return None, _error(f"Unable to import module '{module_name}': {exc}", "Runtime.ImportModuleError")
    except SyntaxError as exc:
        trace = [f'  File "{exc.filename}" Line {exc.lineno}\n    {exc.text}']
        return None, _error(f"Syntax error in module '{module_name}': {exc}", "Runtime.UserCodeSyntaxError", trace)
    except Exception as exc:  # noqa: BLE001 - the handler's module raised while importing: the init error
        return None, _error(str(exc), type(exc).__name__, _stack(exc.__traceback__))
    handler = getattr(module, function_name, None)
    if handler is None:
        return None, _error(f"Handler '{function_name}' missing on module '{module_name}'", "Runtime.HandlerNotFound")
    return handler, None


class Channel:
    def __init__(self, fd):
        self.sock = socket.socket(fileno=fd)

    def read(self):
        head = self._exactly(4)
        return self._exactly(struct.unpack(">I", head)[0])

    def _exactly(self, size):
        chunks, left = [], size
        while left:
            chunk = self.sock.recv(min(left, 1 << 20))
            if not chunk:
                sys.exit(0)  # regionbox closed the channel: this environment is done
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)

    def send(self, header, payload):
        head = json.dumps(header).encode()
        self.sock.sendall(struct.pack(">I", len(head)) + head + struct.pack(">I", len(payload)) + payload)


def _die_with_parent():
    """Linux: end with regionbox even when killed -9 (a handler stuck in a loop never reads EOF)."""
    try:
        import ctypes

        ctypes.CDLL(None).prctl(1, 9)  # PR_SET_PDEATHSIG, SIGKILL
    except Exception:  # noqa: BLE001 - not Linux: the closed channel still ends an idle worker
        pass


def main():
    global _request_id
    _die_with_parent()
    channel = Channel(int(sys.argv[1]))
    task_root = os.environ.get("LAMBDA_TASK_ROOT", os.getcwd())
    extra = [p for p in sys.argv[2].split(os.pathsep) if p] if len(sys.argv) > 2 else []
    sys.path[0:1] = [task_root, *extra]  # the code first, then the layers, then the runtime's own
    _install_logging()
    started = time.perf_counter()
    handler, failure = _load_handler(os.environ.get("_HANDLER", ""))
    init_ms = (time.perf_counter() - started) * 1000
    if failure is not None:
        _log_error(failure)
        sys.stdout.flush()
        channel.send({"init": "error", "ms": init_ms}, json.dumps(failure).encode())
        return
    channel.send({"init": "ok", "ms": init_ms}, b"")
    while True:
        header = json.loads(channel.read())
        payload = channel.read()
        _request_id = header["id"]
        os.environ["_X_AMZN_TRACE_ID"] = header.get("trace", "")
        try:
            event = json.loads(payload) if payload else {}
            result = handler(event, LambdaContext(header))
            try:
                body = json.dumps(result, default=_json_default).encode()
            except (TypeError, ValueError) as exc:
                raise _MarshalError(f"Unable to marshal response: {exc}") from None
            if len(body) > RESPONSE_LIMIT:
                document = {"errorMessage": f"Response payload size exceeded maximum allowed payload size "
                                            f"({RESPONSE_LIMIT} bytes).", "errorType": "Function.ResponseSizeTooLarge"}
                channel.send({"error": "Function.ResponseSizeTooLarge"}, json.dumps(document).encode())
                continue
            sys.stdout.flush()
            channel.send({"error": None}, body)
        except _MarshalError as exc:
            document = _error(str(exc), "Runtime.MarshalError")
            _log_error(document)
            channel.send({"error": "Runtime.MarshalError"}, json.dumps(document).encode())
        except Exception as exc:  # noqa: BLE001 - the handler's error is the invocation's result
            document = _error(str(exc), type(exc).__name__, _stack(exc.__traceback__))
            _log_error(document)
            sys.stdout.flush()
            channel.send({"error": document["errorType"]}, json.dumps(document).encode())


class _MarshalError(Exception):
    pass


if __name__ == "__main__":
    main()
