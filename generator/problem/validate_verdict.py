"""The verdict fields every recorded handout statement carries (shared by the three problem kinds)."""

from __future__ import annotations

import re
from typing import Any

from .spec import VERDICTS, Verdict

VERDICT_KEYS = {"verdict", "reason", "addition"}
# a sentence ends at . ! or ? followed by a space and a capital (math is removed first)
_SENTENCE_BREAK = re.compile(r"[.!?]\s+[A-Z]")
_MATH = re.compile(r"\\\(.*?\\\)|\\\[.*?\\\]", re.S)


def flag(c, d: dict, key: str, path: str) -> bool:
    """An optional true/false key (default false)."""
    value = d.get(key, False)
    if not isinstance(value, bool):
        c.fail(f"{path}.{key}", f"expected true or false; got {value!r}")
        return False
    return value


def read_statement(c, d: dict, path: str) -> tuple[str, str]:
    """where (the place in the handout) and statement (what it says there), both required."""
    return (c.text(c.required(d, "where", path), f"{path}.where", default=""),
            c.text(c.required(d, "statement", path), f"{path}.statement", default=""))


def read_verdict(c, d: dict, path: str, has_formula: bool) -> Verdict:
    """verdict (one of VERDICTS), reason (one sentence) and addition, checked against each other."""
    kind = c.choice(d["verdict"], f"{path}.verdict", VERDICTS) if "verdict" in d else c.required(d, "verdict", path)
    kind = kind or ""
    reason = c.text(c.required(d, "reason", path), f"{path}.reason", default="").strip()
    addition = flag(c, d, "addition", path)
    if "reason" in d and isinstance(d["reason"], str):
        if not reason.endswith((".", ".)")):
            c.fail(f"{path}.reason", f"expected one sentence ending with a full stop; got {reason!r}")
        elif _SENTENCE_BREAK.search(_MATH.sub("x", reason)):
            c.fail(f"{path}.reason", "expected one sentence (the page shows it as the verdict's reason); "
                                     f"got several: {reason!r}")
    if addition and kind and kind != "correct":
        c.fail(f"{path}.verdict", f"an addition (a form added for comparison) must be correct; got {kind!r}")
    if not has_formula and kind and kind != "slip":
        c.fail(path, f"verdict {kind!r} needs a formula the generator can judge; only a slip "
                     "(a notation slip or typo) may be recorded without one")
    return Verdict(kind, reason, addition)


def is_addition(c, d: dict, path: str) -> bool:
    """A question's optional 'addition: true': not a question of the handout (the page says so)."""
    return flag(c, d, "addition", path)
