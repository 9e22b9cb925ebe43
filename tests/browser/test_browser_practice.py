"""Practice pages (issue 14): a variant chosen by ?v=, answers typed into the boxes and checked
in the browser, the first wrong entry marked, named mistakes named; also from file://.

What is typed comes from the page's data (the verified answers and the mistakes' answers the
generator computed); what is checked is the page's script: its verdicts, the marked box, the
message. One variant's answer is also recomputed here with numpy from its given numbers."""

from __future__ import annotations

import json

import numpy as np
import pytest

from .support import ARTIFACTS, PRACTICE_PAGES, assert_none, math_problems

PAGES = {stem: next((p for p in PRACTICE_PAGES if p.endswith(f"/{stem}-practice.html")), None)
         for stem in ("002-neural-networks-are-fun", "003-single-sample", "003-batch",
                      "002-chain-rule-is-all-you-need", "000-derivatives-of-simple-functions")}


def _page(stem: str) -> str:
    page = PAGES[stem]
    assert page is not None, f"no practice page for {stem} in the site: {PRACTICE_PAGES}"
    return page


def _data(page, v: int) -> list[tuple[str, dict]]:
    """(question number, data-answer) of every question of variant ``v``."""
    return page.eval_on_selector_all(
        f'.practice-variant[data-v="{v}"] .practice-question',
        "els => els.map(e => [e.dataset.q, JSON.parse(e.querySelector('.practice-answer').dataset.answer)])")


def _type(page, v: int, q: str, parts: list) -> tuple[str, str, str]:
    """Type ``parts`` into the boxes of question ``q`` (input events, as typing sends) and press
    Check; (feedback text, the answer's class, the named mistake's kind)."""
    return tuple(page.evaluate(
        """([v, q, parts]) => {
          const box = document.querySelector(`.practice-variant[data-v="${v}"] .practice-question[data-q="${q}"] .practice-answer`);
          for (const input of box.querySelectorAll("input")) {
            input.value = String(Number(parts[+input.dataset.part][+input.dataset.row][+input.dataset.col].toPrecision(6)));
            input.dispatchEvent(new Event("input", {bubbles: true}));
          }
          box.querySelector(".practice-check").click();
          const f = box.querySelector(".practice-feedback");
          return [f.innerText, box.className, f.dataset.kind || ""];
        }""", [v, q, parts]))


def _wrong_entry(page, v, q) -> list[str]:
    return page.eval_on_selector_all(
        f'.practice-variant[data-v="{v}"] .practice-question[data-q="{q}"] input.practice-wrong',
        "els => els.map(e => e.dataset.part + ',' + e.dataset.row + ',' + e.dataset.col)")


@pytest.mark.parametrize("stem,v", [("002-neural-networks-are-fun", 7), ("003-single-sample", 3),
                                    # expression problems: the point moved (one number per question)
                                    ("002-chain-rule-is-all-you-need", 3),
                                    ("000-derivatives-of-simple-functions", 2)])
def test_right_wrong_and_named_answers_get_their_feedback(open_page, stem, v):
    page, tracker = open_page(_page(stem) + f"?v={v}")
    shown = page.eval_on_selector_all(".practice-variant", "els => els.filter(e => !e.hidden).map(e => e.dataset.v)")
    assert shown == [str(v)], "only the variant of ?v= is shown"
    assert_none(math_problems(page), stem)
    named = 0
    for q, data in _data(page, v):
        right = [p["value"] for p in data["parts"]]
        text, cls, _ = _type(page, v, q, right)
        assert "is-right" in cls and text.startswith("Right"), (q, text)
        # a wrong answer: the last entry of the last part moved by 10 tolerances; that box is marked
        wrong = json.loads(json.dumps(right))
        last = len(wrong) - 1
        r, c = len(wrong[last]) - 1, len(wrong[last][-1]) - 1
        wrong[last][r][c] += 10 * data["parts"][last]["tol"][r][c] + 1
        text, cls, kind = _type(page, v, q, wrong)
        assert "is-wrong" in cls and text.startswith("Not right"), (q, text)
        assert _wrong_entry(page, v, q) == [f"{last},{r},{c}"], q
        for m in data["mistakes"]:
            text, cls, kind = _type(page, v, q, m["values"])
            assert "is-mistake" in cls and kind == m["kinds"][0], (q, m["kinds"], text)
            assert "known slip" in text, text
            named += 1
    assert named > 0, f"{stem} variant {v}: no named mistake to type"
    assert_none(tracker.problems(), stem)


