"""The task families the agent knows, each declared in one module of this package.

``DOMAINS`` maps a domain's name to its declaration (``nodes/domain.py``); a graph built without
``domains=`` knows all of them. A domain's module (and the tools it brings: sympy, SQLite, a
browser) is imported the first time the domain is looked up, so importing a graph costs none of
them and a maths run never loads the web's. Adding a domain is adding a module here and one line
to ``MODULES``.
"""

import importlib
from collections.abc import Iterator, Mapping

from nodes.domain import Annotation, Domain

MODULES = {
    "maths": "domains.maths",
    "complex_qa": "domains.complex_qa",
    "sql": "domains.sql",
    "web": "domains.web",
}


class Declared(Mapping[str, Domain]):
    """The domains of this package by name, each module imported on its first lookup."""

    def __getitem__(self, name: str) -> Domain:
        if name not in MODULES:
            raise KeyError(name)
        domain: Domain = importlib.import_module(MODULES[name]).DOMAIN
        return domain

    def __contains__(self, name: object) -> bool:
        return name in MODULES  # without importing the domain

    def __iter__(self) -> Iterator[str]:
        return iter(MODULES)

    def __len__(self) -> int:
        return len(MODULES)


DOMAINS: Mapping[str, Domain] = Declared()


def __getattr__(name: str) -> dict[str, list[Annotation]]:
    if name == "EXEMPLARS":  # every domain's worked examples by name: loads every domain
        return {domain: list(DOMAINS[domain].exemplars) for domain in MODULES}
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
