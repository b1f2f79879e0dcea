"""The legacy source: its DDL, the read-only role, and the deterministic generator."""
