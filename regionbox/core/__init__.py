"""Service-independent building blocks: context, state, ids, topology, events, audit."""
