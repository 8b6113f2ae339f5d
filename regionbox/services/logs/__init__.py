"""CloudWatch Logs: log groups, streams, events in an indexed SQLite table, filter patterns."""
