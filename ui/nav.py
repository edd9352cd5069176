"""The pages' navigation, with names (Streamlit names the home page after its file,
"dashboard"): drawn at the top of every page's sidebar; Streamlit's own list is turned off in
``.streamlit/config.toml`` (``client.showSidebarNavigation = false``)."""

from __future__ import annotations

import streamlit as st
from streamlit.errors import StreamlitAPIException

#: Every page's favicon. A Material icon, not an emoji: an emoji makes Streamlit load its emoji
#: catalogue and compile its regular expression, 0.25 s of a fresh server's first page.
ICON = ":material/trending_down:"

PAGES = (("dashboard.py", "Compare runs", ":material/stacked_line_chart:"),
         ("pages/1_Loss_landscape.py", "Loss landscape", ":material/landscape:"),
         ("pages/2_Learning_rate_sweep.py", "Learning rate sweep", ":material/tune:"),
         ("pages/3_Lessons.py", "Lessons", ":material/school:"),
         ("pages/4_Experiments.py", "Experiments", ":material/inventory_2:"),
         ("pages/5_Challenge.py", "Challenge", ":material/emoji_events:"))


def links() -> None:
    """One link a page, in the sidebar. (A page script run on its own, as a test runs it,
    has no app around it to link to: then no links.)"""
    with st.sidebar:
        try:
            for path, label, icon in PAGES:
                st.page_link(path, label=label, icon=icon)
        except StreamlitAPIException:
            return
        st.divider()
