"""DynamoDB: tables, items, queries, transactions, PartiQL, streams and TTL on SQLite."""
