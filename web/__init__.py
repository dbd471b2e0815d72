"""The debtor web page: a small first-party chat page served next to the Rasa server (see web/server.py)."""
