"""Loading of the YAML policy files in ``policy/`` with loud, specific errors."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Dict

import yaml

PROJECT_ROOT = Path(__file__).resolve().parent.parent
POLICY_DIR = Path(os.environ.get("POLICY_DIR", PROJECT_ROOT / "policy"))


class PolicyError(ValueError):
    """A policy file is missing, unreadable or breaks a rule. The message names the file and the problem."""


def load_policy(name: str) -> Dict[str, Any]:
    """``policy/<name>`` (or ``$POLICY_DIR/<name>``) as a mapping."""
    return load_policy_file(POLICY_DIR / name)


def load_policy_file(path: Path) -> Dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as handle:
            data = yaml.safe_load(handle)
    except FileNotFoundError as exc:
        raise PolicyError(f"{path}: file not found") from exc
    except yaml.YAMLError as exc:
        raise PolicyError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise PolicyError(f"{path}: expected a mapping at the top level")
    return data


def require(condition: bool, source: str, message: str) -> None:
    if not condition:
        raise PolicyError(f"{source}: {message}")
