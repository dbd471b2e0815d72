"""Rasa input channels: the REST channel that keeps typed text from acting as a command."""
