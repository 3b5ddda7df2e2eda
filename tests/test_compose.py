"""The composers, on hand-made passages: markers, numbering, verbatim quotes, lead-ins."""

from __future__ import annotations

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage

from assistant.compose import ChatComposer, CitationBook, compose_extractive, with_marks
from assistant.rules import Quote
from assistant.types import Passage, ScoredPassage


def _p(pid: str, label: str, text: str, authority: str = "law", order: int = 0) -> Passage:
    return Passage(id=pid, label=label, text=text, doc_id=pid.split("/")[0], instrument=label.split(" Art")[0],
                   authority=authority, order=order)


LEAD = _p("gdpr/art-83/5", "GDPR Art. 83(5)", "Infringements shall be subject to fines up to 20 000 000 EUR:", order=1)
POINT = _p("gdpr/art-83/5/a", "GDPR Art. 83(5)(a)", "the basic principles for processing;", order=2)
BLOG = _p("blog/s5-1/1", "Red Lines blog §5.1", "The basic principles for processing were breached. Heavy fines followed soon.",
          authority="commentary", order=3)


def test_with_marks_puts_markers_inside_the_sentence():
    assert with_marks("It applies.", [2, 1, 2]) == "It applies [2][1]."
    assert with_marks("No citations.", []) == "No citations."


def test_citation_book_numbers_once_and_only_cites_what_was_retrieved():
    book = CitationBook({POINT.id: POINT})
    assert book.cite(POINT, "the basic principles") == 1
    assert book.cite(POINT, "the basic principles") == 1
    assert book.cite_quote(Quote(label="GDPR Art. 83(5)(a)", quote="basic principles")) == 2
    assert book.cite_quote(Quote(label="GDPR Art. 83(5)", quote="fines")) is None  # not retrieved


def test_extractive_answer_quotes_a_point_under_its_lead_in():
    book = CitationBook({p.id: p for p in (LEAD, POINT, BLOG)})
    text = compose_extractive("maximum fine for the basic principles?", "fact",
                              [ScoredPassage(passage=POINT, score=1.0)], book)
    lines = text.splitlines()
    assert lines[0] == "GDPR Art. 83(5): “Infringements shall be subject to fines up to 20 000 000 EUR:” [1]"
    assert lines[1] == "GDPR Art. 83(5)(a): “the basic principles for processing;” [2]"


def test_commentary_that_restates_law_is_not_repeated():
    book = CitationBook({p.id: p for p in (POINT, BLOG)})
    retrieved = [ScoredPassage(passage=BLOG, score=1.0), ScoredPassage(passage=POINT, score=0.9)]
    text = compose_extractive("basic principles for processing", "fact", retrieved, book)
    assert "GDPR Art. 83(5)(a)" in text
    assert "were breached" not in text


def test_chat_composer_maps_markers_to_verbatim_sentences():
    model = GenericFakeChatModel(messages=iter([AIMessage(content="Fines followed the breaches [1]. Odd [5].")]))
    book = CitationBook({BLOG.id: BLOG})
    text = ChatComposer(model).compose("what happened?", [ScoredPassage(passage=BLOG, score=1.0)], book)
    assert text == "Fines followed the breaches [1]. Odd [1005]."
    assert book.citations[0].quote == "Heavy fines followed soon."


def _fine():
    from assistant.config import Settings
    from assistant.rules import load_rules

    return load_rules(Settings().rules_file).fine


def _fine_pool():
    fine = _fine()
    quotes = {q.label: q.quote for s in (fine.higher, fine.lower) for q in s.cites}
    return {label: _p(f"ai-act/{label}", label, text) for label, text in quotes.items()}


def test_the_turnover_a_question_states_is_read_as_people_write_it():
    from assistant.compose import stated_turnover

    fine = _fine()
    assert stated_turnover("2 billion euro turnover last year, max fine?", fine) == 2e9
    assert stated_turnover("our revenue is €120m, how much could we pay?", fine) == 120e6
    assert stated_turnover("turnover of EUR 35 000 000", fine) == 35e6
    assert stated_turnover("a startup with 3.5 million in sales", fine) == 3.5e6
    # an amount that is not the turnover, or no turnover named: nothing
    assert stated_turnover("we're a 12 person startup, would it be the 35M or the 7%?", fine) is None


def test_the_fine_is_given_in_figures_for_a_stated_turnover_each_sentence_cited():
    from assistant.compose import compose_fine

    fine = _fine()
    book = CitationBook(_fine_pool())
    text = compose_fine("Big company, EUR 1 billion turnover. Maximum fine for a 5(1)(e) breach?", fine, book)
    assert text.startswith("Up to EUR 70 000 000: 7 % of a total worldwide annual turnover of EUR 1 000 000 000")
    assert "[1]" in text and "the lower of the two is the ceiling: EUR 35 000 000 [2]." in text
    # an SME leads with the lower ceiling (Art. 99(6))
    sme = compose_fine("we're an SME with EUR 10 million turnover. worst case fine?", fine, CitationBook(_fine_pool()))
    assert sme.startswith("Up to EUR 700 000 for an SME or a start-up")
    # no fine asked, or no turnover stated: no figures
    assert compose_fine("What is our turnover of EUR 5 million used for?", fine, CitationBook(_fine_pool())) == ""
    assert compose_fine("What is the maximum fine?", fine, CitationBook(_fine_pool())) == ""
    # a quote the pool lacks leaves its sentence out rather than uncited
    assert compose_fine("EUR 1 billion turnover, max fine?", fine, CitationBook({})) == ""
