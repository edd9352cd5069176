"""The floor for ``bench.first_chart``: the least a Streamlit page with one chart costs here.

A title and one Altair line chart of four runs x 500 points, nothing else: Streamlit's own
frontend, its websocket, its lazily loaded Vega chunk and one Vega view. Measured in the same
run as the dashboard, so the dashboard's time can be read against what any Streamlit app on
that machine, at that moment, would take (``streamlit run bench/floor_app.py``).
"""

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

st.title("One chart")
steps = np.arange(500)
frame = pd.DataFrame({"step": np.tile(steps, 4), "run": np.repeat(list("ABCD"), 500),
                      "loss": np.exp(-np.outer([1, 2, 3, 4], steps / 100.0)).ravel()})
st.altair_chart(alt.Chart(frame).mark_line().encode(
    x="step:Q", y=alt.Y("loss:Q", scale=alt.Scale(type="log")), color="run:N"))
