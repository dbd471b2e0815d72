"""The creditor's configuration (``policy/creditor.yml``): who we collect for, how debtors pay, how the page looks.

One loader for the action server and the debtor page's web server; a mistake raises ``PolicyError`` naming it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Dict, Optional

from actions.account_reference import AccountReferenceFormat
from actions.language import texts
from actions.policy_files import load_policy, load_policy_file, require

SOURCE = "policy/creditor.yml"
REQUIRED_TEXT = ("creditor_name", "assistant_name", "collection_disclosure", "support_phone", "support_hours")
PAYMENT_METHODS = ("bank_transfer", "payment_link", "card_by_phone")
COLOUR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
LOGO_FILE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*\.(?:svg|png|jpg|jpeg|webp)$")
DEFAULT_BRANDING = {"primary_colour": "#0b5cad", "accent_colour": "#f2f6fb", "logo": "logo.svg"}
DARK_TEXT, LIGHT_TEXT = "#1b1f24", "#ffffff"


def _luminance(colour: str) -> float:
    hex_digits = colour[1:]
    if len(hex_digits) == 3:
        hex_digits = "".join(c * 2 for c in hex_digits)
    channels = [int(hex_digits[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio between two #rgb / #rrggbb colours."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


@dataclass(frozen=True)
class Branding:
    primary_colour: str
    accent_colour: str
    logo: str  # a file name in web/static/

    @classmethod
    def from_yaml(cls, data: Any, source: str = SOURCE) -> "Branding":
        require(data is None or isinstance(data, dict), source, "branding must be a mapping")
        values = {**DEFAULT_BRANDING, **(data or {})}
        unknown = sorted(set(values) - set(DEFAULT_BRANDING))
        require(not unknown, source, f"branding has unknown key(s) {unknown}; known: {sorted(DEFAULT_BRANDING)}")
        for key in ("primary_colour", "accent_colour"):
            require(isinstance(values[key], str) and bool(COLOUR.match(values[key])), source,
                    f"branding.{key} must be a colour like #0b5cad, not {values[key]!r}")
        require(isinstance(values["logo"], str) and bool(LOGO_FILE.match(values["logo"])), source,
                f"branding.logo must be a file name ending .svg, .png, .jpg, .jpeg or .webp, not {values['logo']!r}")
        return cls(**values)

    def require_logo_in(self, folder: Path, source: str = SOURCE) -> None:
        require((folder / self.logo).is_file(), source, f"branding.logo {self.logo!r} is not a file in {folder}")

    def css_variables(self) -> Dict[str, str]:
        """The page's colours, with text colours derived so any configured pair meets WCAG AA (4.5:1)."""
        primary, accent = self.primary_colour, self.accent_colour
        return {
            "--primary": primary,
            "--accent": accent,
            "--on-primary": LIGHT_TEXT if contrast(primary, LIGHT_TEXT) >= contrast(primary, DARK_TEXT) else DARK_TEXT,
            "--on-accent": DARK_TEXT if contrast(accent, DARK_TEXT) >= contrast(accent, LIGHT_TEXT) else LIGHT_TEXT,
            # Primary used as text / outlines on the white page: only if it is dark enough.
            "--primary-ink": (primary if contrast(primary, LIGHT_TEXT) >= 4.5 and contrast(primary, accent) >= 4.5
                              else DARK_TEXT),
        }


@dataclass(frozen=True)
class Creditor:
    creditor_name: str
    assistant_name: str
    collection_disclosure: str
    support_phone: str
    support_hours: str
    payment_instructions: Dict[str, str]
    branding: Branding
    account_reference: AccountReferenceFormat

    @classmethod
    def from_yaml(cls, data: Optional[Dict[str, Any]] = None, source: str = SOURCE) -> "Creditor":
        data = load_policy("creditor.yml") if data is None else data
        for key in REQUIRED_TEXT:
            require(isinstance(data.get(key), str) and data[key].strip(), source, f"{key} must be set")
        payment = data.get("payment_instructions") or {}
        require(isinstance(payment, dict), source, "payment_instructions must be a mapping")
        missing = [m for m in PAYMENT_METHODS if not isinstance(payment.get(m), str)]
        require(not missing, source, f"payment_instructions needs: {', '.join(missing)}")
        return cls(**{k: data[k] for k in REQUIRED_TEXT}, payment_instructions=dict(payment),
                   branding=Branding.from_yaml(data.get("branding"), source),
                   account_reference=AccountReferenceFormat.from_yaml(data.get("account_reference"), source))

    def page_config(self) -> Dict[str, str]:
        """What the debtor page shows: names, colours and the logo's URL under ``/static/``."""
        return {"creditor_name": self.creditor_name, "assistant_name": self.assistant_name,
                "primary_colour": self.branding.primary_colour, "accent_colour": self.branding.accent_colour,
                "logo_url": f"/static/{self.branding.logo}"}

    def in_language(self, language: Optional[str] = None) -> "Creditor":
        """This creditor with the wording of ``language`` (default: the conversation's), policy/<code>/policy.yml."""
        local = texts(language)
        if local is None:
            return self
        wording = local.creditor
        return replace(self, assistant_name=wording["assistant_name"],
                       collection_disclosure=wording["collection_disclosure"],
                       support_hours=wording["support_hours"],
                       payment_instructions={**self.payment_instructions, **wording["payment_instructions"]},
                       account_reference=replace(self.account_reference,
                                                 description=wording["reference_description"]))

    def contact(self) -> Dict[str, str]:
        return {"support_phone": self.support_phone, "support_hours": self.support_hours}

    def payment_details(self, account_id: str) -> Dict[str, str]:
        return {k: v.replace("{account_id}", account_id) for k, v in self.payment_instructions.items()}


def load_creditor(path: Optional[Path] = None) -> Creditor:
    """``policy/creditor.yml`` (or ``path``), validated; raises ``PolicyError`` naming the file and the problem."""
    if path is None:
        return Creditor.from_yaml()
    return Creditor.from_yaml(load_policy_file(Path(path)), source=str(path))

