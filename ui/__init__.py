"""Shared Streamlit UI for the lab's pages: widgets that return gdcore configs, Altair chart
builders (plain functions: tidy DataFrame -> ``alt.Chart``), URL/session state and classroom mode.

``ui.charts`` imports no Streamlit, so it can be tested (and reused) without a running app.
"""
