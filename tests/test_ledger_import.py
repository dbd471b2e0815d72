import io
import os
import subprocess
import sys
from decimal import Decimal

import pytest

from actions.ledger import AccountRepository, account_from_row
from actions.models import DEFAULT_DB_URL, AccountRow
from commands.csv_records import LedgerImportError
from commands.import_accounts import import_accounts, main
from demo.demo_ledger import demo_target
from demo.demo_ledger import main as demo_main
from tests.conftest import ROOT

HEADER = "account_id,full_name,date_of_birth,balance,currency,due_date,legal_action_allowed"
GOOD = HEADER + ",broken_promises,email\n" + \
    "AC-20001,Ana Silva,1980-01-31,100.50,usd,2026-10-01,true,2,ana@example.com\n" + \
    "ac-20002,Bo Chen,1975-12-01,2000,EUR,2026-11-20,false,,\n"


def test_good_file_loads_every_account_with_its_facts(repository):
    result = import_accounts(io.StringIO(GOOD), repository)
    assert result == {"rows": 2, "changed": 2}
    ana = repository.get("AC-20001")
    assert ana.full_name == "Ana Silva" and ana.balance == Decimal("100.50") and ana.currency == "USD"
    assert ana.legal_action_allowed is True and ana.broken_promises == 2 and ana.email == "ana@example.com"
    bo = repository.get("AC-20002")
    assert bo.broken_promises == 0 and bo.language == "en" and bo.email is None and not bo.legal_action_allowed


def test_importing_the_same_file_twice_changes_nothing(repository):
    import_accounts(io.StringIO(GOOD), repository)
    assert import_accounts(io.StringIO(GOOD), repository) == {"rows": 2, "changed": 0}
    assert repository.count() == 2


def test_a_changed_row_updates_the_account_by_id(repository):
    import_accounts(io.StringIO(GOOD), repository)
    updated = GOOD.replace("100.50", "80.00")
    assert import_accounts(io.StringIO(updated), repository)["changed"] == 1
    assert repository.get("AC-20001").balance == Decimal("80.00")


@pytest.mark.parametrize("row, expected", [
    ("AC-30001,X,1980-13-01,1,USD,2026-01-01,true", "line 3: date_of_birth '1980-13-01' is not a date"),
    ("AC-30001,X,1980-01-01,abc,USD,2026-01-01,true", "line 3: balance 'abc' is not a number"),
    ("AC-30001,X,1980-01-01,-5,USD,2026-01-01,true", "line 3: balance '-5' must be a number of 0 or more"),
    ("AC-30001,X,1980-01-01,5,DOLLARS,2026-01-01,true", "line 3: currency 'DOLLARS'"),
    ("AC-30001,X,1980-01-01,5,USD,2026-01-01,maybe", "line 3: legal_action_allowed 'maybe' must be true or false"),
    ("AC-30001,,1980-01-01,5,USD,2026-01-01,true", "line 3: full_name is empty"),
    ("AC-30001,X,1980-01-01,5,USD", "line 3: expected 7 fields, found 5"),
    ("AC-20001,X,1980-01-01,5,USD,2026-01-01,true", "line 3: account_id AC-20001 already appears on line 2"),
])
def test_a_malformed_file_is_rejected_whole_with_the_line_and_the_problem(repository, row, expected):
    text = HEADER + "\nAC-20001,Ana Silva,1980-01-31,100.50,USD,2026-10-01,true\n" + row + "\n"
    with pytest.raises(LedgerImportError) as error:
        import_accounts(io.StringIO(text), repository)
    assert any(p.startswith(expected) for p in error.value.problems), error.value.problems
    assert repository.count() == 0


def test_ids_of_every_configured_shape_load_in_their_canonical_form(repository):
    text = HEADER + "\nAC-900001,A,1980-01-01,5,USD,2026-01-01,true\nabc1234567890,B,1980-01-01,5,USD,2026-01-01,true\n" \
        "nw-1234,C,1980-01-01,5,USD,2026-01-01,false\n"
    assert import_accounts(io.StringIO(text), repository)["rows"] == 3
    assert [repository.get(i).full_name for i in ("AC-900001", "ABC-1234567890", "NW-1234")] == ["A", "B", "C"]