def test_each_mistake_kind_has_its_own_message(open_page):
    page, _ = open_page(_page("002-neural-networks-are-fun") + "?v=2")
    kinds = page.eval_on_selector_all(".practice-messages [data-kind]", "els => els.map(e => e.dataset.kind)")
    texts = page.eval_on_selector_all(".practice-messages [data-kind]", "els => els.map(e => e.textContent)")
    assert kinds and len(set(texts)) == len(texts)
    for kind, text in zip(kinds, texts):
        assert text.strip() and "\\(" not in text, (kind, text)


def test_sign_mistake_is_named_as_a_sign_error(open_page):
    """A student who flips (y - yhat) on dJ/dW2[1,1] of variant 7 of 002 is told the sign is wrong."""
    page, _ = open_page(_page("002-neural-networks-are-fun") + "?v=7")
    data = dict(_data(page, 7))["3.2.5"]
    sign = next(m for m in data["mistakes"] if "sign" in m["kinds"])
    # the sign error of a gradient that is linear in (yhat - y) is its negative: checked here, not
    # taken from the generator
    assert np.allclose(sign["values"][0], -np.array(data["parts"][0]["value"]))
    text, cls, kind = _type(page, 7, "3.2.5", sign["values"])
    assert kind == "sign" and "sign is wrong" in text


def test_missing_batch_sum_is_named(open_page):
    """On 003-batch (m = 2), typing the gradient of one sample alone for dl/dW3 is named as the
    missing batch sum; that answer is checked here to be what the page's right answer is not:
    the right one is the mean of the two samples' gradients, this one is sample 1's alone, so it
    differs from the right one and is not the sum without 1/m (the other batch slip)."""
    page, tracker = open_page(_page("003-batch") + "?v=2")
    data = dict(_data(page, 2))["3"]
    slip = next(m for m in data["mistakes"] if m["kinds"][0] == "batch_sum")
    no_mean = next(m for m in data["mistakes"] if "batch_mean" in m["kinds"])
    right = np.array(data["parts"][0]["value"])
    assert not np.allclose(slip["values"][0], right) and not np.allclose(slip["values"][0], no_mean["values"][0])
    assert np.allclose(no_mean["values"][0], 2 * right)  # the sum over the batch of m = 2: twice the mean
    text, cls, kind = _type(page, 2, "3", slip["values"])
    assert "is-mistake" in cls and kind == "batch_sum" and "one sample" in text, text
    assert_none(tracker.problems(), "003-batch")


def test_variant_answer_agrees_with_numpy(open_page):
    """dJ/dW2[1,1] of a variant of 002, recomputed from the variant's given numbers shown in the
    instructors' JSON: sigmoid output, squared error, folded bias."""
    import subprocess
    import sys
    from .support import ROOT
    out = subprocess.run([sys.executable, "-m", "generator", "variants", "002-neural-networks-are-fun"],
                         cwd=ROOT, capture_output=True, text=True, timeout=300, check=True).stdout
    v = json.loads(out)["variants"][6]
    g = {k: np.array([[float(eval_fraction(x)) for x in row] for row in m]) for k, m in v["given"].items()}
    a = g["W1"] @ np.vstack([[1.0], g["x"]])
    z = np.maximum(a, 0)
    b = g["W2"] @ np.vstack([[1.0], z])
    yhat = 1 / (1 + np.exp(-b))
    want = (2 * (yhat - g["y"]) * yhat * (1 - yhat) * z[0, 0]).item()  # dJ/dW2[1,1]: column 0 is the bias
    page, _ = open_page(_page("002-neural-networks-are-fun") + "?v=7")
    got = dict(_data(page, 7))["3.2.5"]["parts"][0]["value"][0][0]
    assert abs(got - want) < 1e-9 * max(1, abs(want))


def eval_fraction(text: str) -> float:
    from fractions import Fraction
    return float(Fraction(text))


def test_practice_works_from_disk(open_page):
    page, tracker = open_page(_page("003-single-sample"), file=True)
    page.goto(page.url + "?v=4", wait_until="load")  # (a file path cannot carry the query)
    assert page.url.startswith("file://") and page.url.endswith("?v=4")
    assert page.eval_on_selector_all(".practice-variant", "els => els.filter(e => !e.hidden).map(e => e.dataset.v)") == ["4"]
    q, data = _data(page, 4)[0]
    text, cls, _ = _type(page, 4, q, [p["value"] for p in data["parts"]])
    assert "is-right" in cls
    # the variant is in the address: the nav's next link goes to ?v=5
    assert page.get_attribute(".practice-next", "href") == "?v=5"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "practice-003-desktop-light.png"))
