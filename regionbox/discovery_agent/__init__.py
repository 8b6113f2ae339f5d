"""regionbox's discovery agent: ``regionbox discovery-agent --endpoint http://127.0.0.1:4566``.

It inventories the host it runs on for Application Discovery Service, as AWS's Discovery Agent
does: configuration (host name, OS name and version, CPU type and count, RAM, disks, network
interfaces with addresses and MACs), utilisation over time (CPU, free memory, disk and network
throughput), processes and TCP connections. It registers with the service, shows up in
DescribeAgents, collects once StartDataCollectionByAgentIds reaches it, buffers on disk and
retries while the cloud is down, and keeps its host's identity across restarts.

- host.py: what it sees of the host (psutil, unprivileged; what root adds is said there)
- spool.py: the on-disk buffer
- transport.py: signed calls to the agent-ingest route (services/discovery/ingest.py)
- agent.py: the loop and its intervals
"""
