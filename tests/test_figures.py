"""Figures a question puts to an answer note: amounts, percentages and dates compared."""

from __future__ import annotations

import pytest

from assistant.figures import Date, agrees, stated

CNIL = "The French CNIL fined Clearview AI EUR 20 million, stated to be the maximum, by deliberation SAN-2022-019 of 17 October 2022."


def test_amounts_percentages_and_dates_are_read_as_people_write_them():
    assert stated("cap is 35m or 7%?") == {"money": [35e6], "percent": [7.0]}
    assert stated("EUR 35 000 000 or 7 % of turnover") == {"money": [35e6], "percent": [7.0]}
    assert stated("fined around 20 million euros on 2 Feb 2025") == {"money": [20e6], "date": [Date(2025, 2, 2)]}
    # article numbers, instrument numbers, case numbers and bare years claim no figure
    assert stated("Article 99(3) of Regulation (EU) 2026/1744, deliberation SAN-2022-019, the 2026 omnibus") == {}


@pytest.mark.parametrize(("question", "statement", "said"), [
    ("CNIL fined Clearview 30 million, right?", CNIL, "no"),  # a wrong amount
    ("Didn't the CNIL fine Clearview 20 million euro?", CNIL, "yes"),
    ("the CNIL fine came in October 2022?", CNIL, "yes"),  # a date as precise as it is given
    ("the CNIL fine came in March 2022?", CNIL, "no"),
    ("the Dutch fine was 30 million?", "The Dutch AP fined Clearview AI a total of EUR 30.5 million.", "yes"),  # rounded
    ("max fine 15 million or 3 percent?", "Up to EUR 35 000 000 or 7 % of worldwide annual turnover.", "no"),
    ("did the CNIL fine Clearview?", CNIL, ""),  # no figure asked about
    # a statement naming two dates cannot tell which one the question means
    ("the ban applies from 2 December 2026, right?", "It applies from 2 February 2025; the 2 December 2026 date covers only new points.", ""),
])
def test_a_statement_confirms_or_contradicts_the_figures_asked_about(question, statement, said):
    assert agrees(question, statement) == said


def test_a_figure_the_rest_of_the_note_states_is_no_contradiction():
    # a daily rate is another quantity than the total the first sentence states
    statement = "The CNIL announced an overdue penalty payment of EUR 5.2 million."
    question = "Did the CNIL set a penalty of EUR 100 000 per day of delay?"
    assert agrees(question, statement) == "no"
    assert agrees(question, statement, context="a penalty of EUR 100 000 per day of delay") == ""
