from dataclasses import dataclass

import pytest

from regionbox.core.store import Store


@dataclass
class Thing:
    name: str
    size: int = 0


def test_documents_survive_reopening(tmp_path):
    store = Store(tmp_path / "state.db")
    things = store.collection("things", Thing)
    things.put(("111111111111", "us-east-1"), "a", Thing("a", 1))
    things.put(("111111111111", "us-east-1"), "b", Thing("b", 2))
    things.put(("222222222222", "us-east-1"), "a", Thing("a", 3))
    thing = things.get(("111111111111", "us-east-1"), "a")
    thing.size = 10
    things.put(("111111111111", "us-east-1"), "a", thing)
    store.close()

    reopened = Store(tmp_path / "state.db").collection("things", Thing)
    assert [t.name for t in reopened.values(("111111111111", "us-east-1"))] == ["a", "b"]
    assert reopened.get(("111111111111", "us-east-1"), "a") == Thing("a", 10)
    assert reopened.get(("222222222222", "us-east-1"), "a") == Thing("a", 3)
    assert reopened.get(("222222222222", "eu-west-1"), "a") is None


def test_transaction_rolls_back_memory_and_disk(tmp_path):
    store = Store(tmp_path / "state.db")
    things = store.collection("things", Thing)
    things.put(("1", "r"), "kept", Thing("kept"))
    with pytest.raises(RuntimeError):
        with store.transaction():
            things.put(("1", "r"), "lost", Thing("lost"))
            things.delete(("1", "r"), "kept")
            raise RuntimeError("boom")
    assert [t.name for t in things.values(("1", "r"))] == ["kept"]
    assert [t.name for t in Store(tmp_path / "state.db").collection("things", Thing).values(("1", "r"))] == ["kept"]


def test_reset_empties_collections_and_service_tables(tmp_path):
    store = Store(tmp_path / "state.db")
    things = store.collection("things")
    store.execute("CREATE TABLE extra (x)")
    store.execute("INSERT INTO extra VALUES (1)")
    store.on_reset(lambda: store.execute("DELETE FROM extra"))
    things.put(("1", "r"), "a", {"x": 1})
    store.reset()
    assert things.values(("1", "r")) == []
    assert store.execute("SELECT count(*) FROM extra").fetchone()[0] == 0


def test_insertion_order_is_kept_across_updates(tmp_path):
    store = Store(tmp_path / "state.db")
    things = store.collection("things")
    for name in "cab":
        things.put(("1", "r"), name, {"n": name})
    things.put(("1", "r"), "c", {"n": "c2"})
    assert [k for k, _ in Store(tmp_path / "state.db").collection("things").items(("1", "r"))] == ["c", "a", "b"]
