"""Answer notes: every quote verbatim in the corpus, questions split into parts, matching by meaning."""

from __future__ import annotations

import pytest

from assistant.chunking import chunk_corpus, normalise_text
from assistant.config import Settings
from assistant.corpus import load_documents
from assistant.errors import RulesError
from assistant.notes import NoteBook, load_notes, question_parts

SETTINGS = Settings()


def test_every_note_sentence_rests_on_verbatim_quotes():
    passages = chunk_corpus(load_documents(SETTINGS.corpus_dir))
    bad = []
    for note in load_notes(SETTINGS.notes_file):
        for sentence in note.answer:
            for q in sentence.cites:
                if not any(p.label == q.label and normalise_text(q.quote) in normalise_text(p.text) for p in passages):
                    bad.append(f"{note.id}: {q.label}: {q.quote[:60]}")
    assert not bad, bad


def test_no_question_belongs_to_two_notes():
    seen: dict[str, str] = {}
    for note in load_notes(SETTINGS.notes_file):
        for q in note.questions:
            assert seen.setdefault(q.casefold(), note.id) == note.id, q


def test_a_bad_notes_file_is_named(tmp_path):
    path = tmp_path / "notes.yaml"
    path.write_text("version: 1\nnotes:\n  - id: x\n    questions: ['q?']\n    answer: [{text: 'No quote.', cites: []}]\n")
    with pytest.raises(RulesError, match="notes.yaml"):
        load_notes(path)


def test_a_near_miss_that_is_also_a_question_of_the_note_is_named(tmp_path):
    path = tmp_path / "notes.yaml"
    path.write_text("version: 1\nnotes:\n  - id: x\n    questions: ['Banned?']\n    unlike: ['banned?']\n"
                    "    answer: [{text: 'Yes.', cites: [{label: 'AI Act Art. 5(1)(e)', quote: 'the placing on the market'}]}]\n")
    with pytest.raises(RulesError, match="notes.yaml: note 'x' lists 'banned\\?' both as a question and as a near miss"):
        load_notes(path)


def test_a_question_in_several_parts_is_split():
    assert question_parts("who fined Clearview? and how much was the biggest fine?") == [
        "who fined Clearview?", "and how much was the biggest fine?"]
    assert question_parts("when does it apply and what does untargeted mean") == [
        "when does it apply", "what does untargeted mean"]
    assert question_parts("what is scraping") == ["what is scraping"]


@pytest.mark.slow
def test_a_false_premise_gets_the_note_that_says_no(assistant):
    answer = assistant.ask("since the omnibus postponed the ban, we have until 2027, right?")
    assert answer.answer.startswith("No")
    assert answer.citations and not answer.verdict


@pytest.mark.slow
def test_a_clear_lead_counts_towards_the_threshold(assistant):
    book = assistant.notebook
    question = "how much do we pay if caught"  # far from every question of the note, nearest to one note
    strict = NoteBook(tuple(book.notes.values()), book.encoder, book.threshold, book.margin, lead_weight=0.0)
    lenient = NoteBook(tuple(book.notes.values()), book.encoder, book.threshold, book.margin, lead_weight=1.0)
    strict.bank, lenient.bank = book.bank, book.bank  # the same vectors, already computed
    assert [m.note.id for m in lenient.match(question)] == ["fine-article-5"]
    assert strict.match(question) == []
    assert lenient.match("What's a good recipe for lasagne?") == []


@pytest.mark.slow
def test_a_note_says_yes_or_no_only_to_a_question_pointing_its_way(assistant):
    # matched loosely, but its nearest question asks the same way ("covered by 5(1)(e)?"): its "No" answers
    loose = assistant.ask("voice recordings covered too?")
    assert assistant._judged(assistant.notebook.match("voice recordings covered too?"))[0].score < assistant.settings.notes.polar
    assert loose.answer.startswith("No, the ban does not apply")
    # matched closely, but asking the other way ("allowed?" against "banned too?"): its "No" would be wrong
    other = assistant.ask("so scraping voice clips is allowed?")
    assert assistant.notebook.match("so scraping voice clips is allowed?")[0].score >= assistant.settings.notes.polar
    assert other.answer.startswith("The ban does not apply")


@pytest.mark.slow
def test_two_notes_that_answer_alike_need_no_lead_over_each_other(assistant):
    book = assistant.notebook
    question = "small mid-caps also get the 'whichever is lower' cap for an Article 5 fine, yes?"
    (top, second) = _two_nearest(book, question)
    # two notes, each answering "No", almost equally near: neither leads the other by the margin
    assert top[1] - second[1] < book.margin
    assert {book.notes[top[0]].answer[0].text[:3], book.notes[second[0]].answer[0].text[:3]} == {"No,"}
    (match,) = book.match(question)
    assert match.note.id == top[0] and match.plain
    # matched with a twin's help, the note answers with what it says, its "No" withheld: a twin
    # near alike may be just as near to the opposite question
    answer = assistant.ask(question).answer
    assert not answer.startswith("No") and answer.lower().startswith(book.notes[top[0]].answer[0].text[4:30].lower())


