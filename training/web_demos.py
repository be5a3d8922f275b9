"""Solved MiniWoB++ episodes as Lumos annotations: scripted policies that read the DOM.

Lumos converted Mind2Web's gold action sequences into subgoal/action annotations; MiniWoB++ has
no gold sequences, so a small policy per development task reads the page (the task's ``fields``
and the elements) and picks each action, the way a person would. Each solved episode (raw reward
1) becomes a ``web_agent`` annotation in the unified format: the task is the instruction and the
first page as the agent sees it, one subgoal per action, and each action's result is the page it
left. Demonstrations use training seeds (``TRAIN_SEEDS``), disjoint from evaluation seeds.
"""

from collections.abc import Callable, Iterator

from domains import web as web_domain
from nodes.domain import Annotation
from tools import web

TRAIN_SEEDS = web_domain.TRAIN_SEEDS  # demonstrations; evaluation seeds are below 1000
Step = tuple[str, str, int, str]  # (subgoal, action, element ref, text)
Policy = Callable[[web.Page, dict[str, str], int], Step | None]


def _find(page: web.Page, tags: tuple[str, ...], text: str = "") -> web.Element:
    """Return the first element with one of the tags whose rendered text (or label) is ``text``."""
    rendered = {
        int(line[1 : line.index("]")]): line for line in web.render(page).splitlines() if line.startswith("[")
    }
    for element in page.elements:
        line = rendered.get(element.ref, "")
        if element.tag in tags and (not text or f'"{text}"' in line):
            return element
    raise LookupError(f"no {'/'.join(tags)} {text!r} on the page")


def _button(page: web.Page, text: str = "Submit") -> web.Element:
    return _find(page, ("button",), text)


def click_button(page: web.Page, fields: dict[str, str], step: int) -> Step | None:
    """Click the button the task names."""
    target = fields["target"]
    return (f'Click the "{target}" button.', "CLICK", _button(page, target).ref, "") if step == 0 else None


def click_link(page: web.Page, fields: dict[str, str], step: int) -> Step | None:
    """Click the link the task names."""
    target = fields["target"]
    link = _find(page, ("span", "a"), target)
    return (f'Click the link "{target}".', "CLICK", link.ref, "") if step == 0 else None


def click_tab(page: web.Page, fields: dict[str, str], step: int) -> Step | None:
    """Click the tab the task names."""
    name = f"Tab #{fields['target']}"
    return (f"Click on {name}.", "CLICK", _find(page, ("a",), name).ref, "") if step == 0 else None


def focus_text(page: web.Page, fields: dict[str, str], step: int) -> Step | None:
    """Click into the text box."""
    return ("Focus into the textbox.", "CLICK", _find(page, ("input_text",)).ref, "") if step == 0 else None


def click_dialog(page: web.Page, fields: dict[str, str], step: int) -> Step | None:
    """Close the dialog with its close button."""
    return ("Close the dialog box.", "CLICK", _button(page, "Close").ref, "") if step == 0 else None


def enter_text(page: web.Page, fields: dict[str, str], step: int) -> Step | None:
    """Type the text, then submit."""
    if step == 0:
        return (
            f'Type "{fields["target"]}" into the text field.',
            "TYPE",
            _find(page, ("input_text",)).ref,
            fields["target"],
        )
    return ("Press Submit.", "CLICK", _button(page).ref, "") if step == 1 else None


def login_user(page: web.Page, fields: dict[str, str], step: int) -> Step | None:
    """Type the username and the password, then log in."""
    if step == 0:
        return ("Type the username.", "TYPE", _find(page, ("input_text",)).ref, fields["username"])
    if step == 1:
        return ("Type the password.", "TYPE", _find(page, ("input_password",)).ref, fields["password"])
    return ("Press login.", "CLICK", _button(page, "Login").ref, "") if step == 2 else None


def enter_password(page: web.Page, fields: dict[str, str], step: int) -> Step | None:
    """Type the password into both fields, then submit."""
    boxes = [e for e in page.elements if e.tag == "input_password"]
    if step < len(boxes):
        where = "password field" if step == 0 else "verify password field"
        return (f"Type the password into the {where}.", "TYPE", boxes[step].ref, fields["target"])
    return ("Press Submit.", "CLICK", _button(page).ref, "") if step == len(boxes) else None


def choose_list(page: web.Page, fields: dict[str, str], step: int) -> Step | None:
    """Select the item from the list, then submit."""
    if step == 0:
        return (
            f"Select {fields['target']} from the list.",
            "SELECT",
            _find(page, ("select",)).ref,
            fields["target"],
        )
    return ("Press Submit.", "CLICK", _button(page).ref, "") if step == 1 else None


def click_option(page: web.Page, fields: dict[str, str], step: int) -> Step | None:
    """Pick the radio option, then submit."""
    if step == 0:
        radio = _find(page, ("input_radio",), fields["target"])
        return (f"Select the option {fields['target']}.", "CLICK", radio.ref, "")
    return ("Press Submit.", "CLICK", _button(page).ref, "") if step == 1 else None


def click_checkboxes(page: web.Page, fields: dict[str, str], step: int) -> Step | None:
    """Tick each checkbox the task names, then submit."""
    targets = [value for key, value in sorted(fields.items()) if key.startswith("target")]
    if step < len(targets):
        box = _find(page, ("input_checkbox",), targets[step])
        return (f"Tick the checkbox {targets[step]}.", "CLICK", box.ref, "")
    return ("Press Submit.", "CLICK", _button(page).ref, "") if step == len(targets) else None


POLICIES: dict[str, Policy] = {
    "click-button-v1": click_button,
    "click-link-v1": click_link,
    "click-tab-v1": click_tab,
    "focus-text-v1": focus_text,
    "click-dialog-v1": click_dialog,
    "enter-text-v1": enter_text,
    "login-user-v1": login_user,
    "enter-password-v1": enter_password,
    "choose-list-v1": choose_list,
    "click-option-v1": click_option,
    "click-checkboxes-v1": click_checkboxes,
}


def demonstrate(task: str, seed: int, max_steps: int = 10) -> Annotation:
    """Run the task's policy on one seeded episode; return it as an annotation (ValueError unless solved)."""
    policy = POLICIES[task]
    with web.Episode(task, seed) as episode:
        page = episode.page
        assert page is not None
        fields = dict(page.fields)
        annotation = Annotation(
            task=f"{page.utterance}\n{web_domain.outcome(page)}", subgoals=[], actions=[], results=[]
        )
        for step in range(max_steps):
            chosen = policy(page, fields, step)
            if chosen is None:
                break
            subgoal, name, ref, text = chosen
            page = episode.act(name, ref, text)
            args = f"{ref}, {text}" if text else str(ref)
            annotation["subgoals"].append(subgoal)
            annotation["actions"].append(f"R{step + 1} = {name}({args})")
            annotation["results"].append(web_domain.outcome(page))
        if not (page.done and page.raw_reward == 1):
            raise ValueError(
                f"the {task} policy did not solve seed {seed} (reward {page.raw_reward:g}: {page.reason})"
            )
    return annotation


def demonstrations(tasks: list[str], per_task: int) -> Iterator[Annotation]:
    """Yield ``per_task`` solved episodes of each task, on the first training seeds."""
    for task in tasks:
        for seed in list(TRAIN_SEEDS)[:per_task]:
            yield demonstrate(task, seed)
