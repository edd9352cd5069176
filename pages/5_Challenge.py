"""A classroom challenge board (lab/challenge.py): a teacher turns the comparison page's
first run into a challenge and gets a student link and a teacher link; students tune the
allowed settings and submit; the server runs every submission itself and ranks it."""

import datetime as dt
import uuid

import streamlit as st

from ui import fresh  # isort: skip (first of the app's modules)

fresh.modules()  # a source changed under the server: import the app anew (ui/fresh.py)

import gdcore
from gdcore.limits import LIMITS
from lab import challenge as C
from ui import nav, saved, state
from ui.classroom import apply_classroom
from ui.text import escape_md
from ui.version import keep_current

st.set_page_config(page_title="Challenge · Gradient Descent Lab", page_icon=nav.ICON,
                   layout="wide")
keep_current()  # first: nothing kept under other code reaches this run (ui/version.py)
nav.links()  # named pages (ui/nav.py)
classroom = apply_classroom()
SESSION = "challenge_session"  # this browser session's id (submissions are limited per session)
LABELS = {"optimizer.name": "Optimizer", "optimizer.lr": "Learning rate",
          "optimizer.momentum": "Momentum", "batch_size": "Batch size (0 = full batch)",
          "epochs": "Epochs"}

st.title("Challenge")
store = saved.store()
if store is None:
    st.stop()
code = st.query_params.get("c")
token = st.query_params.get("t")


def _create() -> None:
    st.caption("Turn the comparison page's first run (on its data) into a challenge: choose a "
               "goal and what students may change. You get a link for the students and a "
               "teacher link; the teacher link holds a secret shown only once (only a salted "
               "hash of it is kept).")
    setup = state.current() if state.SETUP in st.session_state else None
    if setup is None:
        st.info("Open the comparison page first: the challenge starts from its setup.")
        return
    run0 = setup["runs"][0]
    st.caption(f"Base run: {escape_md(run0['name'])} · {escape_md(run0['optimizer']['name'])}, "
               f"lr {run0['optimizer']['lr']:g}, batch {escape_md(run0['batch_size'])}, "
               f"{run0['epochs']} epochs.")
    title = st.text_input("Title", max_chars=200, key="ch_title",
                          placeholder="e.g. fastest to the minimum")
    goal = st.selectbox("Goal", list(C.GOALS), format_func=C.GOALS.get, key="ch_goal")
    target = budget = None
    if goal == "updates_to_loss":
        target = st.number_input("Target loss", value=1.1, format="%g", key="ch_target")
    if goal == "loss_within_updates":
        budget = st.number_input("Most updates a run may take", 1, 10_000_000, 500,
                                 key="ch_budget")
    allowed = st.multiselect("Students may change", list(C.SETTINGS),
                             default=["optimizer.lr"], format_func=LABELS.get, key="ch_allowed")
    minutes = st.number_input("Closes after (minutes; 0 = when you close it)", 0, 10_080, 0,
                              key="ch_minutes")
    if st.button("Create the challenge", type="primary", key="ch_create",
                 disabled=not title.strip()):
        closes = (dt.datetime.now(dt.UTC) + dt.timedelta(minutes=int(minutes))
                  if minutes else None)
        try:
            new_code, new_token = C.create(store, title, setup, goal=goal, target=target,
                                           budget=budget, allowed=allowed, closes=closes)
        except gdcore.GDError as err:
            st.error(escape_md(err))
            return
        st.success("Created. Share the student link; keep the teacher link to yourself "
                   "(it is shown only now).")
        st.text("Student link:  ?c=" + new_code)
        st.text("Teacher link:  ?c=" + new_code + "&t=" + new_token)


def _board(teacher: bool) -> None:
    @st.fragment(run_every=5)
    def live() -> None:
        try:
            board = C.leaderboard(store, code, hidden=teacher)
        except gdcore.GDError as err:
            st.error(escape_md(err))
            return
        st.dataframe(board, hide_index=True, key=None,
                     column_config={"name": st.column_config.TextColumn(width="medium"),
                                    "score": st.column_config.NumberColumn(format="%.6g")})
        st.caption(f"{len(board)} entr{'y' if len(board) == 1 else 'ies'}; refreshed every 5 s."
                   " Every score is the server's own run of the settings shown.")
    live()


