"""The shape of an account reference, from ``policy/creditor.yml``: found in what people write, normalised for the ledger.

The canonical form is upper case with a dash between a leading run of letters and the digits ("ac900001" ->
"AC-900001"); the configured pattern must match that form. Matching ignores case, and a reference is only
found as a whole word, so a bare number is a reference only if the pattern allows one.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Dict, Optional

from actions.policy_files import PolicyError, require

LETTERS_THEN_DIGITS = re.compile(r"^([A-Z]+)-?([0-9]+)$")
# Where the NLU entity regex lives; it must be this pattern between word boundaries (Rasa needs its own copy).
NLU_REGEX_FILE = "data/nlu/regex.yml"


@dataclass(frozen=True)
class AccountReferenceFormat:
    pattern: str
    description: str

    @classmethod
    def from_yaml(cls, data: Any, source: str) -> "AccountReferenceFormat":
        require(isinstance(data, dict), source, "account_reference needs 'pattern' and 'description'")
        pattern, description = data.get("pattern"), data.get("description")
        require(isinstance(pattern, str) and pattern.strip(), source, "account_reference.pattern must be set")
        require(isinstance(description, str) and description.strip(), source,
                "account_reference.description must say in words what a reference looks like")
        try:
            re.compile(pattern)
        except re.error as exc:
            raise PolicyError(f"{source}: account_reference.pattern is not a valid regular expression: {exc}") from None
        return cls(pattern, description.strip())

    @property
    def nlu_regex(self) -> str:
        """The entity regex ``data/nlu/regex.yml`` must hold for ``account_id``."""
        return rf"\b{self.pattern}\b"

    def _whole(self) -> "re.Pattern[str]":
        return re.compile(rf"(?:{self.pattern})\Z", re.IGNORECASE)

    def _search(self) -> "re.Pattern[str]":
        return re.compile(rf"(?<![A-Za-z0-9])(?:{self.pattern})(?![A-Za-z0-9])", re.IGNORECASE)

    @staticmethod
    def canonical(text: str) -> str:
        upper = text.strip().upper()
        match = LETTERS_THEN_DIGITS.match(upper)
        return f"{match.group(1)}-{match.group(2)}" if match else upper

    def normalise_id(self, text: Any) -> Optional[str]:
        """The canonical id if ``text`` is exactly one reference (as in a ledger column), else None."""
        if not isinstance(text, str) or not self._whole().match(text.strip()):
            return None
        canonical = self.canonical(text)
        return canonical if self._whole().match(canonical) else None

    def find(self, text: Any) -> Optional[str]:
        """The first reference written anywhere in ``text``, normalised; None when there is none."""
        if not isinstance(text, str):
            return None
        for match in self._search().finditer(text):
            found = self.normalise_id(match.group(0))
            if found:
                return found
        return None

    def remove(self, text: str) -> str:
        """``text`` without any reference in it (so its digits are not read as a date)."""
        return self._search().sub(" ", text)


def check_nlu_regex(references: AccountReferenceFormat, nlu: Dict[str, Any], source: str = NLU_REGEX_FILE) -> None:
    """Fails loudly unless the NLU entity regex for ``account_id`` is exactly the configured pattern."""
    entries = [item for item in nlu.get("nlu") or [] if isinstance(item, dict) and item.get("regex") == "account_id"]
    examples = [line.strip()[2:].strip() for entry in entries
                for line in str(entry.get("examples") or "").splitlines() if line.strip().startswith("- ")]
    require(examples == [references.nlu_regex], source,
            f"the account_id regex must be exactly {references.nlu_regex!r} "
            f"(policy/creditor.yml account_reference.pattern between \\b), found {examples}")
