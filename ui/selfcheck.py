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

__all__ = ["is_close", "is_hiding", "is_on", "predict_first", "score"]


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


def _check(key: str, token: str, answer: float) -> None:
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


def predict_first(container, key: str, answer: float, question: str, token: str) -> bool:
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
        guess = checked[token]
        diff = guess - answer
        verdict = "Right!" if is_close(guess, answer) else "Not quite."
        box = c.success if is_close(guess, answer) else c.warning
        box(
            f"**{verdict}** You predicted {format_number(guess)}; the answer is "
            f"{format_number(answer)} (difference {format_number(diff)}). "
            "The sum below shows where each part comes from."
        )
        c.caption(
            f"Score: {s['close']} of {s['tried']} predictions right this session. "
            "Move to another position (Next ▶) for a new question."
        )
        st.session_state[f"{key}.hiding"] = False
        return True
    st.session_state[f"{key}.hiding"] = True
    c.markdown(
        f"**Your prediction:** what is {question}? Multiply each value in the window by the "
        "weight on top of it and add the products up."
    )
    a, b = c.columns([2, 1], vertical_alignment="bottom")
    a.number_input("Your value", value=None, format="%.4f", key=f"{key}.guess")
    b.button(
        "Check",
        key=f"{key}.check",
        on_click=_check,
        args=(key, token, float(answer)),
        type="primary",
        width="stretch",
    )
    note = st.session_state.pop(f"{key}.note", None)
    if note:
        c.info(note)
    if s["tried"]:
        c.caption(f"Score so far: {s['close']} of {s['tried']} right.")
    c.caption("The answer, the written sum and the player appear after you check.")
    return False
