"""Transition conditions (S28): a small JavaScript-like expression language, parsed, never eval'd."""

from __future__ import annotations

import re
from typing import Any

TOKEN = re.compile(r"""\s*(?:
    (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
  | (?P<number>-?\d+(?:\.\d+)?)
  | (?P<op>===|!==|==|!=|<=|>=|&&|\|\||[<>!()])
  | (?P<word>[A-Za-z_][\w.\-]*)
)""", re.VERBOSE)
COMPARISONS = ("===", "!==", "==", "!=", "<", "<=", ">", ">=")
ESCAPES = {"n": "\n", "t": "\t"}
MAX_LENGTH = 2000


class ConditionError(ValueError):
    """A condition that cannot be parsed."""


def tokenize(text: str) -> list[tuple[str, str]]:
    """The condition's tokens as (kind, text) pairs."""
    tokens, position = [], 0
    text = text.rstrip()
    while position < len(text):
        match = TOKEN.match(text, position)
        if not match or match.end() == position:
            raise ConditionError(f"unexpected character at position {position + 1}: {text[position:position + 10]!r}")
        kind = match.lastgroup
        tokens.append((kind, match.group(kind)))
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens, self.position = tokens, 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise ConditionError("the condition ends too early")
        self.position += 1
        return token

    def binary(self, operator: str, operand) -> tuple:
        node = operand()
        while self.peek() == ("op", operator):
            self.take()
            node = (operator, node, operand())
        return node

    def expression(self) -> tuple:
        return self.binary("||", lambda: self.binary("&&", self.unary))

    def unary(self) -> tuple:
        if self.peek() == ("op", "!"):
            self.take()
            return ("!", self.unary())
        left = self.primary()
        token = self.peek()
        if token and token[0] == "op" and token[1] in COMPARISONS:
            self.take()
            node = (token[1], left, self.primary())
            following = self.peek()
            if following and following[0] == "op" and following[1] in COMPARISONS:
                raise ConditionError("comparisons cannot be chained; use && between them")
            return node
        return left

    def primary(self) -> tuple:
        kind, text = self.take()
        if (kind, text) == ("op", "("):
            node = self.expression()
            if self.take() != ("op", ")"):
                raise ConditionError("a parenthesis is not closed")
            return node
        if kind == "string":
            return ("value", re.sub(r"\\(.)", lambda m: ESCAPES.get(m.group(1), m.group(1)), text[1:-1]))
        if kind == "number":
            return ("value", float(text) if "." in text else int(text))
        if kind == "word":
            literals = {"true": True, "false": False, "null": None, "undefined": None}
            if text in literals:
                return ("value", literals[text])
            if text.startswith("session."):
                return ("var", text[len("session."):])
            return ("value", text)  # bare words are strings (S28)
        raise ConditionError(f"unexpected {text!r}")


def parse(text: str) -> tuple:
    """The syntax tree of a condition; ConditionError when it cannot be read."""
    if len(text) > MAX_LENGTH:
        raise ConditionError(f"the condition is longer than {MAX_LENGTH} characters")
    tokens = tokenize(text)
    if not tokens:
        raise ConditionError("the condition is empty")
    parser = _Parser(tokens)
    try:
        tree = parser.expression()
    except RecursionError:
        raise ConditionError("the condition nests too deeply") from None
    if parser.peek() is not None:
        raise ConditionError(f"unexpected {parser.peek()[1]!r}")
    return tree


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return value
    try:
        return float(str(value).strip())
    except ValueError:
        return None


def _truthy(value: Any) -> bool:
    return value not in (None, False, 0, "")


def _compare(operator: str, left: Any, right: Any) -> bool:
    if operator in ("===", "=="):
        # Strict equality: 1 equals 1.0, but "1" does not equal 1 and true does not equal 1.
        numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (left, right))
        return left == right if numbers else (type(left) is type(right) and left == right)
    if operator in ("!==", "!="):
        return not _compare("===", left, right)
    a, b = _number(left), _number(right)
    if a is None or b is None:
        if isinstance(left, str) and isinstance(right, str):
            a, b = left, right
        else:
            return False
    return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[operator]


def evaluate(tree: tuple, session: dict) -> bool:
    """Whether a parsed condition holds for a run's state (a missing variable is null)."""
    return _truthy(_value(tree, session))


def _value(tree: tuple, session: dict) -> Any:
    kind = tree[0]
    if kind == "value":
        return tree[1]
    if kind == "var":
        return session.get(tree[1])
    if kind == "!":
        return not _truthy(_value(tree[1], session))
    if kind == "&&":
        return _truthy(_value(tree[1], session)) and _truthy(_value(tree[2], session))
    if kind == "||":
        return _truthy(_value(tree[1], session)) or _truthy(_value(tree[2], session))
    return _compare(kind, _value(tree[1], session), _value(tree[2], session))


def holds(condition: str | None, session: dict) -> bool:
    """Whether a transition's condition holds; null or blank always does."""
    if condition is None or not condition.strip():
        return True
    return evaluate(parse(condition), session)
