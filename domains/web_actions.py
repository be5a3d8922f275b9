"""The web domain's two action syntaxes: how a grounder names what it acts on, and their grammars.

The instruct profile names an element of the current page by its ref (``R1 = CLICK(6)``,
``R2 = TYPE(7, keneth)``), and the grammar admits only the refs the page has. The ``lumos``
profile writes Lumos's own web actions, which name the environment and a query
(``R2 = CLICK(R1, QUERY: Click the okay button)``, ``TYPE(Env, QUERY: ..., TEXT: ...)``); the
executor picks the element the query describes best. Lumos ranks Mind2Web candidates with
MindAct's cross-encoder, which cannot be had here: the page's elements that can take the action
are ranked by BM25 over their rendered lines (``tools/retrieval.rank``).
"""

import re

from nodes import grammar
from nodes.state import LumosState
from tools import web as webtool
from tools.retrieval import rank

ACTIONS = frozenset(webtool.ACTIONS)

_QUERY = re.compile(r",\s*QUERY:\s*(?P<query>.*?)(?:,\s*TEXT:\s*(?P<text>.*))?$", re.S)
# Lumos's SELECT query names the option too (eval/mind2web/run_eval.py)
SELECT_HINT = " The option contents should be close to '{text}'."
_REF = re.compile(r"^\[(-?\d+)\]", re.M)


def parse_query(name: str, args: str) -> tuple[str, str] | None:
    """Return the query and text of Lumos's form of a web action (``Env, QUERY: q, TEXT: t``), or None."""
    found = _QUERY.search(args)
    if found is None:
        return None
    query, text = found["query"].strip(), (found["text"] or "").strip().strip("'\"")
    if not query:
        raise ValueError(f"{name} needs a query after QUERY:, like {name}(Env, QUERY: the okay button)")
    if name != "CLICK" and not text:
        raise ValueError(f"{name} needs a text: {name}(Env, QUERY: ..., TEXT: ...)")
    return query, text


_UNTYPED = frozenset({"input_checkbox", "input_radio", "input_button", "input_submit", "input_reset"})


def takes(name: str, tag: str) -> bool:
    """Return whether an element of this tag can take the action: text for TYPE, a list for SELECT."""
    if name == "TYPE":
        return tag == "textarea" or (tag.startswith("input_") and tag not in _UNTYPED)
    return tag == "select" if name == "SELECT" else True


def ranking_query(name: str, query: str, text: str) -> str:
    """Return what a ranker reads for Lumos's query action: a SELECT's query names the option too."""
    return query + SELECT_HINT.format(text=text) if name == "SELECT" else query


def ranked_line(page: webtool.Page, name: str, query: str, text: str) -> str:
    """Return the rendered line of the page element a query describes best (BM25 over the lines).

    Only elements that can take the action compete (a text field for TYPE, a list for SELECT)
    when the page has any: a label that shares the query's words is not where text goes.
    """
    lines = [line for line in webtool.render(page).splitlines() if _REF.match(line)]
    if not lines:
        raise ValueError("the page has no element to act on")
    lines = [line for line in lines if takes(name, line.split()[1])] or lines
    return lines[rank(lines, ranking_query(name, query, text))[0]]


def line_ref(line: str) -> int:
    """Return the element ref a rendered line starts with (``[7] input_text ...`` -> 7)."""
    found = _REF.match(line)
    if found is None:
        raise ValueError(f"not a rendered element line: {line!r}")
    return int(found[1])


def parse_args(name: str, args: str) -> tuple[int, str]:
    """Return the element ref and text of a web action's arguments (``6`` or ``7, keneth``)."""
    ref, _, text = args.partition(",")
    try:
        number = int(ref.strip().strip("[]"))
    except ValueError:
        raise ValueError(f"{name} needs an element ref from the page, like {name}(6), not {args!r}") from None
    text = text.strip().strip("'\"")
    if name != "CLICK" and not text:
        raise ValueError(f"{name} needs a text after the element ref: {name}({number}, text)")
    return number, text


def current_elements(state: LumosState | None) -> list[tuple[int, str]]:
    """Return (ref, tag) of the elements on the run's page: the last action's page, else the task's."""
    if state is None:
        return []
    page = state.get("task", "")
    for action in reversed(state.get("actions", [])):
        if action["name"] in ACTIONS and action["ok"]:
            page = action["observation"]
            break
    return [(int(found[1]), found[2]) for found in _ELEMENT.finditer(page)]


