"""The candidate simulator: plausible answers to `ask` steps so runs finish by themselves (S27)."""

from __future__ import annotations

import random
import re

OPENERS = ("Hi! Yes, I'm interested.", "Hello, sure, tell me more.", "Hi, yes please!", "Hey, I saw the vacancy.")
YES_NO_START = re.compile(r"^\s*(do|does|are|is|can|could|have|has|will|would|did|may)\b", re.IGNORECASE)
CITIES = ("Utrecht", "Rotterdam", "Amsterdam", "Eindhoven", "Groningen", "Tilburg")


def option_label(option: object) -> str:
    """The visible text of a list option (a string or an object with text/title/value)."""
    if isinstance(option, dict):
        return str(option.get("text") or option.get("title") or option.get("value") or "")
    return str(option)


def signature(candidate: dict | None) -> str:
    """How a candidate signs their messages: their full name, or "Candidate" when unknown."""
    candidate = candidate or {}
    return " ".join(filter(None, [candidate.get("firstName"), candidate.get("lastName")])) or "Candidate"


def opener(rng: random.Random) -> str:
    """The candidate's first message, which lets the start node run."""
    return rng.choice(OPENERS)


def answer(action: dict, candidate: dict | None, thread: dict, rng: random.Random) -> str:
    """A made-up answer fitting the question: the first option, `yes`, or a detail about the candidate."""
    value = action.get("value") or {}
    options = value.get("options") or []
    if options:
        return option_label(options[0])
    candidate = candidate or {}
    key = f"{action.get('variableName') or ''} {value.get('text') or ''}".lower()
    first, last = candidate.get("firstName") or "Alex", candidate.get("lastName") or "Jansen"
    details = (
        (("first_name", "firstname", "first name", "voornaam"), first),
        (("last_name", "lastname", "last name", "surname", "achternaam"), last),
        (("name", "naam"), f"{first} {last}"),
        (("email", "e-mail", "mail"), candidate.get("email") or f"{first}.{last}@example.com".lower()),
        (("phone", "mobile", "telefoon", "number"),
         candidate.get("phone") or thread.get("identifier") or "31612345678"),
        (("postal", "zip", "postcode"), candidate.get("postalCode") or "3511 AB"),
        (("age", "leeftijd", "how old"), str(rng.randint(19, 58))),
        (("years", "experience", "ervaring"), str(rng.randint(1, 12))),
        (("hours", "uren"), str(rng.choice((24, 32, 36, 40)))),
        (("city", "location", "where", "woonplaats"), rng.choice(CITIES)),
        (("start", "available", "when", "date"), rng.choice(("Next Monday", "In two weeks", "From the 1st"))),
        (("salary", "wage", "pay"), str(rng.choice((2600, 2900, 3200, 3600)))),
    )
    for words, reply in details:
        if any(word in key for word in words):
            return reply
    if action.get("subType") == "location":
        return rng.choice(CITIES)
    if YES_NO_START.match(value.get("text") or ""):
        return "yes"
    return "Yes, that works for me."
