"""Today's date for the collections logic; ``COLLECTIONS_TODAY=YYYY-MM-DD`` pins it for tests and demos."""
import os
from datetime import date


def today() -> date:
    pinned = os.environ.get("COLLECTIONS_TODAY")
    return date.fromisoformat(pinned) if pinned else date.today()
