"""The regionbox command: up, status, az outage/restore, rds top, discovery-agent, discovery graph."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from functools import lru_cache
from pathlib import Path

import click

from regionbox import __version__
from regionbox.config import Config, client_endpoint

DEFAULT_ENDPOINT = client_endpoint()


@lru_cache(maxsize=None)
def _console():
    # rich costs ~20 ms to import: `regionbox up` prints its banner without it.
    from rich.console import Console

    return Console(highlight=False)


def _table(title: str, *columns: str):
    from rich.table import Table

    table = Table(title=title)
    for column in columns:
        table.add_column(column)
    return table


def _call(endpoint: str, method: str, path: str) -> dict:
    import urllib.error
    import urllib.request

    # X-Regionbox: what a web page cannot send, so the cloud knows the user asked (gateway/guard.py).
    request = urllib.request.Request(endpoint.rstrip("/") + path, method=method, data=b"" if method == "POST" else None,
                                     headers={"X-Regionbox": "1"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return json.loads(exc.read() or b"{}") | {"_status": exc.code}
    except OSError as exc:
        _console().print(f"[red]regionbox is not reachable at {endpoint}[/red]: {exc}")
        _console().print("Start it with [bold]regionbox up[/bold].")
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
    click.echo("regionbox stopped.")


def _loop_factory():
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def _print_banner(cloud) -> None:
    status = cloud.status()
    click.echo(click.style(f"regionbox {__version__}", fg="green", bold=True) + " ready on "
               + click.style(status["endpoint"], bold=True))
    click.echo(f"state: {status['state_dir']}{' (ephemeral)' if status['ephemeral'] else ''}")
    click.echo(f"IAM enforcement: {_enforcement(status['iam_enforcement'])}")
    click.echo(f"services: {', '.join(status['services'])} (each loads on first use)")
    for name, state in status["services"].items():
        if state.startswith("failed"):
            click.echo(click.style(f"{name}: {state}", fg="red"))
    for name, description in status["engines"].items():
        click.echo(f"engine {name}: {description}")
    click.echo("use it with: " + click.style(f"AWS_ENDPOINT_URL={status['endpoint']}", bold=True))


def _enforcement(mode: str) -> str:
    if mode == "on":
        return "on (users and roles get what their policies allow; REGIONBOX_IAM_ENFORCEMENT=0 turns it off)"
    if mode == "off":
        return "off (every key may do anything in its account; REGIONBOX_IAM_ENFORCEMENT=1 turns it on)"
    return mode


@main.command()
@click.option("--endpoint", default=DEFAULT_ENDPOINT, show_default=True)
@click.option("--operations", is_flag=True, help="List every operation of every served service, implemented or not (and why).")
@click.option("--service", "only", default=None, help="With --operations: only this service (botocore name, e.g. elasticache).")
def status(endpoint: str, operations: bool, only: str | None) -> None:
    """Show services, engines and the state directory of a running cloud."""
    if operations:
        _print_coverage(_call(endpoint, "GET", "/_regionbox/coverage")["services"], only)
        return
    info = _call(endpoint, "GET", "/_regionbox/status")
    table = _table(f"regionbox {info.get('version', '?')} at {endpoint}", "what", "state")
    table.add_row("state directory", info.get("state_dir", "?"))
    table.add_row("IAM enforcement", _enforcement(info.get("iam_enforcement", "?")))
    for name, state in info.get("services", {}).items():
        table.add_row(f"service {name}", state)
    for name, description in info.get("engines", {}).items():
        table.add_row(f"engine {name}", description)
    table.add_row("zones down", ", ".join(info.get("zones_down", [])) or "none")
    for failure in info.get("background_failures", []):
        table.add_row(f"failed: {failure['owner']}", f"{failure['what']}: {failure['error']}")
    _console().print(table)
    _console().print("every operation, implemented or not: regionbox status --operations")


def _print_coverage(services: dict, only: str | None) -> None:
    """The registration tables (GET /_regionbox/coverage) as tables: a summary, then each operation."""
    if only is not None and only not in services:
        raise click.BadParameter(f"not a served service: {only} (served: {', '.join(services)})", param_hint="--service")
    chosen = {name: report for name, report in services.items() if only in (None, name)}
    summary = _table("operations per service", "service", "implemented", "not implemented")
    for name, report in chosen.items():
        summary.add_row(name, str(len(report["implemented"])), str(len(report["not_implemented"])))
    _console().print(summary)
    for name, report in chosen.items():
        table = _table(name, "operation", "status")
        for operation in report["implemented"]:
            table.add_row(operation, "implemented")
        for operation, why in report["not_implemented"].items():
            table.add_row(operation, f"[red]not implemented[/red]: {why}")
        _console().print(table)


@main.group()
def az() -> None:
    """Switch Availability Zones off and on."""


@az.command("list")
@click.option("--region", default=None)
@click.option("--endpoint", default=DEFAULT_ENDPOINT, show_default=True)
def az_list(region: str | None, endpoint: str) -> None:
    info = _call(endpoint, "GET", "/_regionbox/az" + (f"?region={region}" if region else ""))
    table = _table(f"Availability Zones of {info.get('region')}", "ZoneName", "ZoneId", "State")
    for zone in info.get("zones", []):
        table.add_row(zone["ZoneName"], zone["ZoneId"], zone["State"])
    _console().print(table)


def _zone_command(action: str):
    @click.argument("zone")
    @click.option("--endpoint", default=DEFAULT_ENDPOINT, show_default=True)
    def command(zone: str, endpoint: str) -> None:
        info = _call(endpoint, "POST", f"/_regionbox/az/{zone}/{action}")
        if info.get("_status"):
            _console().print(f"[red]{info.get('error', info)}[/red]")
            sys.exit(1)
        click.echo(f"{info['ZoneName']} ({info['ZoneId']}): {info['State']}")

    command.__doc__ = {"outage": "Switch an AZ off: every node placed there stops, as in a power loss.",
                       "restore": "Switch an AZ back on: its nodes come back."}[action]
    return command


az.command("outage")(_zone_command("outage"))
az.command("restore")(_zone_command("restore"))


@main.command("ca-cert")
@click.option("--state-dir", type=click.Path(path_type=Path), default=None,
              help="State directory of the cloud (default: asked of the running cloud).")
@click.option("--endpoint", default=DEFAULT_ENDPOINT, show_default=True)
def ca_cert(state_dir: Path | None, endpoint: str) -> None:
    """Print the PEM certificate of the local CA that signs every TLS endpoint of the cloud
    (ElastiCache in-transit encryption, FTPS, HTTPS listeners).

    Give it to TLS clients as their CA file, e.g. redis-py's ssl_ca_certs or redis-cli --cacert."""
    from regionbox.core.tls import LocalCA, ca_directory

    if state_dir is None:
        state_dir = Path(_call(endpoint, "GET", "/_regionbox/status")["state_dir"])
    # The CA made here for a state directory never served yet is the one the cloud will use.
    click.echo(LocalCA(ca_directory(state_dir)).ensure().read_text(), nl=False)