def test_ids_that_do_not_match_the_configured_pattern_are_rejected_naming_each_line(repository):
    text = HEADER + "\nAC-10023,A,1980-01-01,5,USD,2026-01-01,true\n90210,B,1980-01-01,5,USD,2026-01-01,true\n" \
        "AC-123,C,1980-01-01,5,USD,2026-01-01,true\nAC 10024,D,1980-01-01,5,USD,2026-01-01,true\n"
    with pytest.raises(LedgerImportError) as error:
        import_accounts(io.StringIO(text), repository)
    assert [p.split(":")[0] for p in error.value.problems] == ["line 3", "line 4", "line 5"]
    assert all("is not an account reference (two or three letters" in p for p in error.value.problems)
    assert repository.count() == 0


def test_the_same_account_written_two_ways_is_a_duplicate(repository):
    text = HEADER + "\nAC-10023,A,1980-01-01,5,USD,2026-01-01,true\nac10023,A,1980-01-01,5,USD,2026-01-01,true\n"
    with pytest.raises(LedgerImportError, match="line 3: account_id AC-10023 already appears on line 2"):
        import_accounts(io.StringIO(text), repository)


def test_missing_columns_and_empty_files_are_explained(repository):
    with pytest.raises(LedgerImportError, match="missing required column.*legal_action_allowed"):
        import_accounts(io.StringIO("account_id,full_name,date_of_birth,balance,currency,due_date\n"), repository)
    with pytest.raises(LedgerImportError, match="line 1: the file is empty"):
        import_accounts(io.StringIO(""), repository)


def test_command_line_reports_rejection_and_leaves_the_ledger_untouched(tmp_path, monkeypatch, capsys):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("ACCOUNTS_DB_URL", url)
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_text(GOOD)
    bad.write_text(GOOD + "AC-20003,Cy,not-a-date,1,USD,2026-01-01,true,0,\n")
    assert main([str(good)]) == 0
    assert "2 accounts read, 2 added or changed (2 in the ledger" in capsys.readouterr().out
    assert main([str(bad)]) == 1
    err = capsys.readouterr().err
    assert "nothing imported" in err and "line 4: date_of_birth 'not-a-date'" in err
    assert main([str(tmp_path / "missing.csv")]) == 1


def test_demo_ledger_covers_the_cases_the_demo_needs(demo_repository):
    from tests.conftest import TODAY
    assert demo_repository.count() >= 20
    with demo_repository.session() as session:
        accounts = [account_from_row(r) for r in session.query(AccountRow)]
    overdue = [a.days_overdue(TODAY) for a in accounts]
    assert min(overdue) <= 3 and max(overdue) >= 90
    assert any(a.broken_promises >= 2 for a in accounts)
    assert {a.legal_action_allowed for a in accounts} == {True, False}


def test_demo_accounts_go_only_into_the_default_ledger_or_where_asked(tmp_path, capsys):
    assert demo_target({}) == DEFAULT_DB_URL == demo_target({"ACCOUNTS_DB_URL": DEFAULT_DB_URL})
    production = "postgresql+psycopg2://collections:secret@db.internal:5432/collections"
    assert demo_target({"ACCOUNTS_DB_URL": production}) is None
    asked = f"sqlite:///{tmp_path / 'demo.db'}"
    assert demo_target({"ACCOUNTS_DB_URL": production, "DEMO_DB_URL": asked}) == asked

    assert demo_main([str(tmp_path / "skipped.csv")], {"ACCOUNTS_DB_URL": production}) == 0
    said = capsys.readouterr().out
    assert "Demo ledger skipped" in said and "secret" not in said and "DEMO_DB_URL" in said
    assert not (tmp_path / "skipped.csv").exists()


def test_demo_ledger_loads_where_demo_db_url_names(tmp_path):
    asked = f"sqlite:///{tmp_path / 'demo.db'}"
    env = {**os.environ, "ACCOUNTS_DB_URL": "postgresql+psycopg2://u:p@127.0.0.1:1/x", "DEMO_DB_URL": asked}
    done = subprocess.run([sys.executable, "-m", "demo.demo_ledger", str(tmp_path / "demo.csv")], cwd=ROOT, env=env,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert AccountRepository(asked).count() == 20
