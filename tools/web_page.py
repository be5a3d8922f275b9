"""A user's own page in a headless Chromium: the web domain's environment beyond MiniWoB++.

``PageEpisode`` opens a local HTML file or a page served on this machine (``http://127.0.0.1:...``,
``http://localhost:...``), lists its visible elements in the shape MiniWoB++ gives (``Element``:
a ref, a tag such as ``input_text``, its own text, value, id), and runs ``CLICK``/``TYPE``/``SELECT``
on an element by its ref. Refs are written onto the elements (``data-lumos-ref``) so they stay the
same while the document does. Such a page reports no reward: its episode is never done, and the
run ends when the planner stops. The browser is the one ``tools/web.py`` starts (offline flags,
killed with this process); every address but this machine's goes to a dead proxy, so a page's
links and scripts cannot reach the network.
"""

import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from tools.web import ACTIONS, INSTALL_HINT, Element, Page, WebError, _element, _wrapper, browser_paths

LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]", "::1"})
SETTLE_S = 0.3  # a page's own scripts react to an action (a click that reveals a section)
PAGE_LOAD_S = 15.0
_ELEMENTS_JS = """
const skip = new Set(['SCRIPT', 'STYLE', 'NOSCRIPT', 'TEMPLATE', 'HEAD', 'META', 'LINK', 'OPTION']);
const out = [];
function shown(el) {
  const style = getComputedStyle(el);
  const box = el.getBoundingClientRect();
  return style.display !== 'none' && style.visibility !== 'hidden' && (box.width > 0 || box.height > 0);
}
function walk(el, parent) {
  if (skip.has(el.tagName) || !shown(el)) return;
  if (!el.dataset.lumosRef) {
    window.__lumosNext = (window.__lumosNext || 0) + 1;
    el.dataset.lumosRef = String(window.__lumosNext);
  }
  const ref = Number(el.dataset.lumosRef);
  let tag = el.tagName.toLowerCase();
  if (tag === 'input') tag = 'input_' + (el.type || 'text');
  let text = [...el.childNodes].filter(n => n.nodeType === 3).map(n => n.textContent).join(' ').trim();
  // an icon button's name is often only in its accessible label or tooltip
  if (!text) text = (el.getAttribute('aria-label') || el.title || el.getAttribute('alt') || '').trim();
  let value = '';
  if (tag === 'select') {
    value = el.selectedIndex >= 0 ? el.options[el.selectedIndex].text : '';
    text = 'options: ' + [...el.options].map(o => o.text.trim()).join(' / ');
  } else if (tag === 'input_checkbox' || tag === 'input_radio') {
    value = el.checked ? 'True' : '';
  } else if (tag.startsWith('input_') || tag === 'textarea') {
    value = el.value;
  }
  const focused = document.activeElement === el ? 1 : 0;
  out.push({ref: ref, tag: tag, text: text, value: value, id: el.id || '',
            classes: String(el.className || ''), parent: parent, flags: [focused]});
  for (const child of el.children) walk(child, ref);
}
walk(document.body, 0);
return out;
"""


def page_url(environment: str) -> str | None:
    """Return the URL of a user's page environment (a local file or a page on this machine), or None.

    A path must name an existing ``.html``/``.htm`` file; a URL must be ``file://`` or ``http(s)://``
    on this machine. Anything else is not a page environment (it may be a MiniWoB++ task).
    """
    parsed = urlparse(environment)
    if parsed.scheme in ("http", "https"):
        if parsed.hostname not in LOCAL_HOSTS:
            raise WebError(
                f"{environment}: only local files and pages on this machine (127.0.0.1, localhost) open"
            )
        return environment
    path = Path(parsed.path if parsed.scheme == "file" else environment).expanduser()
    if parsed.scheme == "file" or path.suffix.lower() in (".html", ".htm"):
        if not path.is_file():
            raise WebError(f"no such page: {path}")
        return path.resolve().as_uri()
    return None


class PageEpisode:
    """A user's page in its own headless browser: the same surface as ``tools.web.Episode``."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.page: Page | None = None
        self._driver: Any = None

    def open(self) -> Page:
        """Start the browser on the page; return it as the agent sees it."""
        try:
            from selenium import webdriver
            from selenium.webdriver.chrome.service import Service
        except ImportError as err:
            raise WebError(f"{INSTALL_HINT} ({err})") from None
        chromium, driver = browser_paths()
        options = webdriver.ChromeOptions()
        for flag in ("headless", "disable-gpu", "no-sandbox", "proxy-server=http://127.0.0.1:9"):
            options.add_argument(flag)  # the dead proxy: only this machine's pages load
        options.binary_location = str(_wrapper("chromium", chromium))
        try:
            self._driver = webdriver.Chrome(
                service=Service(executable_path=str(_wrapper("chromedriver", driver))), options=options
            )
            self._driver.set_page_load_timeout(PAGE_LOAD_S)
            self._driver.get(self.url)
        except Exception as err:  # selenium raises many kinds
            self.close()
            raise WebError(f"the browser failed to open {self.url}: {type(err).__name__}: {err}") from None
        self.page = self._read()
        return self.page

    def _read(self) -> Page:
        raw = self._driver.execute_script(_ELEMENTS_JS)
        return Page(utterance=str(self._driver.title or ""), elements=tuple(_element(e) for e in raw))

    def act(self, name: str, ref: int, text: str = "") -> Page:
        """Run one action on an element of the current page; return the page after it."""
        if self._driver is None or self.page is None:
            raise WebError("the page is not open")
        if name not in ACTIONS:
            raise WebError(f"unknown web action {name!r}; the actions are {', '.join(ACTIONS)}")
        element: Element | None = self.page.element(ref)
        if element is None:
            raise WebError(f"no element {ref} on the page")
        from selenium.common.exceptions import WebDriverException
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.select import Select

        try:
            target = self._driver.find_element(By.CSS_SELECTOR, f'[data-lumos-ref="{ref}"]')
            if name == "CLICK":
                self._driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", target)
                target.click()
            elif name == "TYPE":
                target.clear()
                target.send_keys(text)
            else:
                choose(Select(target), text)
        except WebDriverException as err:
            reason = str(err.msg or type(err).__name__).splitlines()[0]
            raise WebError(f"the page rejected {name} on element {ref}: {reason}") from None
        time.sleep(SETTLE_S)
        self.page = self._read()
        return self.page

    def screenshot(self, path: Path) -> Path:
        """Save the current page as a PNG."""
        if self._driver is None:
            raise WebError("the page is not open")
        self._driver.save_screenshot(str(path))
        return path

    def close(self) -> None:
        """Quit the browser (safe to call twice)."""
        driver, self._driver = self._driver, None
        if driver is not None:
            try:
                driver.quit()
            except Exception:  # a crashed browser: its processes die with their parent anyway
                pass


def choose(select: Any, text: str) -> None:
    """Select the option whose text is ``text``, else the one that contains it (any case)."""
    options = [option.text.strip() for option in select.options]
    wanted = text.strip().lower()
    match = next((o for o in options if o.lower() == wanted), None) or next(
        (o for o in options if wanted in o.lower()), None
    )
    if match is None:
        raise WebError(f"the list has no option {text!r} (its options: {', '.join(options[:12])})")
    select.select_by_visible_text(match)
