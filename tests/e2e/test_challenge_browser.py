"""The classroom challenge board in two browsers on one server (issue 19): a teacher and a
student; the student's submission, scored by the server, appears on the teacher's leaderboard
by itself (the board refreshes every 5 s), with no reload. The store is a temporary SQLite
file named by GDCORE_DB_URL for this server."""

from __future__ import annotations

import os

import pytest

from gdcore.store import Store
from lab import challenge as C
from lab import presets

from .conftest import ROOT, app_context, open_page, screenshot, streamlit_server, wait_idle, watched_page

pytestmark = pytest.mark.browser


def test_a_students_submission_reaches_the_teachers_board_without_a_reload(browser, tmp_path):
    url = f"sqlite:///{tmp_path / 'board.sqlite'}"
    code, token = C.create(Store(url), "class race", presets.build("lr"),
                           allowed=["optimizer.lr"])
    env = {**os.environ, "GDCORE_DB_URL": url}
    with streamlit_server(ROOT, env, log_name="challenge") as base:
        contexts = [app_context(browser, base, 1400, 1200) for _ in range(2)]
        try:
            teacher, student = (watched_page(c) for c in contexts)
            open_page(teacher, f"/Challenge?c={code}&t={token}")
            teacher.get_by_text("Teacher view", exact=False).first.wait_for(timeout=60_000)
            teacher.get_by_text("0 entries;", exact=False).first.wait_for(timeout=60_000)
            open_page(student, f"/Challenge?c={code}")
            assert student.get_by_text("Teacher view", exact=False).count() == 0
            lr = student.get_by_label("Learning rate")
            lr.fill("0.5")
            lr.press("Enter")
            wait_idle(student)
            name = student.get_by_label("Your display name")
            name.fill("<b>Ada</b>")
            name.press("Enter")
            wait_idle(student)
            student.get_by_role("button", name="Submit").click()
            student.get_by_text("Submitted: the server ran it", exact=False).first.wait_for(
                timeout=60_000)
            # the teacher's page, untouched: its board refreshes by itself
            teacher.get_by_text("1 entry;", exact=False).first.wait_for(timeout=60_000)
            assert teacher.locator("b", has_text="Ada").count() == 0  # a name is plain text
            assert student.locator("b", has_text="Ada").count() == 0
            screenshot(teacher, "challenge-teacher")
            screenshot(student, "challenge-student")
            board = C.leaderboard(Store(url), code)
            assert board["name"].tolist() == ["<b>Ada</b>"]
            assert board["optimizer.lr"].tolist() == [0.5]
        finally:
            for c in contexts:
                c.close()
