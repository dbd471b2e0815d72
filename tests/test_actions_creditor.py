"""One loader of policy/creditor.yml for the action server and the debtor page's web server."""
import copy

import pytest
import yaml

from actions.creditor import Creditor, contrast, load_creditor
from actions.policy_files import PolicyError, load_policy
from tests.conftest import ROOT


def test_the_shipped_file_loads_with_branding_and_the_reference_shape():
    creditor = load_creditor()
    assert creditor.page_config() == {"creditor_name": "Northwind Supplies Ltd",
                                      "assistant_name": "Northwind payments assistant",
                                      "primary_colour": "#0b5cad", "accent_colour": "#f2f6fb",
                                      "logo_url": "/static/logo.svg"}
    creditor.branding.require_logo_in(ROOT / "web" / "static")
    assert creditor.account_reference.find("my ref is ac-900001") == "AC-900001"


def test_page_colours_always_meet_aa_contrast():
    for primary, accent in (("#0b5cad", "#f2f6fb"), ("#ffee00", "#000000"), ("#777", "#888")):
        data = copy.deepcopy(load_policy("creditor.yml"))
        data["branding"].update(primary_colour=primary, accent_colour=accent)
        css = Creditor.from_yaml(data).branding.css_variables()
        assert contrast(css["--primary"], css["--on-primary"]) >= 3.0
        assert contrast(css["--primary-ink"], "#ffffff") >= 4.5


@pytest.mark.parametrize("mutate, problem", [
    (lambda d: d["branding"].update(primary_colour="blue"), "branding.primary_colour must be a colour"),
    (lambda d: d["branding"].update(logo="../secrets.txt"), "branding.logo must be a file name"),
    (lambda d: d["branding"].update(font="Comic Sans"), "branding has unknown key"),
    (lambda d: d.update(branding=["red"]), "branding must be a mapping"),
    (lambda d: d.pop("account_reference"), "account_reference needs"),
    (lambda d: d["account_reference"].update(pattern="[A-Z"), "account_reference.pattern is not a valid regular expression"),
    (lambda d: d["account_reference"].update(description=""), "account_reference.description"),
    (lambda d: d.update(support_phone=""), "support_phone must be set"),
])
def test_mistakes_fail_loudly_naming_the_file(mutate, problem, tmp_path):
    data = copy.deepcopy(load_policy("creditor.yml"))
    mutate(data)
    path = tmp_path / "creditor.yml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(PolicyError, match=f"{path}: {problem}"):
        load_creditor(path)


def test_a_missing_logo_file_is_named(tmp_path):
    with pytest.raises(PolicyError, match="branding.logo 'logo.svg' is not a file in"):
        load_creditor().branding.require_logo_in(tmp_path)
