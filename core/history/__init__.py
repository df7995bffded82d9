"""History: what the console remembers across sessions (SQLite, or InfluxDB when configured)."""
