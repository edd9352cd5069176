"""End-to-end: run names carrying markdown, HTML, LaTeX and URLs, from a shared link, are shown
as typed in the drawn page (both modes): no link, image, emphasis, code or KaTeX made from
them, and the browser never fetches the addresses they name (a tracking pixel)."""

from __future__ import annotations

import pytest

from gdcore.spec import share
from lab import presets

from .conftest import new_app_page, screenshot

pytestmark = pytest.mark.browser

NAMES = ["[Zqlink](https://example.com/p) ![Zqimg](http://127.0.0.1:9/t.png)",
         "**Zqbold** $$Zq^2$$ <b>Zqhtml</b>",
         ":red[Zqcolor] _Zqem_ `Zqcode` <img src='http://127.0.0.1:9/Zq.png'>",
         "Zq :smile: :material/home: me@example.com www.example.com/Zq <https://example.com/Zq>"]
DRAWN = """() => {
  const charts = [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')];
  return charts.length >= 7 && charts.every(c => c.querySelector('canvas, svg'))
    && document.querySelector('[data-testid="stApp"][data-test-script-state="notRunning"]');
}"""
# markup made from user text: an element whose own text holds the marker
MADE = """() => [...document.querySelectorAll(
    'a, img, strong, em, b, code, del, s, .katex, [class*="math"], span[style*="color"], '
    + '[data-testid="stIconMaterial"]')]
  .filter(e => (e.textContent + (e.getAttribute('src') || '') + (e.getAttribute('href') || '')
                + (e.getAttribute('alt') || '')).includes('Zq'))
  .filter(e => !NAMES.some(n => e.textContent.replaceAll('\u2060', '').includes(n)))
  .map(e => e.tagName + ': ' + e.outerHTML.slice(0, 120))"""


@pytest.mark.parametrize("mode", ["default", "classroom"])
def test_names_with_markup_show_as_typed(browser, app_server, mode):
    exp = presets.build("lr")
    for run, name in zip(exp["runs"], NAMES):
        run["name"] = name
    exp["runs"].append({**exp["runs"][0], "name": NAMES[3]})
    path = f"/?s={share.encode(exp)}" + ("&classroom=1" if mode == "classroom" else "")
    fetched: list[str] = []
    with new_app_page(browser, app_server, height=2400, path=path) as page:
        page.on("request", lambda r: fetched.append(r.url)
                if "127.0.0.1:9/" in r.url or "example.com" in r.url else None)
        page.wait_for_function(DRAWN, timeout=120_000)
        made = page.evaluate(MADE.replace("NAMES", repr(NAMES)))
        assert made == [], made
        # (ui.text puts an invisible word joiner where a browser would make a link or emoji)
        seen = " ".join(page.evaluate("() => document.body.innerText")
                        .replace("\u2060", "").split())
        assert "😄" not in seen
        for name in NAMES:  # each shown with every character as typed
            assert name in seen, (name, [seen[max(0, i - 60):i + 120] for i in [seen.find("smile")]])
        assert page.locator('[data-testid="stException"]').count() == 0
        screenshot(page, f"text-safety-{mode}")
    assert fetched == []