if not code:
    _create()
    st.stop()
try:
    board_info = C.info(store, code)
except gdcore.GDError as err:
    st.error(escape_md(err))
    st.stop()
teacher = C.is_teacher(store, code, token)
st.subheader(escape_md(board_info["title"]))
st.markdown(f"**Goal**: {escape_md(board_info['goal_text'])} You may change: "
            + ", ".join(LABELS[s] for s in board_info["allowed"]) + ".")
if board_info["closes"] is not None:
    st.caption(f"Closes at {board_info['closes']:%Y-%m-%d %H:%M} UTC.")
if not board_info["open"]:
    st.info("This challenge is closed.")

if teacher:
    st.caption("Teacher view: hidden entries are shown, with their entry numbers.")
    t1, t2, t3 = st.columns(3)
    entry = t1.number_input("Entry", 1, 10**9, 1, key="ch_entry")
    if t1.button("Hide or show it", key="ch_hide"):
        full = C.leaderboard(store, code, hidden=True)
        hit = full[full["entry"] == entry]
        if hit.empty:
            st.error(f"There is no entry {int(entry)}.")
        else:
            C.hide(store, code, token, int(entry), hidden=not bool(hit["hidden"].iloc[0]))
    if board_info["open"] and t2.button("Close the challenge", key="ch_close"):
        C.close(store, code, token)
        st.rerun()
    t3.download_button("Download the entries (CSV)", C.entries_csv(store, code, token),
                       file_name="challenge-entries.csv", mime="text/csv", on_click="ignore")
elif board_info["open"] and classroom:  # the projector shows the board; students submit
    st.caption("Classroom mode: the board, as the class sees it. Students submit from the "
               "student link on their own screens.")
elif board_info["open"]:
    run0 = board_info["setup"]["runs"][0]
    changes = {}
    cols = st.columns(len(board_info["allowed"]))
    for col, key in zip(cols, board_info["allowed"]):
        with col:
            if key == "optimizer.name":
                names = list(gdcore.OPTIMIZER_DEFAULTS)
                changes[key] = st.selectbox(LABELS[key], names,
                                            index=names.index(run0["optimizer"]["name"]),
                                            key="ch_opt")
            elif key == "optimizer.lr":
                b = LIMITS["lr"]
                changes[key] = st.number_input(LABELS[key], b.low, b.high,
                                               float(run0["optimizer"]["lr"]), format="%g",
                                               key="ch_lr")
            elif key == "optimizer.momentum":
                changes[key] = st.number_input(LABELS[key], 0.0, 0.999,
                                               float(run0["optimizer"].get("momentum", 0.0)),
                                               key="ch_mom")
            elif key == "batch_size":
                bs = run0["batch_size"]
                value = st.number_input(LABELS[key], 0, LIMITS["batch_size"].high,
                                        0 if bs == "full" else int(bs), key="ch_bs")
                changes[key] = "full" if value == 0 else int(value)
            elif key == "epochs":
                b = LIMITS["epochs"]
                changes[key] = st.number_input(LABELS[key], int(b.low), int(b.high),
                                               int(run0["epochs"]), key="ch_epochs")
    name = st.text_input("Your display name", max_chars=C.MAX_NAME_CHARS, key="ch_name")
    if st.button("Submit", type="primary", key="ch_submit", disabled=not name.strip()):
        me = st.session_state.setdefault(SESSION, uuid.uuid4().hex)
        try:
            got = C.submit(store, code, name, changes, session=me)
        except gdcore.GDError as err:
            st.error(escape_md(err))
        else:
            shown = (f"score {got['score']:.6g}" if got["score"] is not None else
                     "no score (diverged, or never reached the target)")
            st.success(f"Submitted: the server ran it: {shown}, {got['steps']:,} updates.")

st.subheader("Leaderboard")
_board(teacher)
