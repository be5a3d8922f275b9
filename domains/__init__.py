"""The task families the agent knows, each declared in one module of this package.

``DOMAINS`` maps a domain's name to its declaration (``nodes/domain.py``); a graph built without
``domains=`` knows all of them. Adding a domain is adding a module here and one line below.
"""

from domains import complex_qa, maths, sql, web
from nodes.domain import Annotation, Domain

DOMAINS: dict[str, Domain] = {
    domain.name: domain for domain in (maths.DOMAIN, complex_qa.DOMAIN, sql.DOMAIN, web.DOMAIN)
}
EXEMPLARS: dict[str, list[Annotation]] = {name: list(domain.exemplars) for name, domain in DOMAINS.items()}
