"""The servers for end-to-end tests: launcher.stack, shared with the benchmarks."""
from launcher.stack import ACTION_TOKEN, TOKEN, Stack, endpoints_file, free_port, wait_for

__all__ = ["ACTION_TOKEN", "TOKEN", "Stack", "endpoints_file", "free_port", "wait_for"]
