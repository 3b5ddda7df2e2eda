"""Citation labels: normalising, the prefix matching rule, and references named in a question."""

from __future__ import annotations

import pytest

from assistant.labels import instruments_named, label_matches, normalise_label, points_named, references_in


def test_normalise_label_drops_case_spaces_and_dots():
    assert normalise_label("AI Act Art. 5(1)(e)") == "aiactart5(1)(e)"
    assert normalise_label("  gdpr  art 9 ( 1 )") == "gdprart9(1)"
    assert normalise_label("Guidelines para. 224(iii)") == "guidelinespara224(iii)"


@pytest.mark.parametrize(
    "expected, cited",
    [
        ("GDPR Art. 9", "GDPR Art. 9(1)"),
        ("GDPR Art. 9", "GDPR Art. 9"),
        ("AI Act Art. 5(1)", "AI Act Art. 5(1)(e)"),
        ("AI Act Art. 5(1)(h)", "AI Act Art. 5(1)(h)(iii)"),
        ("ai act art 5(1)(e)", "AI Act Art. 5(1)(e)"),
        ("AI  Act Art 5 (1) (e)", "AI Act Art. 5(1)(e)"),
        ("GUIDELINES PARA. 228", "Guidelines para. 228"),
    ],
)
def test_label_matches(expected, cited):
    assert label_matches(expected, cited)


@pytest.mark.parametrize(
    "expected, cited",
    [
        ("AI Act Art. 9", "AI Act Art. 99"),
        ("AI Act Art. 9", "AI Act Art. 99(1)"),
        ("AI Act Art. 5(1)", "AI Act Art. 5(1a)"),
        ("GDPR Art. 9(1)", "GDPR Art. 9"),  # more specific than what was cited
        ("GDPR Art. 9", "LED Art. 9"),
        ("Guidelines para. 22", "Guidelines para. 228"),
        ("AI Act Recital 4", "AI Act Recital 43"),
    ],
)
def test_label_does_not_match(expected, cited):
    assert not label_matches(expected, cited)


@pytest.mark.parametrize(
    "question, labels",
    [
        ("Article 5(1)(e)", ["AI Act Art. 5(1)(e)"]),
        ("What does art 5(1)(e) AI Act prohibit?", ["AI Act Art. 5(1)(e)"]),
        ("Does Art. 9 GDPR apply?", ["GDPR Art. 9"]),
        ("What does article 10 of the LED say?", ["LED Art. 10"]),
        ("Explain recital 43", ["AI Act Recital 43"]),
        ("Recital 51 GDPR on photographs", ["GDPR Recital 51"]),
        ("What is in para 228?", ["Guidelines para. 228"]),
        ("paragraph 230 of the guidelines", ["Guidelines para. 230"]),
        ("Compare Art. 9 GDPR and Article 10 LED", ["GDPR Art. 9", "LED Art. 10"]),
        ("Article 5 (1) (e)", ["AI Act Art. 5(1)(e)"]),
    ],
)
def test_references_in(question, labels):
    assert references_in(question) == labels


def test_a_question_without_references_names_none():
    assert references_in("Is scraping selfies from social media to build a face database allowed?") == []


def test_instruments_named():
    assert instruments_named("Under the GDPR and the Law Enforcement Directive?") == ["GDPR", "LED"]
    assert instruments_named("What does the AI Act say? And the GDPR? And the AI Act again?") == ["AI Act", "GDPR"]
    assert instruments_named("Scraping faces from the web") == []


@pytest.mark.parametrize(("question", "points"), [
    ("live facial recognition under 5(1)(h)?", ["AI Act Art. 5(1)(h)"]),   # without the word Article
    ("is 5.1.e relevant here", ["AI Act Art. 5(1)(e)"]),
    ("Art. 5(1)(e) and 5(1)(f)", ["AI Act Art. 5(1)(e)", "AI Act Art. 5(1)(f)"]),
    ("GDPR Art. 5(1)(c) on data minimisation", []),                       # another instrument's Article 5
    ("Art. 5(1)(c) GDPR", []),
    ("Article 15(1)(a)", []),
])
def test_points_of_article_5_named(question, points):
    assert points_named(question) == points
