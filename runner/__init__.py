"""The cutover runner: local servers, the legacy generator and the phased dbt cutover."""

__version__ = "0.1.0"
