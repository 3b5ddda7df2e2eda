"""Citation labels: normalising and matching them, and finding references named in a question."""

from __future__ import annotations

import re


def normalise_label(label: str) -> str:
    """Drop case, spaces and dots: 'AI Act Art. 5(1)(e)' -> 'aiactart5(1)(e)'."""
    return re.sub(r"[\s.]+", "", label).lower()


def label_matches(expected: str, cited: str) -> bool:
    """True when `expected` is a prefix of `cited` ending at its end or before '('.

    So 'GDPR Art. 9' matches 'GDPR Art. 9(1)' but 'AI Act Art. 9' does not match 'AI Act Art. 99'.
    """
    want, got = normalise_label(expected), normalise_label(cited)
    return got.startswith(want) and (len(got) == len(want) or got[len(want)] == "(")


_INSTRUMENTS = {
    "gdpr": "GDPR",
    "led": "LED",
    "law enforcement directive": "LED",
    "ai act": "AI Act",
    "aia": "AI Act",
    "guidelines": "Guidelines",
    "red lines blog": "Red Lines blog",
    "blog": "Red Lines blog",
}
_INSTRUMENT = r"(gdpr|led|law enforcement directive|ai act|aia|guidelines|red lines blog|blog)"
_POINTS = r"((?:\s*\(\s*[0-9a-z]{1,4}\s*\))*)"
_ARTICLE = re.compile(
    rf"(?:{_INSTRUMENT}\s+)?\b(?:article|art)\.?\s*(\d+[a-z]?){_POINTS}(?:\s+(?:of\s+(?:the\s+)?)?{_INSTRUMENT})?",
    re.IGNORECASE,
)
_RECITAL = re.compile(
    rf"(?:{_INSTRUMENT}\s+)?\brecital\s+(\d+)(?:\s+(?:of\s+(?:the\s+)?)?{_INSTRUMENT})?", re.IGNORECASE
)
_PARA = re.compile(r"\b(?:para(?:graph)?s?|§)\.?\s*\(?(\d{1,3})\)?", re.IGNORECASE)


def _instrument(*names: str | None) -> str:
    for name in names:
        if name:
            return _INSTRUMENTS[name.lower()]
    return "AI Act"  # this assistant's home instrument


def instruments_named(question: str) -> list[str]:
    """Citation prefixes of the instruments a question names ('GDPR', 'LED', 'AI Act')."""
    found = [_INSTRUMENTS[m.group(1).lower()] for m in re.finditer(rf"\b{_INSTRUMENT}\b", question, re.IGNORECASE)]
    return list(dict.fromkeys(found))


def references_in(question: str) -> list[str]:
    """Citation labels the question names explicitly, in the order they appear.

    'Article 5(1)(e)' -> 'AI Act Art. 5(1)(e)'; 'Art. 9 GDPR' -> 'GDPR Art. 9';
    'recital 43' -> 'AI Act Recital 43'; 'para 228' -> 'Guidelines para. 228'.
    """
    found: list[tuple[int, str]] = []
    for m in _ARTICLE.finditer(question):
        points = re.sub(r"\s+", "", m.group(3) or "").lower()
        found.append((m.start(), f"{_instrument(m.group(1), m.group(4))} Art. {m.group(2)}{points}"))
    for m in _RECITAL.finditer(question):
        found.append((m.start(), f"{_instrument(m.group(1), m.group(3))} Recital {m.group(2)}"))
    for m in _PARA.finditer(question):
        if int(m.group(1)) >= 7:  # guideline paragraphs; 'paragraph 1' of an article is caught above
            found.append((m.start(), f"Guidelines para. {m.group(1)}"))
    seen: list[str] = []
    for _, label in sorted(found):
        if label not in seen:
            seen.append(label)
    return seen


# "5(1)(h)", "Art. 5(1)(h)" or "5.1.h": in this assistant, a point of AI Act Article 5(1)
_POINT = re.compile(
    r"(?:\b(?:article|art)\.?\s*)?(?<![\w.(])5\s*(?:\(\s*1\s*\)\s*\(\s*([a-h]{1,2})\s*\)|\.1\.([a-h]{1,2})\b)"
    rf"(?!\s+(?:of\s+(?:the\s+)?)?(?:gdpr|led|law enforcement directive))",
    re.IGNORECASE,
)


def points_named(question: str) -> list[str]:
    """Points of AI Act Article 5(1) a question names, with or without the word Article."""
    found = (f"AI Act Art. 5(1)({(m.group(1) or m.group(2)).lower()})" for m in _POINT.finditer(question)
             if not re.search(r"\b(?:gdpr|led)\s*(?:article|art)?\.?\s*$", question[: m.start()], re.IGNORECASE))
    return list(dict.fromkeys(found))

