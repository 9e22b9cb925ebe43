"""Order on the built site: the sidebar and each handout's index list the pages in the order of
problems/handouts.yml, under the handouts' titles; the table of contents names each question by
its first words, as plain text."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import yaml

from conftest import ROOT_DIR
from test_raw_tex import RAW_TEX
from test_site import SITE, pytestmark  # noqa: F401  (fail, with the reason, when site/ is stale)

HANDOUTS = yaml.safe_load((ROOT_DIR / "problems" / "handouts.yml").read_text(encoding="utf-8"))["handouts"]


class Links(HTMLParser):
    """The links (href, text) inside the element with the given aria-label, in document order."""

    def __init__(self, label: str):
        super().__init__(convert_charrefs=True)
        self.label, self.depth, self.links, self.href = label, 0, [], None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if self.depth:
            self.depth += tag not in ("br", "img", "input", "meta", "link")
            if tag == "a":
                self.href, self.text = a.get("href", ""), ""
        elif a.get("aria-label") == self.label:
            self.depth = 1

    def handle_endtag(self, tag):
        if not self.depth:
            return
        if tag == "a" and self.href is not None:
            self.links.append((self.href, " ".join(self.text.split())))
            self.href = None
        self.depth -= 1

    def handle_data(self, data):
        if self.depth and self.href is not None:
            self.text += data


def links(page, label: str) -> list[tuple[str, str]]:
    parser = Links(label)
    parser.feed(page.read_text(encoding="utf-8"))
    return parser.links


def page_of(href: str) -> str:
    """'../003-relu-network-homework/003-batch.html#q-1' -> '003-batch'."""
    return href.split("#")[0].rsplit("/", 1)[-1].removesuffix(".html")


def test_sidebar_lists_every_handouts_pages_in_handout_order():
    page = SITE / "notation.html"  # any page: the sidebar is the same everywhere
    nav = links(page, "Navigation")
    for h in HANDOUTS:
        listed = [page_of(href) for href, _ in nav if f"/{h['slug']}/" in "/" + href.lstrip("./")]
        problems = [p for p in listed if p != "index"]
        assert problems == h["problems"], f"sidebar order of handout {h['id']}: {problems}"
    text = page.read_text(encoding="utf-8")
    # an addition (not from a handout) is listed under its title alone, marked as an addition
    positions = [text.find(f"{h['title']} (addition)" if h.get("addition") else f"{h['id']}: {h['title']}")
                 for h in HANDOUTS]
    assert -1 not in positions, "a handout's title is missing from the sidebar"
    assert positions == sorted(positions), "handouts out of order in the sidebar"


def test_each_handout_index_lists_its_problems_in_order():
    for h in HANDOUTS:
        index = SITE / "handouts" / h["slug"] / "index.html"
        text = index.read_text(encoding="utf-8")
        listed = [m.group(1) for m in re.finditer(r'<h2[^>]*><a href="([\w-]+)\.html">', text)]
        assert listed == h["problems"], f"handout {h['id']} index: {listed}"


def test_table_of_contents_names_each_question_by_its_first_words_in_plain_text():
    for h in HANDOUTS:
        for stem in h["problems"]:
            page = SITE / "handouts" / h["slug"] / f"{stem}.html"
            # (the theme draws the table of contents twice: in the sidebar and beside the page)
            questions = list(dict.fromkeys((href, t) for href, t in links(page, "Table of contents")
                                           if "#q-" in href))
            questions = [t for _, t in questions]
            data = yaml.safe_load((ROOT_DIR / "problems" / f"{stem}.yml").read_text(encoding="utf-8"))
            numbers = [str(q["number"]) for q in data.get("questions") or []]
            assert len(questions) == len(numbers), f"{stem}: {questions}"
            for number, label in zip(numbers, questions):
                assert label.startswith(f"Question {number}: "), f"{stem}: {label!r}"
                words = label[len(f"Question {number}: "):]
                assert len(words.split()) >= 2 and len(words) <= 80, f"{stem}: {label!r}"
                assert not RAW_TEX.search(label) and not re.search(r"[{}$]", label), f"{stem}: {label!r}"
