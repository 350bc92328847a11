"""What the tests of lists read from the read model share: the recruiter's spellings from issue 18, the rows of a
list page, and which threads a search should find in the API's data, and a dashboard whose read model a sync filled."""

from __future__ import annotations

import re
import uuid

from flask import Flask

from dashboard import create_app
from dashboard.db import users
from dashboard.db.upsert import fold
from dashboard.recrubo.relations import related_id
from dashboard.recrubo.sync import sync_once
from tests.support.servers import remote_api

SPELLINGS = ["chloe", "DEKKER", "Groot", "de groot", "stijn van dijk", "ozturk", "Joao"]


def row_ids(html: str, prefix: str) -> list[str]:
    """The ids of the rows of one kind, in page order."""
    return re.findall(rf'<tr id="{prefix}-([0-9a-f-]{{36}})"', html)


def expected_threads(snapshot: dict, typed: str) -> set[str]:
    """The threads whose candidate's name, phone or e-mail, or whose own identifier (a Messenger id), contains
    `typed`, case and accents ignored."""
    wanted = " ".join(fold(typed).split())
    people = {person.id for person in snapshot["candidates"] if wanted in fold(" ".join(
        str(person.get(name) or "") for name in ("firstName", "lastName", "phone", "email")))
        or wanted in fold(f"{person.get('firstName') or ''} {person.get('lastName') or ''}")}
    return {thread.id for thread in snapshot["threads"]
            if related_id(thread, "candidate") in people or wanted in fold(str(thread.get("identifier") or ""))}


def synced_app(request, tmp_path_factory, sandbox_server, name: str, email: str) -> Flask:
    """An in-process dashboard on the standalone sandbox whose read model (SQLite, or Postgres when the fixture's
    param says so) was filled by one full sync, with a recruiter `email` (password "a long password")."""
    instance = tmp_path_factory.mktemp(name) / "instance"
    label = f"{name.replace('-', '_')[:10]}_{uuid.uuid4().hex[:16]}"
    database = {} if request.param == "sqlite" else {
        "DATABASE_URL": request.getfixturevalue("postgres").fresh_database(label)}
    app = create_app({"INSTANCE_PATH": str(instance), **database, **remote_api(f"{sandbox_server.url}/public/v2")})
    with app.app_context():
        users.create_user(email, "a long password")
    assert sync_once(app, full=True).ran
    return app
