"""`rasa` with launcher/rasa_patches.py applied first: the command the launcher starts the Rasa server with.

    python -m launcher.rasa_server run --model models/current.tar.gz ...   (same arguments as `rasa`)
"""
from __future__ import annotations

import sys

from launcher import rasa_patches


def main() -> None:
    rasa_patches.apply()
    from rasa.__main__ import main as rasa_main
    sys.argv[0] = "rasa"
    rasa_main()


if __name__ == "__main__":
    main()
