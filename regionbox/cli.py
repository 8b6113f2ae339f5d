"""The regionbox command: up, status, az outage/restore."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
import urllib.error
import urllib.request
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from regionbox import __version__
from regionbox.config import Config, client_endpoint

console = Console(highlight=False)
DEFAULT_ENDPOINT = client_endpoint()


def _call(endpoint: str, method: str, path: str) -> dict:
    request = urllib.request.Request(endpoint.rstrip("/") + path, method=method, data=b"" if method == "POST" else None)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return json.loads(exc.read() or b"{}") | {"_status": exc.code}
    except OSError as exc:
        console.print(f"[red]regionbox is not reachable at {endpoint}[/red]: {exc}")
        console.print("Start it with [bold]regionbox up[/bold].")
        sys.exit(1)


@click.group()
@click.version_option(__version__, prog_name="regionbox")
def main() -> None:
    """An AWS region in one box."""


@main.command()
@click.option("--host", default=None, help="Address to listen on (default 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default 4566).")
@click.option("--state-dir", type=click.Path(path_type=Path), default=None, help="Where state is kept.")
@click.option("--ephemeral", is_flag=True, help="Keep state in a temporary directory, gone on exit.")
@click.option("--default-account", default=None, help="Account for access keys that name none (default 000000000000).")
def up(host, port, state_dir, ephemeral, default_account) -> None:
    """Start the cloud and serve until Ctrl-C or SIGTERM."""
    import uvicorn

    from regionbox.server import Cloud, uvicorn_config

    config = Config()
    if host:
        config.host = host
    if port:
        config.port = port
    if state_dir:
        config.state_dir = state_dir
    if ephemeral:
        config.ephemeral = True
    if default_account:
        config.default_account = default_account
    cloud = Cloud(config)
    server = uvicorn.Server(uvicorn_config(cloud))

    # uvicorn re-raises a captured SIGTERM after shutdown, under whatever handler was there
    # before it; with the default one the process would die by the signal instead of exiting 0.
    # This handler also asks for shutdown if SIGTERM arrives before uvicorn installs its own.
    signal.signal(signal.SIGTERM, lambda *_: setattr(server, "should_exit", True))

    async def run() -> None:
        loop = asyncio.get_running_loop()
        task = loop.create_task(server.serve())
        while not server.started and not task.done():
            await asyncio.sleep(0.01)
        if server.started:
            _print_banner(cloud)
        await task

    try:
        # uvicorn's loop="uvloop" only applies in Server.run(); serve() runs on whatever loop we
        # make, so make the fast one (about half the per-request latency of asyncio's).
        with asyncio.Runner(loop_factory=_loop_factory()) as runner:
            runner.run(run())
    except KeyboardInterrupt:
        pass
    console.print("regionbox stopped.")


def _loop_factory():
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def _print_banner(cloud) -> None:
    status = cloud.status()
    console.print(f"[bold green]regionbox {__version__}[/bold green] ready on [bold]{status['endpoint']}[/bold]")
    console.print(f"state: {status['state_dir']}{' (ephemeral)' if status['ephemeral'] else ''}")
    console.print(f"services: {', '.join(name for name, state in status['services'].items() if state == 'running')}")
    for name, state in status["services"].items():
        if state != "running":
            console.print(f"[red]{name}: {state}[/red]")
    for name, description in status["engines"].items():
        console.print(f"engine {name}: {description}")
    console.print(f"use it with: [bold]AWS_ENDPOINT_URL={status['endpoint']}[/bold]", soft_wrap=True)


@main.command()
@click.option("--endpoint", default=DEFAULT_ENDPOINT, show_default=True)
def status(endpoint: str) -> None:
    """Show services, engines and the state directory of a running cloud."""
    info = _call(endpoint, "GET", "/_regionbox/status")
    table = Table(title=f"regionbox {info.get('version', '?')} at {endpoint}")
    table.add_column("what")
    table.add_column("state")
    table.add_row("state directory", info.get("state_dir", "?"))
    for name, state in info.get("services", {}).items():
        table.add_row(f"service {name}", state)
    for name, description in info.get("engines", {}).items():
        table.add_row(f"engine {name}", description)
    table.add_row("zones down", ", ".join(info.get("zones_down", [])) or "none")
    console.print(table)


@main.group()
def az() -> None:
    """Switch Availability Zones off and on."""


@az.command("list")
@click.option("--region", default=None)
@click.option("--endpoint", default=DEFAULT_ENDPOINT, show_default=True)
def az_list(region: str | None, endpoint: str) -> None:
    info = _call(endpoint, "GET", "/_regionbox/az" + (f"?region={region}" if region else ""))
    table = Table(title=f"Availability Zones of {info.get('region')}")
    for column in ("ZoneName", "ZoneId", "State"):
        table.add_column(column)
    for zone in info.get("zones", []):
        table.add_row(zone["ZoneName"], zone["ZoneId"], zone["State"])
    console.print(table)


def _zone_command(action: str):
    @click.argument("zone")
    @click.option("--endpoint", default=DEFAULT_ENDPOINT, show_default=True)
    def command(zone: str, endpoint: str) -> None:
        info = _call(endpoint, "POST", f"/_regionbox/az/{zone}/{action}")
        if info.get("_status"):
            console.print(f"[red]{info.get('error', info)}[/red]")
            sys.exit(1)
        console.print(f"{info['ZoneName']} ({info['ZoneId']}): {info['State']}")

    command.__doc__ = {"outage": "Switch an AZ off: every node placed there stops, as in a power loss.",
                       "restore": "Switch an AZ back on: its nodes come back."}[action]
    return command


az.command("outage")(_zone_command("outage"))
az.command("restore")(_zone_command("restore"))


@main.group()
def elasticache() -> None:
    """ElastiCache helpers."""


@elasticache.command("ca-cert")
@click.option("--state-dir", type=click.Path(path_type=Path), default=None,
              help="State directory of the cloud (default: asked of the running cloud).")
@click.option("--endpoint", default=DEFAULT_ENDPOINT, show_default=True)
def elasticache_ca_cert(state_dir: Path | None, endpoint: str) -> None:
    """Print the PEM certificate of the local CA that signs the TLS nodes (TransitEncryptionEnabled).

    Give it to TLS clients as their CA file, e.g. redis-py's ssl_ca_certs or redis-cli --cacert."""
    from regionbox.core.tls import LocalCA, ca_directory

    if state_dir is None:
        state_dir = Path(_call(endpoint, "GET", "/_regionbox/status")["state_dir"])
    # A cloud creates its CA when it starts; for a state directory never served yet, the CA made
    # here is the one the cloud will use.
    click.echo(LocalCA(ca_directory(state_dir)).ensure().read_text(), nl=False)


if __name__ == "__main__":
    main()
