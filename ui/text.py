"""User text on the page as plain text, in every element.

Streamlit renders GitHub-flavoured markdown (links, images, emphasis, KaTeX math ``$…$``) in
more places than ``st.markdown``: captions, alerts, headings, every widget label and ``help``
tooltip, expander and tab labels, radio and segmented-control options, and every cell, header
and index of ``st.table``. Text that came from a user (run names, column names, file names,
class labels, anything read from a link, an upload or a setup file) reaches those places only
through this module:

    st.caption(f"Run {md(name)} diverged")     # markdown context: backslash-escaped
    text.table(st, df)                           # st.table with every text cell escaped

Elements that draw text as text (``st.dataframe`` cells, ``st.selectbox`` / ``st.multiselect``
options, ``st.text``, Vega-Lite titles, legends and tooltips) take it as it is.
``tests/test_text_safety.py`` walks every element a page sends and checks that no user text
is rendered as markup; ``tests/e2e/test_text_safety_browser.py`` checks the drawn page.
"""

from __future__ import annotations

import re

import pandas as pd

# every character CommonMark, GFM or Streamlit's math and directive syntax gives a meaning to
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>$~:&=\"'])")
# What the browser's markdown turns into links or pictures *after* escapes are read (GFM
# literal autolinks, e-mail addresses, emoji and icon short codes work on the unescaped
# text): an invisible word joiner (U+2060) where each would start, and after every ``@`` and
# ``:`` (a short code may end in the page's own text), stops it and shows nothing.
_JOIN = "\u2060"
_AFTER_ESCAPES = re.compile(r"(?i)(?=\b(?:https?|ftp|mailto|xmpp)[:\\]|\bwww\.)|(?<=[@:])")


def md(text: object) -> str:
    """``text`` with every markdown/HTML special character backslash-escaped (CommonMark
    renders ``\\x`` as a literal ``x``), line breaks joined, and a word joiner where the
    browser would still make a link, an e-mail link, an emoji or an icon, so it shows
    exactly as typed."""
    flat = _AFTER_ESCAPES.sub(_JOIN, " ".join(str(text).splitlines()))
    return _MD_SPECIAL.sub(r"\\\1", flat)


escape_md = md  # the name the pages have used


def plain_frame(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with every text cell, column name and index label escaped for ``st.table``
    (which renders markdown in all of them). Numbers and other values are kept as they are."""
    def cell(v):
        return md(v) if isinstance(v, str) else v

    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = [cell(v) for v in out[col]]
    out.columns = [md(c) for c in out.columns]
    if not isinstance(out.index, pd.RangeIndex):
        out.index = [cell(v) for v in out.index]
    return out


def table(container, df: pd.DataFrame, **kwargs) -> None:
    """``container.table(df)`` with the user's text shown as text (see :func:`plain_frame`)."""
    container.table(plain_frame(df), **kwargs)