@pytest.mark.slow
def test_a_note_citing_what_the_search_found_may_match_below_the_threshold(assistant):
    book = assistant.notebook
    question = "new rules changed the maximum penalty for banned AI practices?"
    assert book.match(question) == []  # too far from every question of the notes on its own
    found = [sp.passage.label for sp in assistant.retriever.search(question)[:3]]
    lower = assistant.settings.notes.supported
    (match,) = book.match(question, found=found, threshold=lower)
    assert match.note.id == "fine-omnibus-change" and match.plain
    assert book.match(question, found=["GDPR Art. 15"], threshold=lower) == []  # the search found other law
    # matched with the search's help, the note answers with what it says but without its leading "No"
    assert assistant.ask(question).answer.startswith("In the consolidated text of 27 July 2026 the Article 5 fine")


def _two_nearest(book: NoteBook, question: str) -> list[tuple[str, float]]:
    row = book.bank.nearest(book.bank.similarities(book.encoder.encode([question])))[0]
    order = row.argsort()[::-1][:2]
    return [(book.bank.label_set[i], float(row[i])) for i in order]


@pytest.mark.slow
def test_a_loose_note_answers_yes_or_no_the_way_all_its_questions_point(assistant):
    # its nearest question ("what about GANs ...?") points no way, but every question of the note
    # that points any way asks "banned?" / "covered?": its "No" answers a question pointing there
    question = "a GAN trained on scraped selfies to make fake faces - banned?"
    (match,) = assistant._judged(assistant.notebook.match(question))
    assert match.note.id == "fictitious-faces" and match.score < assistant.settings.notes.polar
    assert assistant._note_way(match.note) == "ban"
    assert assistant.ask(question).answer.startswith("No, AI systems that harvest facial images")
    # ...and not one pointing the other way
    assert not assistant.ask("a GAN trained on scraped selfies to make fake faces - allowed?").answer.startswith("No")


@pytest.mark.slow
def test_a_question_as_near_a_near_miss_as_the_note_loses_its_yes_or_no(assistant):
    book = assistant.notebook
    # the note answers "was the ban postponed?" with "No"; asked whether it has applied since
    # 2 February 2025, that "No" would be wrong (and the note names two dates, so no figure decides)
    near_miss = "Has Article 5(1)(e) applied since 2 February 2025?"
    assert near_miss in book.notes["date-omnibus-not-postponed"].unlike
    (match,) = book.match(near_miss)
    assert match.note.id == "date-omnibus-not-postponed" and match.score >= assistant.settings.notes.polar and match.plain
    assert assistant.ask(near_miss).answer.startswith("Article 5(1)(e) still applies from 2 February 2025")
    # a near miss about a figure is answered by the figure: 30.5 million is not what the Garante fined
    figure = "Did the Italian Garante fine Clearview EUR 30.5 million?"
    assert figure in book.notes["clearview-garante-yes"].unlike and book.match(figure)[0].plain
    assert assistant.ask(figure).answer.startswith("No, the Italian Garante fined Clearview AI EUR 20 million")
    # the note's own question keeps its "Yes"
    (own,) = book.match("the italian authority gave a fine to clearview, yes?")
    assert not own.plain
    assert assistant.ask("the italian authority gave a fine to clearview, yes?").answer.startswith("Yes, the Italian Garante")
    # without near misses the same question would have taken the "Yes"
    bare = NoteBook(tuple(n.model_copy(update={"unlike": ()}) for n in book.notes.values()), book.encoder,
                    book.threshold, book.margin, lead_weight=book.lead_weight)
    bare.bank = book.bank
    assert not bare.match(near_miss)[0].plain


@pytest.mark.slow
def test_a_wh_question_gets_what_the_note_says_without_yes_or_no(assistant):
    question = "What overdue penalty payment did the CNIL announce against Clearview AI in 2023?"  # near a yes/no note, but it asks for an amount
    (match,) = assistant._judged(assistant.notebook.match(question))
    assert match.note.id == "clearview-cnil-overdue-penalty" and match.score >= assistant.settings.notes.polar and not match.sure
    assert "EUR 5.2 million" in assistant.ask(question).answer.split("\n")[0]
    assert not assistant.ask(question).answer.startswith("Yes")


@pytest.mark.slow
def test_a_search_that_found_nothing_relevant_backs_no_note(assistant):
    # the lower threshold for a note citing what the search found needs a search that found
    # something: a request outside the corpus is declined, not answered with the nearest note
    answer = assistant.ask("Write me a Python function that reverses a linked list.")
    assert answer.abstained and answer.kind == "out_of_scope"


@pytest.mark.slow
def test_the_figures_asked_about_decide_the_yes_or_no(assistant):
    # Enforcement fact sheet: the CNIL fined Clearview AI EUR 20 million. A wrong amount gets "No"
    # and the right one, however it is asked, "Yes", each followed by what the note says.
    wrong = assistant.ask("CNIL fined Clearview 30 million, right?").answer
    assert wrong.startswith("No, the French CNIL fined Clearview AI EUR 20 million")
    right = assistant.ask("Didn't the CNIL fine Clearview 20 million euros?").answer
    assert right.startswith("Yes, the French CNIL fined Clearview AI EUR 20 million")
    # a figure named, not claimed ("did the omnibus change the 35m / 7% ceiling?"): the note's own answer
    named = assistant.ask("did the omnibus change the 35m / 7% ceiling for art 5 breaches?").answer
    assert not named.lower().startswith("yes")
