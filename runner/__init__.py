"""The cutover runner: the phased dbt cutover, its gates, audit trail, rollback and reports.

The development tools (legacy generator, local servers, benchmark) are the separate
distribution legacy-cutover-dev (devtools/)."""

__version__ = "0.1.0"
