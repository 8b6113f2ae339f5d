"""``regionbox discovery graph``: the server dependency graph as an SVG picture.

Read through the public API, as any user could (ListConfigurations for servers and applications,
ListServerNeighbors with ports for each server), then drawn without any library: each application
a labelled box holding its servers (servers in no application in a box of their own), each
server a node with its host name and id, each (source, destination, port) an arrow labelled
``:port ×count``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape

from regionbox.config import AwsCredentials

NODE_W, NODE_H, GAP, PAD, HEADER = 220, 46, 26, 18, 30
COLUMN_GAP = 140


@dataclass
class Graph:
    servers: dict[str, str] = field(default_factory=dict)  # id -> host name
    groups: list[tuple[str, list[str]]] = field(default_factory=list)  # (application name, server ids)
    edges: list[dict] = field(default_factory=list)  # NeighborConnectionDetail with port


def _pages(call, key: str, **kwargs) -> list:
    found, token = [], None
    while True:
        answer = call(**kwargs, **({"nextToken": token} if token else {}))
        found.extend(answer[key])
        token = answer.get("nextToken")
        if not token:
            return found


def collect(endpoint: str, region: str, credentials: AwsCredentials) -> Graph:
    import boto3

    client = boto3.client("discovery", endpoint_url=endpoint, region_name=region,
                          aws_access_key_id=credentials.access_key_id or "000000000000",
                          aws_secret_access_key=credentials.secret_access_key or "x",
                          aws_session_token=credentials.session_token or None)
    graph = Graph()
    for server in _pages(client.list_configurations, "configurations", configurationType="SERVER"):
        graph.servers[server["server.configurationId"]] = server.get("server.hostName", "")
    placed: set[str] = set()
    for application in _pages(client.list_configurations, "configurations", configurationType="APPLICATION",
                              orderBy=[{"fieldName": "application.name"}]):
        members = [s["server.configurationId"] for s in _pages(
            client.list_configurations, "configurations", configurationType="SERVER",
            filters=[{"name": "server.application.configurationId", "condition": "EQUALS",
                      "values": [application["application.configurationId"]]}])
            if s["server.configurationId"] not in placed]
        placed.update(members)
        graph.groups.append((application["application.name"], members))
    rest = [s for s in graph.servers if s not in placed]
    if rest:
        graph.groups.append(("(no application)", rest))
    seen = set()
    for server in graph.servers:
        for edge in _pages(client.list_server_neighbors, "neighbors", configurationId=server, portInformationNeeded=True):
            key = (edge["sourceServerId"], edge["destinationServerId"], edge.get("destinationPort"))
            if key not in seen:
                seen.add(key)
                graph.edges.append(edge)
    return graph


def render(graph: Graph) -> str:
    """The SVG document."""
    boxes, centres = [], {}
    x = PAD
    height = 0
    for name, members in graph.groups:
        box_h = HEADER + len(members) * (NODE_H + GAP) + PAD
        boxes.append((x, PAD, NODE_W + 2 * PAD, box_h, name))
        for i, server in enumerate(members):
            top = PAD + HEADER + i * (NODE_H + GAP)
            centres[server] = (x + PAD, top)
        height = max(height, PAD + box_h)
        x += NODE_W + 2 * PAD + COLUMN_GAP
    width = max(x - COLUMN_GAP + PAD, 300)
    height += PAD + 20
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
           "<title>Server dependency graph (Application Discovery Service)</title>",
           '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" '
           'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#555"/></marker></defs>']
    for bx, by, bw, bh, name in boxes:
        out.append(f'<g class="application"><rect x="{bx}" y="{by}" width="{bw}" height="{bh}" rx="8" fill="#f3f6fb" '
                   f'stroke="#8aa4c8"/><text x="{bx + 10}" y="{by + 20}" font-weight="bold">{escape(name)}</text></g>')
    for index, edge in enumerate(graph.edges):
        source, destination = edge["sourceServerId"], edge["destinationServerId"]
        if source not in centres or destination not in centres:
            continue
        (sx, sy), (dx, dy) = centres[source], centres[destination]
        start = (sx + NODE_W, sy + NODE_H / 2) if dx > sx else (sx, sy + NODE_H / 2)
        end = (dx, dy + NODE_H / 2) if dx > sx else (dx + NODE_W, dy + NODE_H / 2)
        if dx == sx:  # same column: bow out to the right
            start, end = (sx + NODE_W, sy + NODE_H / 2), (dx + NODE_W, dy + NODE_H / 2)
            control = (sx + NODE_W + 60 + 15 * (index % 3), (start[1] + end[1]) / 2)
        else:
            control = ((start[0] + end[0]) / 2, (start[1] + end[1]) / 2 - 30 - 12 * (index % 3))
        label = f":{edge.get('destinationPort', '?')} ×{edge['connectionsCount']}"
        mid = (0.25 * start[0] + 0.5 * control[0] + 0.25 * end[0], 0.25 * start[1] + 0.5 * control[1] + 0.25 * end[1])
        out.append(f'<g class="edge"><path d="M {start[0]:.0f} {start[1]:.0f} Q {control[0]:.0f} {control[1]:.0f} '
                   f'{end[0]:.0f} {end[1]:.0f}" fill="none" stroke="#555" stroke-width="1.5" marker-end="url(#arrow)"/>'
                   f'<text x="{mid[0]:.0f}" y="{mid[1] - 4:.0f}" text-anchor="middle" fill="#333">{escape(label)}</text></g>')
    for server, (nx, ny) in centres.items():
        out.append(f'<g class="server" id="{escape(server)}"><rect x="{nx}" y="{ny}" width="{NODE_W}" height="{NODE_H}" '
                   f'rx="6" fill="#ffffff" stroke="#2f5d9b"/>'
                   f'<text x="{nx + 10}" y="{ny + 19}" font-weight="bold">{escape(graph.servers.get(server) or server)}</text>'
                   f'<text x="{nx + 10}" y="{ny + 36}" fill="#666" font-size="10">{escape(server)}</text></g>')
    out.append("</svg>")
    return "\n".join(out) + "\n"
