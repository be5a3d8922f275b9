"""A small GBNF matcher in pure Python, for testing grammars without loading a model.

It covers the GBNF subset ``nodes/grammar.py`` writes: string literals, character classes
(negated, ranges, escapes), rule references, groups, alternation and the ``* + ? {m,n}`` suffixes. It
answers whether a grammar accepts a whole string; llama.cpp's own engine is tested on a real model
in ``tests/test_grammar.py``.
"""

import re
from functools import cache

_TOKEN = re.compile(
    r'\s*(?:(?P<rule>[A-Za-z][\w-]*)\s*::=|(?P<ref>[A-Za-z][\w-]*)|(?P<lit>"(?:\\.|[^"\\])*")'
    r"|(?P<cls>\[(?:\\.|[^\]\\])*\])|(?P<op>[()|*+?]|\{\d+,\d+\}))"
)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "]": "]", "[": "[", "-": "-", "^": "^"}


def _unescape(text: str) -> list[str]:
    chars, i = [], 0
    while i < len(text):
        if text[i] == "\\":
            chars.append(_ESCAPES[text[i + 1]])
            i += 2
        else:
            chars.append(text[i])
            i += 1
    return chars


def _char_class(body: str):
    negated = body.startswith("^")
    chars = _unescape(body[1:] if negated else body)
    ranges, i = [], 0
    while i < len(chars):
        if i + 2 < len(chars) and chars[i + 1] == "-":
            ranges.append((chars[i], chars[i + 2]))
            i += 3
        else:
            ranges.append((chars[i], chars[i]))
            i += 1
    return ("cls", negated, tuple(ranges))


class Grammar:
    """A parsed GBNF grammar; ``accepts(text)`` tells whether ``root`` derives exactly ``text``."""

    def __init__(self, gbnf: str) -> None:
        text = "\n".join(
            line.split("#")[0] if not line.lstrip().startswith("#") else "" for line in gbnf.splitlines()
        )
        self.tokens = [m for m in _TOKEN.finditer(text) if m.group(0).strip()]
        rest = _TOKEN.sub("", text).strip()
        if rest:
            raise ValueError(f"unsupported GBNF: {rest!r}")
        self.rules: dict[str, tuple] = {}
        self.i = 0
        while self.i < len(self.tokens):
            name = self.tokens[self.i]["rule"]
            if not name:
                raise ValueError(f"expected a rule at {self.tokens[self.i].group(0)!r}")
            self.i += 1
            self.rules[name] = self._alternatives()

    def _peek(self, kind: str, value: str | None = None) -> bool:
        if self.i >= len(self.tokens) or not self.tokens[self.i][kind]:
            return False
        return value is None or self.tokens[self.i][kind] == value

    def _alternatives(self) -> tuple:
        options = [self._sequence()]
        while self._peek("op", "|"):
            self.i += 1
            options.append(self._sequence())
        return ("alt", tuple(options))

    def _sequence(self) -> tuple:
        items = []
        while (
            self.i < len(self.tokens)
            and not self.tokens[self.i]["rule"]
            and not (self._peek("op", "|") or self._peek("op", ")"))
        ):
            token = self.tokens[self.i]
            self.i += 1
            if token["lit"]:
                item: tuple = ("lit", "".join(_unescape(token["lit"][1:-1])))
            elif token["cls"]:
                item = _char_class(token["cls"][1:-1])
            elif token["ref"]:
                item = ("ref", token["ref"])
            elif token["op"] == "(":
                item = self._alternatives()
                if not self._peek("op", ")"):
                    raise ValueError("unclosed group")
                self.i += 1
            else:
                raise ValueError(f"unexpected {token.group(0)!r}")
            while self._peek("op") and self.tokens[self.i]["op"][0] in "*+?{":
                op = self.tokens[self.i]["op"]
                if op.startswith("{"):
                    low, high = map(int, op[1:-1].split(","))
                    item = ("rep", low, high, item)
                else:
                    item = (op, item)
                self.i += 1
            items.append(item)
        return ("seq", tuple(items))

    def accepts(self, text: str) -> bool:
        """Return whether the grammar's ``root`` rule matches all of ``text``."""

        @cache
        def ends(node: tuple, pos: int) -> frozenset[int]:
            kind = node[0]
            if kind == "lit":
                return frozenset([pos + len(node[1])]) if text.startswith(node[1], pos) else frozenset()
            if kind == "cls":
                if pos >= len(text):
                    return frozenset()
                inside = any(lo <= text[pos] <= hi for lo, hi in node[2])
                return frozenset([pos + 1]) if inside != node[1] else frozenset()
            if kind == "ref":
                return ends(self.rules[node[1]], pos)
            if kind == "alt":
                return frozenset().union(*(ends(option, pos) for option in node[1]))
            if kind == "seq":
                positions = frozenset([pos])
                for item in node[1]:
                    positions = frozenset().union(*(ends(item, p) for p in positions))
                return positions
            if kind == "?":
                return ends(node[1], pos) | {pos}
            if kind == "rep":
                _, low, high, item = node
                found, frontier = set(), {pos}
                for count in range(high + 1):
                    if count >= low:
                        found |= frontier
                    if count == high or not frontier:
                        break
                    frontier = set().union(*(ends(item, p) for p in frontier))
                return frozenset(found)
            reached = set() if kind == "+" else {pos}
            frontier = {pos}
            while frontier:
                step = set().union(*(ends(node[1], p) for p in frontier)) - {p for p in frontier}
                frontier = step - reached
                reached |= step
            return frozenset(reached)

        return len(text) in ends(self.rules["root"], 0)

    def sample(self, rng, max_depth: int = 12) -> str:
        """Return a random string derived from ``root`` (for soundness tests: it must parse)."""
        pool = [chr(c) for c in range(32, 127)] + ["\n", "\t", "é", "€"]

        def derive(node: tuple, depth: int) -> str:
            kind = node[0]
            if kind == "lit":
                return node[1]
            if kind == "cls":
                allowed = [c for c in pool if any(lo <= c <= hi for lo, hi in node[2]) != node[1]]
                return rng.choice(allowed)
            if kind == "ref":
                return derive(self.rules[node[1]], depth + 1)
            if kind == "alt":
                return derive(rng.choice(node[1]), depth)
            if kind == "seq":
                return "".join(derive(item, depth) for item in node[1])
            if kind == "rep":
                return "".join(
                    derive(node[3], depth + 1) for _ in range(rng.randint(node[1], min(node[2], node[1] + 4)))
                )
            if depth > max_depth:
                count = 1 if kind == "+" else 0
            elif kind == "?":
                count = rng.randint(0, 1)
            else:
                count = rng.randint(1 if kind == "+" else 0, 4)
            return "".join(derive(node[1], depth + 1) for _ in range(count))

        return derive(self.rules["root"], 0)
