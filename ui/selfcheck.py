"""Self-check: "predict first" — guess a value before the page reveals it.

:func:`predict_first` draws a toggle. Off, it returns True (show everything).
On, it asks for a guess of ``answer`` and returns False until the student
checks it; then it shows the guess, the answer and the difference, keeps a
small score in session state and returns True. A guess is asked once per
question (``token``: the position and its value), so moving to the next
window asks again.

Session keys (namespaced by the caller's ``key``): ``{key}.predict`` (the
toggle), ``{key}.guess`` (the number box), ``{key}.checked`` ({token: guess}),
``{key}.score`` ({"tried": n, "close": m}).
"""

from __future__ import annotations

import streamlit as st

from vizlib.conv import format_number

__all__ = [
    "CONV_HINT",
    "check",
    "is_close",
    "is_hiding",
    "is_on",
    "predict_first",
    "score",
    "show_result",
]

CONV_HINT = "Multiply each value in the window by the weight on top of it and add the products up."


def is_close(guess: float, answer: float) -> bool:
    """Right to about three decimals (relative for big values)."""
    return abs(guess - answer) <= 1e-3 * max(1.0, abs(answer))


def score(key: str) -> dict:
    return st.session_state.setdefault(f"{key}.score", {"tried": 0, "close": 0})


def is_on(key: str) -> bool:
    """True when the predict-first toggle is on (hide other places the answer shows)."""
    return bool(st.session_state.get(f"{key}.predict", False))


def is_hiding(key: str) -> bool:
    """True while predict-first is on and the current question is unanswered."""
    return bool(st.session_state.get(f"{key}.hiding", False))


def check(key: str, token: str, answer: float, then=None) -> None:
    """Record the typed guess for ``token`` (a button callback); then call ``then()`` if given.

    ``{key}.last_check`` keeps the last checked question: {"token", "guess", "answer"}.
    """
    guess = st.session_state.get(f"{key}.guess")
    if guess is None:
        st.session_state[f"{key}.note"] = "Type a number first, then check."
        return
    checked = st.session_state.setdefault(f"{key}.checked", {})
    if token not in checked:
        s = score(key)
        s["tried"] += 1
        s["close"] += is_close(float(guess), answer)
    checked[token] = float(guess)
    st.session_state[f"{key}.last_check"] = {
        "token": token,
        "guess": float(guess),
        "answer": answer,
    }
    if then is not None:
        then()


_check = check  # the name the first version used


def show_result(container, key: str, guess: float, answer: float, note: str, next_note: str):
    """The guess, the answer, the difference and the session score."""
    s = score(key)
    diff = guess - answer
    verdict = "Right!" if is_close(guess, answer) else "Not quite."
    box = container.success if is_close(guess, answer) else container.warning
    box(
        f"**{verdict}** You predicted {format_number(guess)}; the answer is "
        f"{format_number(answer)} (difference {format_number(diff)}). {note}"
    )
    container.caption(
        f"Score: {s['close']} of {s['tried']} predictions right this session. {next_note}"
    )


def predict_first(
    container,
    key: str,
    answer: float,
    question: str,
    token: str,
    *,
    hint: str = CONV_HINT,
    note: str = "The sum below shows where each part comes from.",
    next_note: str = "Move to another position (Next ▶) for a new question.",
    check_label: str = "Check",
    then=None,
    after: str = "The answer, the written sum and the player appear after you check.",
) -> bool:
    """Draw the predict-first box; return True when the answer may be shown.

    Parameters
    ----------
    container
        Where to draw.
    key : str
        Session-key namespace (the lesson's, e.g. ``"conv"``).
    answer : float
        The value computed by vizlib.
    question : str
        Plain text: what to predict ("the output at row 0, column 0").
    token : str
        Identifies the question; a new token asks for a new guess.
    hint, note, next_note, after : str
        How to work it out; shown with the answer; how to get a new question;
        what appears after checking.
    check_label : str
        The check button's text.
    then : callable or None
        Called (no arguments) after a guess is recorded, in the button's
        callback (batch norm trains one step there).
    """
    c = container
    on = c.toggle(
        "Predict first",
        key=f"{key}.predict",
        help="Hide the answer until you have typed the value you expect.",
    )
    if not on:
        st.session_state[f"{key}.hiding"] = False
        return True
    checked = st.session_state.setdefault(f"{key}.checked", {})
    s = score(key)
    if token in checked:
        show_result(c, key, checked[token], answer, note, next_note)
        st.session_state[f"{key}.hiding"] = False
        return True
    st.session_state[f"{key}.hiding"] = True
    c.markdown(f"**Your prediction:** what is {question}? {hint}")
    a, b = c.columns([2, 1], vertical_alignment="bottom")
    a.number_input("Your value", value=None, format="%.4f", key=f"{key}.guess")
    b.button(
        check_label,
        key=f"{key}.check",
        on_click=check,
        args=(key, token, float(answer), then),
        type="primary",
        width="stretch",
    )
    note = st.session_state.pop(f"{key}.note", None)
    if note:
        c.info(note)
    if s["tried"]:
        c.caption(f"Score so far: {s['close']} of {s['tried']} right.")
    c.caption(after)
    return False
