"""The hub: sockets indexed by channel, a push visits only its watchers, sockets reached reported to its owner."""

from __future__ import annotations

import grimp
import pytest

from dashboard.live.connection import Connection
from dashboard.live.hub import Hub


@pytest.fixture()
def hub(monkeypatch):
    monkeypatch.setattr(Hub, "_start_keeper", lambda self: None)  # the tests report; no keeper races them
    reports: list[dict[str, int]] = []
    hub = Hub(None, 3600, reports.append)
    hub.reports = reports
    return hub


def offers_seen(monkeypatch) -> list[tuple[Connection, int]]:
    """Record every push the hub makes (which socket, which seq), then let it through."""
    seen, push = [], Connection.push

    def recording(connection, seq, *args):
        seen.append((connection, seq))
        return push(connection, seq, *args)

    monkeypatch.setattr(Connection, "push", recording)
    return seen


def test_a_push_visits_only_the_sockets_that_watch_its_channel(hub, monkeypatch):
    runs = [hub.connect({"flowRuns"}) for _ in range(3)]
    one_run = hub.connect({"flowRuns:r1"})
    others = [hub.connect({"messageThreads"}) for _ in range(50)]
    seen = offers_seen(monkeypatch)
    assert hub.deliver({"event": "e1", "pushes": [["flowRuns", 7, '{"seq":7}']]}) == 3
    assert sorted(map(id, (connection for connection, _ in seen))) == sorted(map(id, runs))
    assert all(connection.frames for connection in runs)
    assert not one_run.frames and not any(connection.frames for connection in others)


def test_a_socket_watching_several_channels_of_one_event_counts_once(hub):
    both = hub.connect({"flowRuns", "flowRuns:r1"})
    hub.connect({"flowRuns:r1"})
    reached = hub.deliver({"event": "e1", "pushes": [["flowRuns", 1, "{}"], ["flowRuns:r1", 2, "{}"]]})
    assert reached == 2 and [seq for seq, _ in both.frames] == [1, 2]
    hub.write_tally()
    assert hub.reports == [{"e1": 2}]


def test_sockets_reached_go_to_the_owners_callback_and_wait_for_the_next_round_if_it_fails(hub):
    hub.connect({"flowRuns"})
    hub.deliver({"event": "e1", "pushes": [["flowRuns", 1, "{}"]]})
    failing = hub.on_reached

    def database_away(reached):
        raise OSError("database away")

    hub.on_reached = database_away
    with pytest.raises(OSError):
        hub.write_tally()
    hub.on_reached = failing
    hub.deliver({"event": "e1", "pushes": [["flowRuns", 2, "{}"]]})
    hub.write_tally()
    assert hub.reports == [{"e1": 2}]


def test_disconnect_forgets_the_socket_and_its_empty_channels(hub):
    first = hub.connect({"flowRuns", "flowRuns:r1"})
    second = hub.connect({"flowRuns"})
    assert len(hub) == 2
    hub.disconnect(first)
    hub.disconnect(first)  # twice (a handler's finally after a drop) is harmless
    assert len(hub) == 1 and hub.watchers == {"flowRuns": {second}}
    hub.disconnect(second)
    assert len(hub) == 0 and hub.watchers == {}


def test_drop_all_closes_every_socket_once(hub):
    connections = [hub.connect({"flowRuns", "home"}), hub.connect({"home"})]
    hub.drop_all(1012)
    assert [connection.close_code for connection in connections] == [1012, 1012]


def test_the_hub_imports_nothing_from_the_database():
    graph = grimp.build_graph("dashboard", cache_dir=None, exclude_type_checking_imports=True)
    assert not graph.chain_exists(importer="dashboard.live.hub", imported="dashboard.db", as_packages=True)
