"""The daemon: the reconcile loop and the HTTP API in one process (DESIGN.md §4, §5)."""
