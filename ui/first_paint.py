"""The first charts come first: a browser's first page stops below them until they are drawn.

A browser draws a Streamlit page's main area in one go, once it has every element's code and
every chart's Vega view: on the comparison page the two charts at the top waited for the five
below the fold, the results table, the share buttons and the file uploader. Measured in
headless Chromium on the project machine (a warm server, five visits each): the first chart at
4.55 s with the whole page, 3.78 s with the page cut after the first two charts.

So a session's first run in a browser draws the page down to its first two charts and a tiny
component (:data:`SIGNAL`, Streamlit's components v2: a few lines of JavaScript in the page, no
iframe) that tells the server once a chart has been drawn; that run of the page then draws the
rest. What is drawn first is drawn again identically, so the browser keeps it. Every later
run of the session draws the whole page at once. A client that runs no JavaScript (AppTest,
the load benchmark's websocket sessions) gets the whole page in its first run, as before:
only a browser runs the signal (its User-Agent says ``Mozilla/``). If the signal never comes
(a script blocker), the JavaScript's own timer sends it after a few seconds, and the note in
its place has a button that shows the rest.
"""

from __future__ import annotations

import streamlit as st

DONE = "first_paint.done"  # session state: this session has drawn its first charts
FALLBACK_MS = 6000  # the signal is sent after this long even if no chart was seen drawn
NOW = "first_paint_now"  # the button's key (its element has the class st-key-first_paint_now)

JS = """
export default function ({ setTriggerValue }) {
  let sent = false;
  const send = () => { if (!sent) { sent = true; setTriggerValue("drawn", true); } };
  const drawn = () => document.querySelector(
    '[data-testid="stVegaLiteChart"] canvas, [data-testid="stVegaLiteChart"] svg');
  const later = () => requestAnimationFrame(() => requestAnimationFrame(send));
  const watch = new MutationObserver(() => { if (drawn()) { watch.disconnect(); later(); } });
  const timer = setTimeout(send, FALLBACK_MS);
  if (drawn()) { later(); } else { watch.observe(document.body, { childList: true, subtree: true }); }
  return () => { watch.disconnect(); clearTimeout(timer); };
}
""".replace("FALLBACK_MS", str(FALLBACK_MS))

SIGNAL = st.components.v2.component("gdlab_first_paint", js=JS)


def _in_a_browser() -> bool:
    try:
        agent = st.context.headers.get("User-Agent", "") or ""
    except Exception:  # (no session: a bare script)
        return False
    return agent.startswith("Mozilla/")


def pending() -> bool:
    """Whether this run should stop below the first charts: a browser's session that has not
    yet drawn them."""
    return not st.session_state.get(DONE) and _in_a_browser()


def _done() -> None:
    st.session_state[DONE] = True


def wait_for_them() -> None:
    """In place of the rest of the page: the signal, and a note with a button for the case
    that it never comes."""
    SIGNAL(key="first_paint", on_drawn_change=_done)
    c1, c2 = st.columns([3, 1], vertical_alignment="center")
    c1.caption("The other charts, the results and the share buttons follow as soon as the "
               "charts above are drawn.")
    c2.button("Show them now", key=NOW, on_click=_done)