@main.group()
def elasticache() -> None:
    """ElastiCache helpers."""


elasticache.add_command(ca_cert)


@main.group()
def rds() -> None:
    """RDS helpers."""


@rds.command("top")
@click.argument("instance")
@click.option("--region", default="us-east-1", show_default=True)
@click.option("--endpoint", default=DEFAULT_ENDPOINT, show_default=True)
@click.option("--once", is_flag=True, help="Print one frame and exit.")
def rds_top(instance: str, region: str, endpoint: str, once: bool) -> None:
    """The instance's load by wait event and its top SQL, live, as Performance Insights shows them."""
    from regionbox.services.rds.top import run

    try:
        run(endpoint, instance, region, once)
    except KeyboardInterrupt:
        pass


@main.command("discovery-agent")
@click.option("--endpoint", default=DEFAULT_ENDPOINT, show_default=True, help="The cloud to report to.")
@click.option("--region", default=None, help="The Migration Hub home Region (default: AWS_REGION / AWS_DEFAULT_REGION / the profile's).")
@click.option("--profile", default=None, help="A profile of ~/.aws/credentials (default: the AWS_* variables, else AWS_PROFILE).")
@click.option("--state-dir", type=click.Path(path_type=Path), default=None,
              help="Where the host id, agent id and buffered data are kept (default: the user's data directory).")
@click.option("--hostname", default=None, help="Report this host name instead of the machine's.")
@click.option("--host-id", default=None, help="This host identity instead of the one kept in the state directory.")
@click.option("--ip-address", "addresses", multiple=True,
              help="Shared-host mode: claim this address (repeatable); only its sockets and their processes are reported.")
@click.option("--heartbeat-interval", type=float, default=900.0, show_default=True, help="Seconds between pings (AWS: 15 minutes).")
@click.option("--sample-interval", type=float, default=15.0, show_default=True, help="Seconds between samples.")
@click.option("--upload-interval", type=float, default=900.0, show_default=True, help="Seconds between uploads.")
def discovery_agent(endpoint, region, profile, state_dir, hostname, host_id, addresses, heartbeat_interval,
                    sample_interval, upload_interval) -> None:
    """Inventory this host for Application Discovery Service (configuration, utilisation, processes,
    connections), as AWS's Discovery Agent does; runs until stopped (Ctrl-C, SIGTERM)."""
    import logging

    import platformdirs

    from regionbox.config import aws_credentials
    from regionbox.discovery_agent.agent import Agent, Intervals
    from regionbox.discovery_agent.host import Host
    from regionbox.discovery_agent.transport import Transport

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    credentials = aws_credentials(profile)
    region = region or credentials.region or "us-east-1"
    directory = state_dir or Path(platformdirs.user_data_dir("regionbox-discovery-agent"))
    agent = Agent(Transport(endpoint, credentials, region), directory, Host(hostname or "", tuple(addresses), 4 * sample_interval),
                  Intervals(heartbeat=heartbeat_interval, sample=sample_interval, upload=upload_interval), host_id)
    agent.stop_on_signals()
    click.echo(f"discovery agent for host {agent.host.host_name} (id {agent.host_id}) reporting to {endpoint} in "
               f"{region}; state in {directory}", err=True)
    agent.run()


@main.group()
def discovery() -> None:
    """Application Discovery Service helpers."""


@discovery.command("graph")
@click.option("--endpoint", default=DEFAULT_ENDPOINT, show_default=True)
@click.option("--region", default=None, help="The home Region (default: AWS_REGION / AWS_DEFAULT_REGION).")
@click.option("--profile", default=None)
@click.option("--output", "-o", type=click.Path(path_type=Path), default=Path("discovery-graph.svg"), show_default=True)
def discovery_graph(endpoint, region, profile, output) -> None:
    """Write the server dependency graph (servers grouped by application, edges with ports and
    connection counts) as SVG, and print where."""
    from regionbox.config import aws_credentials
    from regionbox.services.discovery.graph import collect, render

    credentials = aws_credentials(profile)
    graph = collect(endpoint, region or credentials.region or "us-east-1", credentials)
    output.write_text(render(graph))
    click.echo(str(output.resolve()))


if __name__ == "__main__":
    main()
