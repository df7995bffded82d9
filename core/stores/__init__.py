"""The team's stores: InfluxDB (alert history sink, trend counts) and Neo4j (topology).

Both are optional and off unless configured. Secrets (tokens, passwords) come
from an environment variable or a file, are held in `Secret` (whose repr is
masked) and are never logged, shown or written to settings.
"""
