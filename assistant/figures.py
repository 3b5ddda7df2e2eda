"""Figures a text states: amounts of money, percentages and dates, and whether a statement
confirms or contradicts the figures a yes/no question puts to it.

"CNIL fined Clearview 30 million, right?" asks about a figure: an answer note that says the CNIL
fined EUR 20 million answers it "no" whichever way the note's own questions were put, and "Didn't
the Garante fine Clearview 20 million euro?" is answered "yes" by a note stating EUR 20 million.
Only a kind of figure the statement states once is compared (a note naming two dates cannot tell
which of them the question means).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# An amount of money as people write it: "EUR 2 billion", "€10m", "1.2bn euro", "35 000 000", "500k".
MONEY = re.compile(
    r"(?:\b(?:eur|euros?|gbp)\s*|[€£]\s*)?(?<![\w.,])(\d{1,3}(?:[ ,.]\d{3})+|\d+(?:[.,]\d+)?)\s*"
    r"(billion|bn|b|million|mio|mln|mil|mn|m|thousand|k)?\b\s*(?:eur\b|euros?\b|€|gbp\b|pounds?\b)?",
    re.IGNORECASE,
)
_SCALE = {"billion": 1e9, "bn": 1e9, "b": 1e9, "million": 1e6, "mio": 1e6, "mln": 1e6, "mil": 1e6, "mn": 1e6, "m": 1e6,
          "thousand": 1e3, "k": 1e3}
_CURRENCY = re.compile(r"eur|€|gbp|£|pound", re.IGNORECASE)
_PERCENT = re.compile(r"(?<![\w.,])(\d+(?:[.,]\d+)?)\s*(?:%|percent\b|per cent\b|pct\b)", re.IGNORECASE)
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
# A date with its month ("2 Feb 2025", "October 2022"); a bare year often names a thing ("the 2026
# omnibus", "Regulation (EU) 2026/1744") and claims no date.
_DATE = re.compile(
    r"\b(?:(\d{1,2})(?:st|nd|rd|th)?\s+)?(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?,?\s+((?:19|20)\d{2})\b",
    re.IGNORECASE,
)


def euros(digits: str, scale: str | None) -> float:
    """The value of an amount as matched by MONEY: "35 000 000" or "35" with "million"."""
    if re.fullmatch(r"\d{1,3}(?:[ ,.]\d{3})+", digits) and not scale:
        value = float(re.sub(r"[ ,.]", "", digits))  # thousands separated
    else:
        value = float(digits.replace(",", "."))
    return value * _SCALE.get((scale or "").lower(), 1.0)


def is_amount(match: re.Match[str]) -> bool:
    """An amount of money, not an article number: a scale word, a currency, or five digits or more."""
    return bool(match.group(2) or _CURRENCY.search(match.group(0)) or len(re.sub(r"\D", "", match.group(1))) >= 5)


@dataclass(frozen=True)
class Date:
    year: int
    month: int
    day: int = 0  # 0: not stated

    def within(self, other: Date) -> bool:
        """Whether this date, as precisely as it is given, agrees with the other."""
        return (self.year, self.month) == (other.year, other.month) and (not self.day or not other.day or self.day == other.day)


def stated(text: str) -> dict[str, list]:
    """The figures a text states, by kind: 'money' (values), 'percent' (values), 'date' (Dates)."""
    percent = [float(m.group(1).replace(",", ".")) for m in _PERCENT.finditer(text)]
    rest = _PERCENT.sub(" ", text)
    dates = [Date(int(m.group(3)), _MONTHS.index(m.group(2).lower()[:3]) + 1, int(m.group(1) or 0)) for m in _DATE.finditer(rest)]
    rest = _DATE.sub(" ", rest)
    money = [euros(*m.groups()) for m in MONEY.finditer(rest) if is_amount(m)]
    return {kind: values for kind, values in (("money", money), ("percent", percent), ("date", dates)) if values}


def _same(kind: str, asked: object, said: object) -> bool:
    if kind == "date":
        return asked.within(said)  # type: ignore[attr-defined]
    return abs(asked - said) <= 0.05 * max(abs(said), 1e-9)  # type: ignore[operator]  # "30 million" for 30.5 million


def agrees(question: str, statement: str, context: str = "") -> str:
    """'yes' where every figure the question states agrees with the one figure of that kind the
    statement states; 'no' where one does not and the context (the rest of what is known about
    it) states it nowhere either ("EUR 100 000 per day" beside a total of EUR 5.2 million);
    '' where they share no kind stated once."""
    asked, said = stated(question), stated(statement)
    kinds = [k for k in asked if len(said.get(k, [])) == 1]
    if not kinds:
        return ""
    if all(_same(k, a, said[k][0]) for k in kinds for a in asked[k]):
        return "yes"
    known = stated(f"{statement} {context}")
    strays = [a for k in kinds for a in asked[k] if not any(_same(k, a, s) for s in known.get(k, []))]
    return "no" if strays else ""
