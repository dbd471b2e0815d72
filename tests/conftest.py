import sys
from datetime import date
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from actions.ledger import AccountRepository  # noqa: E402
from commands.import_accounts import import_accounts  # noqa: E402
from demo.demo_ledger import write_demo_ledger  # noqa: E402
from tests.servers import Stack  # noqa: E402

TODAY = date(2026, 11, 22)


@pytest.fixture
def repository(tmp_path) -> AccountRepository:
    return AccountRepository(f"sqlite:///{tmp_path / 'accounts.db'}")


def load_demo_ledger(repository: AccountRepository, folder: Path, today: date = TODAY) -> None:
    csv_path = folder / "demo-ledger.csv"
    write_demo_ledger(str(csv_path), today)
    with open(csv_path, newline="") as handle:
        import_accounts(handle, repository)


@pytest.fixture
def demo_repository(repository, tmp_path) -> AccountRepository:
    load_demo_ledger(repository, tmp_path)
    return repository


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    """The real action server, Rasa server and debtor page, on free ports, over a demo ledger in SQLite."""
    workdir = tmp_path_factory.mktemp("stack")
    db_url = f"sqlite:///{workdir / 'accounts.db'}"
    load_demo_ledger(AccountRepository(db_url), workdir)
    running = Stack(workdir, db_url)
    try:
        running.start(extra_env={"COLLECTIONS_TODAY": TODAY.isoformat()})
        yield running
    finally:
        running.stop()
