"""Transition conditions follow the JavaScript-like grammar of S28 and are never eval'd."""

from __future__ import annotations

import pytest

from sandbox.conditions import ConditionError, holds, parse

SESSION = {"first_name": "Jan", "age": "27", "licence": "no", "hours": 32, "ok": True, "empty": ""}
HOLDING = [
    ("session.first_name === should_be_name", False),
    ('session.first_name === "Jan"', True),
    ("session.first_name == 'Jan'", True),
    ("session.first_name !== Jan", False),
    ("session.first_name != Piet", True),
    ("session.age >= 18", True),
    ("session.age < 18", False),
    ("session.hours > 24 && session.hours <= 40", True),
    ("session.licence === no || session.age > 60", True),
    ("!(session.licence === no)", False),
    ("!session.missing", True),
    ("session.missing === null", True),
    ("session.missing == undefined", True),
    ("session.ok === true", True),
    ("session.ok === 1", False),
    ("session.hours === 32.0", True),
    ("session.age === 27", False),
    ("session.empty", False),
    ("session.first_name", True),
    ("((session.age > 20))", True),
    (None, True),
    ("  ", True),
]
UNPARSABLE = ["session.age >", "(session.age > 1", "a == b == c", "session.age > 1 )", "$x", "a b", "'open",
              "session.age >> 3", "&& session.ok", "a" * 2001]


@pytest.mark.parametrize("condition,expected", HOLDING)
def test_condition_holds_as_javascript_would(condition, expected):
    assert holds(condition, SESSION) is expected


@pytest.mark.parametrize("condition", UNPARSABLE)
def test_unparsable_condition_is_refused(condition):
    with pytest.raises(ConditionError):
        parse(condition)


def test_condition_cannot_reach_python():
    assert holds("__import__ === os", {}) is False
    with pytest.raises(ConditionError):
        parse("session.__class__()")