_ELEMENT = re.compile(r"^\[(-?\d+)\] (\S+)", re.M)
_LINE = re.compile(r"^\[-?\d+\] .*$", re.M)
MAX_TEXT_CHARS = 120  # what TYPE and SELECT may write: a bound, so a looping model cannot type forever


def element_lines(text: str) -> list[str]:
    """Return the element lines of a rendered page (``[7] input_text ...``), in order."""
    return _LINE.findall(text)


def unchanged(before: str, after: str) -> bool:
    """Return whether an action left the page as it was (a text with no element lines is no page)."""
    lines = element_lines(after)
    return bool(lines) and lines == element_lines(before)


def idle_clicks(state: LumosState | None) -> set[int]:
    """Return the refs whose CLICK changed nothing on the page, since the page last changed.

    Clicking one again would change nothing again (a run stuck on "Press Submit" clicked it eight
    times): the grounder's grammar leaves them out until the page changes, so a run must try
    another element or another way.
    """
    if state is None:
        return set()
    page, idle = state.get("task", ""), set[int]()
    for action in state.get("actions", []):
        if action["name"] not in ACTIONS or not action["ok"]:
            continue
        if not unchanged(page, action["observation"]):
            page, idle = action["observation"], set()
        elif action["name"] == "CLICK":
            try:
                idle.add(parse_args("CLICK", action["args"])[0])
            except ValueError:  # Lumos's own form names a query, not a ref
                continue
    return idle


def ref_rule(refs: list[int]) -> str:
    """Return a grammar alternative of element refs."""
    return " | ".join(grammar.literal(str(r)) for r in refs)


def ground(
    actions: object,
    *,
    assigned: int = 0,
    max_actions: int = 8,
    state: LumosState | None = None,
    profile: str = "instruct",
) -> str:
    """Return the grammar of a web grounder output: numbered actions on the current page.

    The instruct profile names elements by the refs the current page has, each action only the
    elements that can take it (TYPE a text field, SELECT a list); its text is bounded in length.
    The lumos profile writes Lumos's own form, an environment variable and a query
    (``CLICK(R1, QUERY: ...)``), whose executor picks a fitting element itself.
    """
    elements = current_elements(state)
    text = f"text ::= [^()\\n;,]{{1,{MAX_TEXT_CHARS}}}"
    # what TYPE and SELECT write after the ref: commas and semicolons too ("Decatur, IL", a sentence),
    # since the ref ends at the first comma and the action at its parenthesis
    typed = f"typed ::= [^()\\n]{{1,{MAX_TEXT_CHARS}}}"
    if profile == "lumos":
        rules = [
            'act ::= "CLICK(" env ", QUERY: " text ")" | "TYPE(" env ", QUERY: " text ", TEXT: " text ")"'
            ' | "SELECT(" env ", QUERY: " text ", TEXT: " text ")"',
            'env ::= "Env" | "R" [1-9] [0-9]*',
        ]
    elif not elements:  # no page seen yet (a test's bare state): any ref, the executor checks it
        rules = ['act ::= "CLICK(" ref ")" | "TYPE(" ref ", " typed ")" | "SELECT(" ref ", " typed ")"']
        rules += ['ref ::= "-"? [0-9]+', typed]
    else:
        idle = idle_clicks(state)
        takers = {
            name: [ref for ref, tag in elements if takes(name, tag)] for name in ("CLICK", "TYPE", "SELECT")
        }
        takers["CLICK"] = [ref for ref in takers["CLICK"] if ref not in idle] or takers["CLICK"]
        forms = {
            "CLICK": '"CLICK(" click ")"',
            "TYPE": '"TYPE(" type ", " typed ")"',
            "SELECT": '"SELECT(" select ", " typed ")"',
        }
        rules = ["act ::= " + " | ".join(forms[name] for name, refs in takers.items() if refs), typed]
        rules += [f"{name.lower()} ::= {ref_rule(refs)}" for name, refs in takers.items() if refs]
    rules = [f'root ::= s{assigned + 1} "\\n"?', text, *rules]
    first, top = assigned + 1, assigned + min(max_actions, 8)
    for k in range(first, top + 1):
        more = f" ({grammar.literal(grammar.SEPARATOR)} s{k + 1})?" if k < top else ""
        rules.append(f"s{k} ::= {grammar.literal(f'R{k} = ')} act{more}")
    return "\n".join(rules) + "\n"
