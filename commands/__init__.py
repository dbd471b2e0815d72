"""Command-line tools for operations and staff: ``python -m commands.<name>``."""
