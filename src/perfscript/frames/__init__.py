"""Traces as data: columnar tables of a recording's events (being written)."""
