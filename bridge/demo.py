"""`make demo`: the main job end to end, printed for a person.

Until the sync pipeline lands (issue 7) the demo creates or upgrades the embedded store and
shows what it holds; issue 7 makes it the real main job against the simulators.
"""

from __future__ import annotations

from bridge.settings import display_database_url, load_settings
from bridge.store import database, queries


def run_demo() -> int:
    settings = load_settings()
    url = settings.effective_database_url
    print(f"Store: {display_database_url(url)}")
    database.upgrade(url)
    print(f"Schema at revision {database.current_revision(url)} (Alembic)")
    engine = database.connect(url)
    try:
        print(queries.render_summary(queries.store_summary(engine)))
    finally:
        engine.dispose()
    print("The sync pipeline (simulators → ingest → reconcile → push) arrives with issue 7.")
    return 0
