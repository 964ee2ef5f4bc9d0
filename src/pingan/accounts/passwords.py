"""The password rule: long enough, and not guessable — checked by zxcvbn (Dropbox's estimator, packaged on
PyPI as ``zxcvbn``), which knows the common-password lists, dictionary words, keyboard patterns, dates and
repeats, and is told the account's own words (username, display name, the platform's name) so that a
password made from them is refused too. Passwords are then hashed with argon2id (``accounts.service``).

Demo accounts keep the published demo password (``pingan-demo``): they only exist in demo mode, and serving
a database that holds active ones is refused outside it (``web.middleware.startup_problems``).
"""

from __future__ import annotations

import re

from zxcvbn import zxcvbn

from pingan.core.errors import ValidationFailed

MIN_LENGTH = 8
MAX_LENGTH = 200
MIN_SCORE = 3  # zxcvbn: 3 = "safely unguessable: moderate protection from offline slow-hash attacks"
DEMO_PASSWORD = "pingan-demo"
PLATFORM_WORDS = ("pingan", "平安", "pingan-demo", "binjiang", "滨江")


def context_words(*values: str) -> list[str]:
    """The words of an account that a password must not be built from (the values and their parts)."""
    words: set[str] = set(PLATFORM_WORDS)
    for value in values:
        value = (value or "").strip().lower()
        if value:
            words.add(value)
            words.update(part for part in re.split(r"[\s._@-]+", value) if len(part) >= 3)
    return sorted(words)


def check_password(
    password: str, *, username: str = "", display_name: str = "", is_demo: bool = False
) -> None:
    """Refuse (422, field ``password``) a short, common or context-derived password, saying why."""
    if is_demo and password == DEMO_PASSWORD:
        return
    if len(password) < MIN_LENGTH:
        raise ValidationFailed(f"password must have at least {MIN_LENGTH} characters", field="password")
    if len(password) > MAX_LENGTH:
        raise ValidationFailed(f"password: at most {MAX_LENGTH} characters", field="password")
    if not password.strip():
        raise ValidationFailed("password cannot be only spaces", field="password")
    words = context_words(username, display_name)
    if password.strip().lower() in words:
        raise ValidationFailed("password cannot be the username or name", field="password")
    result = zxcvbn(password[:100], user_inputs=words)  # zxcvbn's cost grows with length; 100 is plenty
    if result["score"] < MIN_SCORE:
        feedback = result.get("feedback") or {}
        hints = [feedback.get("warning") or "", *(feedback.get("suggestions") or [])]
        why = " ".join(h for h in hints if h) or "it is too easy to guess"
        raise ValidationFailed(
            f"password too easy to guess: {why} (use a longer phrase of unrelated words)", field="password"
        )
