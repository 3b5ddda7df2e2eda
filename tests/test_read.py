"""The fact reader: clauses, negation scope, given facts, combinations and pooling, and reading real words."""

from __future__ import annotations


import numpy as np
import pytest

from assistant.config import Settings
from assistant.errors import InputError
from assistant.banks import load_examples
from assistant.read import Reader, adds, given_facts, is_negated, mixtures, negation, parse_given, split_clauses, windows
from assistant.rules import load_rules

SETTINGS = Settings()


@pytest.fixture(scope="module")
def rules():
    return load_rules(SETTINGS.rules_file)


def test_clauses_are_verbatim_spans_split_where_a_sentence_turns():
    text = "We scrape Instagram; we keep every face. But we never store names, except for staff.\n- Source: CCTV"
    clauses = split_clauses(text)
    assert all(c in text for c in clauses)
    assert clauses == ["We scrape Instagram", "we keep every face.", "But we never store names",
                       "except for staff.", "Source: CCTV"]


def test_long_clauses_are_read_in_windows_with_the_words_before_as_negation_scope():
    clause = "the tool which does not use machine learning at all downloads every picture it can find online"
    spans = windows(clause, 8)
    assert spans[0] == (clause, clause) and len(spans) > 2
    assert all(span in clause and span in scope for span, scope in spans)
    assert any(len(scope) > len(span) for span, scope in spans[1:])  # the words before a window
    # a negation governs its phrase back to the last comma, however far back it stands ...
    placed = "nothing has been placed on the market or put into service by our team"
    assert all(is_negated(scope) for span, scope in windows(placed, 4))
    # ... and no further
    after = "we do not use CCTV for this at all, the crawler collects every face it finds on public websites"
    assert not is_negated(dict(windows(after, 6))["every face it finds on public"])


@pytest.mark.parametrize(("text", "negated"), [
    ("no AI is involved", True), ("we don't keep the images", True), ("instead of our bot, staff do it", True),
    ("not only faces but also names", False), ("no exceptions: every face", False), ("we keep every face", False),
    # a negated stop says the thing goes on
    ("the crawler never stopped and still adds faces", False), ("the bot hasn't stopped adding faces", False),
    ("nothing has been added since 2024", True),
    # a question tag asks for agreement and negates nothing; the statement before it may still
    ("the database predates the ban, so we're grandfathered, aren't we?", False),
    ("we don't keep the faces, do we?", True),
])
def test_negation(text, negated):
    assert is_negated(text) is negated


def test_given_facts_are_checked_and_errors_name_the_valid_ones(rules):
    assert parse_given({"source": "cctv", "actor": "unknown"}, rules) == {"source": "cctv", "actor": "unknown"}
    with pytest.raises(InputError, match="colour") as err:
        parse_given({"colour": "blue"}, rules)
    assert "targeting" in err.value.hint
    with pytest.raises(InputError, match="mars") as err:
        parse_given({"source": "mars"}, rules)
    assert "provided_by_subjects" in err.value.hint


def _frame(assistant, *turns, given=None):
    return {f.slot: f for f in assistant.reader.read(list(turns), given).facts}


@pytest.mark.slow
def test_each_fact_is_read_with_the_users_words_as_evidence(assistant):
    text = "Our AI crawler copies every face it finds on Instagram into a searchable face database."
    frame = _frame(assistant, text)
    assert {s: f.value for s, f in frame.items() if s in ("system", "source", "targeting", "database")} == {
        "system": "ai", "source": "internet", "targeting": "untargeted", "database": "creates"}
    assert all(f.evidence in text for f in frame.values())


@pytest.mark.slow
def test_a_negated_statement_is_flipped_and_a_negated_source_says_nothing(assistant):
    frame = _frame(assistant, "No AI is used for this.", "Nothing is taken from Instagram.")
    assert frame["system"].value == "non_ai"
    assert "source" not in frame


@pytest.mark.slow
def test_a_later_turn_overrides_only_the_slots_it_speaks_to_and_given_facts_win(assistant):
    first = "Our AI crawler copies every face it finds on Instagram into a searchable face database."
    frame = _frame(assistant, first, "What if the pictures came from the shop's CCTV cameras instead?")
    assert frame["source"].value == "cctv" and frame["targeting"].value == "untargeted"
    frame = _frame(assistant, first, given={"source": "offline"})
    assert (frame["source"].value, frame["source"].origin) == ("offline", "given")


@pytest.mark.slow
def test_a_closing_question_in_the_laws_words_adds_no_fact(assistant):
    # Without the filter, "from the internet" in the question was read as the images' source.
    text = "Our app users upload selfies of themselves. Is that untargeted scraping from the internet?"
    frame = _frame(assistant, text)
    assert all("Is that" not in f.evidence for f in frame.values())
    assert frame.get("source") is None or frame["source"].value != "internet"


@pytest.mark.slow
def test_the_reading_averages_one_head_per_mixture_draw(assistant):
    reader = assistant.reader
    heads = reader._heads()
    assert all(len(h) == reader.settings.mixture_seeds > 1 for h in heads.values())
    vectors = reader.encoder.encode(["the crawler keeps every face it finds"])
    each = [h.probabilities(vectors)[:, :-1] for h in heads["targeting"]]
    assert not np.allclose(each[0], each[1])  # the draws differ ...
    assert np.allclose(reader._probabilities("targeting", vectors), sum(each) / len(each))  # ... and are averaged


@pytest.mark.slow
def test_a_targeted_search_stated_beside_an_untargeted_one_is_the_combination(assistant):
    # Guidelines para. 231: the untargeted part of a combined system is caught.
    text = ("Our bot takes all the photos with a face from Instagram and TikTok into an index. "
            "It also runs targeted searches for the faces of 20 named suspects.")
    frame = _frame(assistant, text)
    assert frame["targeting"].value == "targeted_plus_untargeted"
    assert not assistant.reader.read([text]).contradictions or all(
        "whose images" not in c for c in assistant.reader.read([text]).contradictions)


def _reading(slot, value, evidence, confidence, clause=0):
    from assistant.read import Reading
    return Reading(slot, value, evidence, confidence, clause)


def test_values_that_decide_the_law_alike_are_no_contradiction(assistant):
    reader, rules = assistant.reader, assistant.reader.rules
    system = rules.slot("system")
    assert system.on_conflict == "contradiction"
    # "no bot, no crawler" (without AI) beside "interns save them by hand": both make the
    # untargeted-scraping condition fail (para. 234), so neither contradicts the other
    facts, clash = reader._resolve(system, [_reading("system", "non_ai", "no bot, no crawler", 0.95),
                                            _reading("system", "manual", "interns save the photos by hand", 0.94, 1)])
    assert clash == "" and [f.value for f in facts] == ["non_ai"]
    # ... while an AI system beside a tool without AI would decide it differently
    facts, clash = reader._resolve(system, [_reading("system", "ai", "a neural network detects faces", 0.95),
                                            _reading("system", "non_ai", "a plain script downloads", 0.94, 1)])
    assert facts == [] and "what does the collecting" in clash


def test_combinations_fold_however_many_values_are_stated(assistant):
    # Guidelines para. 230: a group named inside a step-by-step sweep is one of its steps, so the
    # sweep is read, not a contradiction with the pre-defined group
    reader, targeting = assistant.reader, assistant.reader.rules.slot("targeting")
    readings = [_reading("targeting", "group_by_group", "city by city until the whole country", 0.97),
                _reading("targeting", "predefined_group", "everybody pictured on sports club sites", 0.95, 1),
                _reading("targeting", "untargeted", "every face on those pages", 0.96, 2)]
    facts, clash = reader._resolve(targeting, readings)
    assert clash == "" and len(facts) == 1
    assert facts[0].value in ("group_by_group", "targeted_plus_untargeted")  # both met: para. 230 / 231
    facts, _ = reader._resolve(targeting, readings[:2])
    assert [f.value for f in facts] == ["group_by_group"]
    assert facts[0].evidence == "city by city until the whole country"  # the clearer evidence is kept


def test_another_purpose_beside_a_face_database_does_not_take_it_out(assistant):
    # Guidelines para. 226: the database need not serve face recognition alone; para. 236 spares
    # an existing database only where it is not further expanded
    reader, database = assistant.reader, assistant.reader.rules.slot("database")
    ads = _reading("database", "other_purpose", "our suite measures audiences for advertisers", 0.95)
    index = _reading("database", "creates", "and indexes every face so clients can find a person", 0.93, 1)
    facts, clash = reader._resolve(database, [ads, index])
    assert clash == "" and [f.value for f in facts] == ["creates"]
    used = _reading("database", "uses_existing", "our queries run against the vendor's index", 0.95)
    grown = _reading("database", "expands", "its bots add new faces from the web every week", 0.93, 1)
    facts, clash = reader._resolve(database, [used, grown])
    assert clash == "" and [f.value for f in facts] == ["expands"]
    # ...but a database built once and an existing one merely used decide the law differently
    built = _reading("database", "creates", "we built a face gallery from web images in 2021", 0.93, 1)
    facts, clash = reader._resolve(database, [used, built])
    assert facts == [] and "what the images are for" in clash


@pytest.mark.slow
def test_a_photo_users_search_with_is_not_where_the_images_come_from(assistant):
    # Art. 5(1)(e) asks where the database's images come from; the probe photo a client uploads
    # to query it neither is that source nor contradicts it
    text = ("Our AI crawler visits public social media profiles and stores every face it finds in an index, "
            "so that paying clients can upload a photo and find out who the person is.")
    read = assistant.reader.read([text])
    assert not [c for c in read.contradictions if "where the images come from" in c]
    assert {f.value for f in read.facts if f.slot == "source"} == {"internet"}
    alone = _frame(assistant, "Clients upload a photo of someone and the app tells them who it is.")
    assert "source" not in alone or alone["source"].value == "query_photo"
    assert _status(assistant, "Clients upload a photo of someone and the app tells them who it is.", "source") == "unclear"


def test_a_value_that_answers_nothing_yields_in_the_turn_and_after_it(assistant):
    reader, source = assistant.reader, assistant.reader.rules.slot("source")
    assert source.value("query_photo").yields and not source.value("internet").yields
    facts, clash = reader._resolve(source, [_reading("source", "query_photo", "clients upload a photo to search", 0.99),
                                            _reading("source", "provided_by_subjects", "members enrol their own selfie", 0.95, 1)])
    assert clash == "" and [f.value for f in facts] == ["provided_by_subjects"]
    # a later turn's search photo does not replace the source an earlier turn stated
    read = reader.read(["We train a generator of fictitious faces on faces scraped from the web.",
                        "Now we also keep the real faces in an index, so users can upload a photo and find out who it is."])
    assert {f.value for f in read.facts if f.slot == "source"} == {"internet"}


@pytest.mark.slow
def test_a_crawler_whose_source_is_not_named_crawls_the_web(assistant):
    # Guidelines para. 227: scraping tools are web crawlers and bots; named cameras come first
    crawl = _frame(assistant, "Pipeline: crawl frontier seeded with the top 10M domains, a detector finds faces, embeddings go to a 1:N index.")
    assert crawl["source"].value == "internet"
    cameras = _frame(assistant, "A crawler goes through the archive of our CCTV cameras and keeps every face in an index.")
    assert cameras["source"].value == "cctv"


def _status(assistant, text, condition):
    from assistant.guards import assess_conditions
    frame = assistant.reader.read([text])
    return next(a.status for a in assess_conditions(frame, assistant.reader.rules) if a.condition.id == condition)


@pytest.mark.slow
def test_a_restriction_in_the_clause_defeats_the_presumption_that_a_crawler_is_untargeted(assistant):
    # Para. 228 presumes a scraping tool is a vacuum cleaner; para. 229: scraping only the images
    # of specific persons is targeted. The cue stays unless the clause restricts, and then the
    # model's reading (here only a doubt) decides: never "untargeted" from the word "crawler".
    text = "We want an AI crawler that searches public social media only for photos of the 37 children on our missing register."
    readings = [r for r in assistant.reader.read_clauses([text]) if r.slot == "targeting"]
    assert readings and not [r for r in readings if r.value == "untargeted"]
    assert {r.value for r in readings} <= {"specific_individuals", "predefined_group", "reverse_search"}  # all targeted
    # a restriction of something else leaves the presumption to the model's exceptions: none here
    kept = "Our bot only visits pages that allow bots and downloads every profile picture it finds."
    assert _frame(assistant, kept)["targeting"].value == "untargeted"  # para. 228: robots.txt does not target


def test_combinations_name_known_values(rules):
    targeting = rules.slot("targeting")
    assert targeting.combined("specific_individuals", "untargeted") == "targeted_plus_untargeted"
    assert targeting.combined("untargeted", "untargeted") is None
    bad = targeting.model_dump() | {"combine": [{"of": ["untargeted", "nobody"], "gives": "untargeted"}]}
    with pytest.raises(ValueError, match="nobody"):
        type(targeting).model_validate(bad)


def test_values_the_law_treats_alike_are_grouped_and_exceptions_stand_alone(assistant):
    reader = assistant.reader
    def groups(slot):
        values = [label.split("=", 1)[1] for label in reader._labels[slot]]
        g = reader._groups[slot]
        return [{values[i] for i in range(len(values)) if g[i, j]} for j in range(g.shape[1])]
    assert {"creates", "expands"} in groups("database")          # Art. 5(1)(e): "create or expand"
    assert {"uses_existing"} in groups("database")                # an exception is read on its own
    assert {"untargeted", "group_by_group", "targeted_plus_untargeted"} in groups("targeting")  # paras 228-231


@pytest.mark.slow
def test_a_database_said_not_to_grow_is_an_existing_one_used(assistant):
    # Guidelines para. 236: using a database without expanding it is not creating or expanding one.
    read = assistant.reader.read(["We bought a face database years ago. Since February 2025 not a single new image has been added."])
    database = {f.value for f in read.facts if f.slot == "database"}
    assert not database & {"creates", "expands"}  # never read as growing
    assert database == {"uses_existing"} or any("uses an existing database" in c for c in read.contradictions)
    frame = _frame(assistant, "Our face DB came from scraping. The crawler never stopped and it still adds new faces every night.")
    assert frame["database"].value in ("expands", "creates")


@pytest.mark.slow
def test_a_value_the_bank_states_negatively_survives_the_negation(assistant):
    # "nothing is stored" is how a live comparison is said: the negation is the value's own wording
    # (its nearest examples are negative statements), so it is read, not dropped
    assert _frame(assistant, "Nothing is stored, the comparison happens live.")["database"].value == "no_storage"
    # (the tuned model reads this short one below the exception threshold, so a reader with a lower
    # one shows the mechanism: the negation is the value's own wording and is kept, not flipped)
    lenient = _reader_with(assistant, exclusion_probability=0.8)
    assert {r.value for r in lenient.read_clauses(["There are no images involved."]) if r.slot == "data"} == {"not_facial"}
    # while a plain negation of a positively worded value still flips it
    assert _frame(assistant, "No AI is used for this.")["system"].value == "non_ai"
    # an exception with no opposite to flip to keeps a negation that its own examples share
    # ("faces of people who don't exist"), instead of being dropped
    gan = ("our GAN is trained on a huge pile of faces harvested from the internet and outputs faces of people "
           "who don't exist, for ad campaigns.")
    assert _frame(assistant, gan)["database"].value == "synthetic_generator"


def test_exclusive_negation_restricts_rather_than_negates():
    assert negation("the 200 people on the sanctions list, nobody else") == "exclusive"
    # disposing of the rest denies breadth in the same way
    assert negation("looks only for those 30 children and discards all other faces") == "exclusive"
    assert negation("drops the rest at once") == "exclusive"
    assert negation("we keep all other faces") == ""


@pytest.mark.slow
def test_faces_said_to_be_discarded_are_not_read_as_everyone_kept(assistant):
    text = ("A missing-persons charity's AI crawler looks online only for the 30 children on a police list "
            "and discards all other faces immediately.")
    targeting = {f.value for f in assistant.reader.read([text]).facts if f.slot == "targeting"}
    assert not targeting & {"untargeted", "targeted_plus_untargeted"}
    kept = assistant.reader.read(["The AI crawler looks for the 30 children and keeps all other faces too."])
    assert {f.value for f in kept.facts if f.slot == "targeting"} & {"untargeted", "targeted_plus_untargeted"}
    assert negation("nobody is targeted") == "plain"
    assert negation("only the faces of listed persons") == ""


@pytest.mark.slow
def test_a_follow_up_that_half_states_an_exception_unsettles_the_earlier_reading(assistant):
    # Guidelines para. 229: collection only of specific individuals is targeted. A narrowing
    # follow-up the reader cannot read surely still must not leave the old 'untargeted' standing.
    first = "We run an AI crawler on public sites to collect face images for our matching database."
    answer = assistant.ask("only of the 200 people on the EU sanctions list, nobody else", history=[first])
    assert answer.verdict != "prohibited"
    assert "targeting" not in {f.slot for f in answer.facts if f.value == "untargeted"}


def test_a_remark_off_the_banks_map_casts_no_doubt(assistant):
    # the heads give some exception half a chance for almost any clause; a doubt needs the clause
    # to be at least as near to that exception's examples as to the statements of no fact
    first = "Our AI crawler grabs every face it finds on social media to build a searchable face database."
    frame = assistant.reader.read([first, "My manager says the DPO signed off on it."])
    assert not frame.doubts and frame.values()["database"] == {"creates"}
    half = assistant.reader.read([first, "only of the 200 people on the EU sanctions list, nobody else"])
    assert "untargeted" not in {f.value for f in half.facts}  # a half-stated exception still unsettles


@pytest.mark.slow
def test_an_exception_read_off_the_banks_map_is_only_a_doubt(assistant):
    # The head alone hears "uses an existing database" in a legal claim that is nearer the
    # statements of no fact than any example of that value; the nearest examples must be about as
    # near as those before an exception is read.
    claim = "Since the database predates the ban, we're grandfathered"
    readings = [r for r in assistant.reader.read_clauses([claim]) if r.slot == "database"]
    assert not [r for r in readings if not r.doubt]  # not a fact (and, off the map, not even a doubt)
    loose = Reader(assistant.reader.rules, load_examples(assistant.settings.examples_file, assistant.reader.rules),
                   assistant.reader_encoder, assistant.settings.reader.model_copy(update={"off_map": 1.0}),
                   cache_dir=assistant.settings.cache_dir)
    assert [r.value for r in loose.read_clauses([claim]) if r.slot == "database" and not r.doubt] == ["uses_existing"]
    # a real exception stated near its examples is still read
    assert _frame(assistant, "Nothing is stored, the comparison happens live.")["database"].value == "no_storage"


def test_mixtures_pair_across_slots_and_one_more_statement_changes_few_pairings():
    texts = [f"statement {i} about {s}" for i in range(60) for s in ("source", "system", "")]
    labels = [f"{s}=v{i % 3}" if s else "" for i in range(60) for s in ("source", "system", "")]
    mixed, rows = mixtures(texts, labels, per_text=1, seed=5)
    assert len(mixed) == len(texts)
    slots = [{label.split("=")[0] for label in row} for row in rows]
    assert all(len(s) == len(row) for s, row in zip(slots, rows))  # never two values of one slot
    again, _ = mixtures([*texts, "one statement more about source"], [*labels, "source=v9"], per_text=1, seed=5)
    assert mixtures(texts, labels, per_text=1, seed=5)[0] == mixed  # deterministic
    assert sum(a == b for a, b in zip(mixed, again)) >= 0.9 * len(mixed)  # not redrawn


@pytest.mark.slow
def test_the_database_slot_is_read_at_its_own_calibrated_probability(assistant):
    # its many confusable values (create, expand, use, train, store nothing...) rarely let a
    # paraphrase reach the general threshold
    said = "they go into a big face bank that police can query"
    assert assistant.reader.read([said]).values().get("database") == {"creates"}
    assert "database" not in _reader_with(assistant, slot_probability={}).read([said]).values()
    with pytest.raises(InputError, match="unknown slots"):
        _reader_with(assistant, slot_probability={"databse": 0.7})


def _reader_with(assistant, **settings):
    """A reader like the assistant's, with some reader settings changed."""
    bank = load_examples(assistant.settings.examples_file, assistant.reader.rules)
    return Reader(assistant.reader.rules, bank, assistant.reader_encoder,
                  assistant.settings.reader.model_copy(update=settings), cache_dir=assistant.settings.cache_dir)


@pytest.mark.slow
def test_an_exception_read_alike_through_several_spans_of_its_clause_is_clear(assistant):
    # with an exclusion threshold no single span reaches, three spans of the clause that read the
    # same exception, their nearest examples agreeing, still make it clear: counting people builds
    # no face database
    said = "AI counting people in a train station from CCTV, outputs only headcounts per hour."
    assert assistant.reader.read([said]).values().get("database") == {"other_purpose"}
    assert _reader_with(assistant, exclusion_probability=0.9999).read([said]).values().get("database") == {"other_purpose"}
    assert "database" not in _reader_with(assistant, exclusion_probability=0.9999, agreement=(99, 0.7)).read([said]).values()


@pytest.mark.slow
def test_a_face_database_said_to_exist_already_is_not_presumed_built(assistant):
    # Guidelines para. 236: using an existing database without expanding it is outside the ban.
    # Naming a face database presumes the practice builds it, unless the clause says it exists.
    said = "The police query a face database that a contractor built by web scraping, and nothing has been added to it since."
    read = _frame(assistant, said).get("database")
    assert read is None or read.value == "uses_existing"  # never presumed built (here only doubted)
    assert _frame(assistant, "We build a face search database from pictures on the web.")["database"].value in ("creates", "expands")


@pytest.mark.parametrize(("clause", "unsure"), [
    ("I'm not sure whether we index the profile photos by face", True),
    ("the dev doesn't know if the filter is a neural network", True),
    ("no idea what the vendor keeps", True),
    ("we are sure that every face is kept", False),
    ("we don't keep any faces", False),                       # a negation, not a doubt
    ("the vendor won't tell us whether there's machine learning in it", True),
    ("we might also keep the other faces the crawler sees", True),  # a possibility
    ("keeping them is not decided yet", True),                      # an undecided plan
    ("users may upload a photo", False),                            # "may" grants, it does not doubt
])
def test_a_clause_that_states_the_users_uncertainty_is_hedged(clause, unsure):
    from assistant.read import hedged
    assert hedged(clause) is unsure


@pytest.mark.slow
def test_what_the_user_says_they_do_not_know_settles_nothing(assistant):
    said = "Our bots crawl public profiles across the web. I'm not sure whether we index the profile photos by face or just store them next to the names."
    assert "database" not in assistant.reader.read([said]).values()
    # what is read there is only a doubt, so a follow-up unsettles what an earlier turn said
    unsure = "Actually I'm not sure whether the crawler keeps every face it finds in the index."
    readings = assistant.reader.read_clauses([unsure])
    assert not [r for r in readings if not r.doubt]  # nothing read there is a fact
    first = "Our AI crawler copies every face it finds on Instagram into a searchable face database."
    assert assistant.reader.read([first]).values().get("targeting") == {"untargeted"}
    assert "targeting" not in assistant.reader.read([first, unsure]).values()


@pytest.mark.slow
def test_the_military_exclusion_needs_the_laws_own_qualifier(assistant):
    # AI Act Art. 2(3): only systems used exclusively for military, defence or national security
    # purposes; a defence contractor may also sell to the police
    military = assistant.reader.rules.slot("actor").value("military")
    assert military.requires.find("used exclusively by the armed forces") and not military.requires.find("a defence contractor")
    contractor = "We're a contractor for the ministry of defence and build a face index from social media images for them."
    assert "actor" not in assistant.reader.read([contractor]).values()
    said = "Armed forces, signals intelligence. Our AI harvests faces from social media. Used exclusively by the military."
    assert assistant.reader.read([said]).values().get("actor") == {"military"}


@pytest.mark.parametrize(("question", "way"), [
    ("Is it banned?", "ban"),
    ("Does the EU ban reach this?", "ban"),
    ("Isn't this prohibited?", "ban"),  # a negative question's inverted auxiliary turns nothing round
    ("Any legal obstacle to offering this in the EU?", "ban"),
    ("Allowed?", "clear"),
    ("Since there's no central, permanent database, the ban shouldn't apply?", "clear"),  # negated
    ("We're not European, so the AI Act can't touch us, right?", "clear"),
    ("Open source is exempt from the AI Act, isn't it?", "clear"),  # the tag is set aside
    ("Does that take us out of 5(1)(e)?", "clear"),
    ("We crawl every face online. Is it banned? Or is it allowed?", "clear"),  # the last question
    ("Thoughts?", ""),
    ("in or out of 5(1)(e)?", ""),  # both ways
    ("Which AI Act provision could apply instead to it?", ""),  # asks for content, not yes or no
    ("What if it only targeted one suspect, is it banned then?", "ban"),
    ("Scraping without AI tools, covered by the ban?", "ban"),  # a negation's scope ends at the comma
    # a negation of a clause of its own turns nothing round; one with bridging words only does
    ("Is a face dataset for model testing where nobody is identified prohibited?", "ban"),
    ("It isn't really covered by the ban, right?", "clear"),
    ("We don't think it's prohibited?", "clear"),
])
def test_which_way_a_yes_no_question_points(question, way):
    from assistant.banks import load_asking
    from assistant.config import Settings
    from assistant.read import polarity

    assert polarity(question, load_asking(Settings().anchors_file).polar) == way


@pytest.mark.parametrize(("question", "content"), [
    ("when was clearview fined in italy", True),
    ("ok, which law were the fines based on?", True),
    ("Clearview was fined under the AI Act, right?", False),
    ("What if it only targeted one suspect, is it banned then?", False),  # the last sentence asks yes or no
    ("Is it banned?", False),
])
def test_a_wh_question_asks_for_content(question, content):
    from assistant.banks import load_asking
    from assistant.config import Settings
    from assistant.read import asks_content

    assert asks_content(question, load_asking(Settings().anchors_file).polar) is content


@pytest.mark.slow
def test_a_possibility_settles_nothing(assistant):
    # a follow-up that only raises a possibility unsettles the targeted reading; it does not decide
    answer = assistant.ask("we might also keep other faces the crawler sees, not decided yet",
                           history=["We crawl the web for photos of one wanted suspect."])
    assert answer.verdict == "insufficient_facts"


@pytest.mark.slow
def test_a_database_built_before_the_ban_applied_leaves_its_expansion_open(assistant):
    # built in 2024, before Article 5 applied (2 February 2025): whether it still grows decides
    built = assistant.ask("We built our face search database by crawling social networks back in 2024. Problem now?")
    assert built.verdict == "insufficient_facts"
    assert "database" not in {f.slot for f in built.facts}
    # topped up since the ban applied: expanded, and so prohibited
    grown = assistant.ask("Our face DB was built in 2023 by our AI crawler. Since 2025 we top it up every night "
                          "with every new face from news websites. Banned?")
    assert grown.verdict == "prohibited" and ("database", "expands") in {(f.slot, f.value) for f in grown.facts}
    # built after the ban applied: created, read as such
    new = assistant.ask("Our AI crawler built a face search database from every face on social media in 2026. Banned?")
    assert new.verdict == "prohibited"


@pytest.mark.slow
def test_what_the_user_is_not_sure_of_is_not_presumed(assistant):
    said = "A downloader grabs all profile photos from a public forum into our face search gallery."
    assert assistant.ask(f"{said} Banned?").verdict == "prohibited"  # an AI tool presumed where nothing is said
    unsure = assistant.ask(f"{said} We are not sure whether it uses any machine learning. Banned?")
    assert unsure.verdict == "insufficient_facts"
    assert {c.id: c.status for c in unsure.conditions}["untargeted_scraping"] == "unclear"


@pytest.mark.slow
@pytest.mark.parametrize("question", [
    "Our AI on the shop CCTV saves every visitor's face into a gallery. Any problem?",  # faces kept in a collection
    "Our AI crawler pulls every face off news sites; clients send a selfie and we match it against everything we collected. OK?",
    # a facial recognition database "may be temporary" (Guidelines para. 226)
    "Our AI pulls every face from public Telegram channels into an in-memory index that is wiped every 24 hours; "
    "during the day any face can be matched against it. Not a database, right?",
    # what matches a face is kept, though the pictures are deleted
    "Our AI crawler takes every face off public websites; the photo is deleted at once and only the face vector is "
    "stored with the URL. No images kept, so no database?",
])
def test_a_database_is_read_from_what_it_does(assistant, question):
    answer = assistant.ask(question)
    assert {f.value for f in answer.facts if f.slot == "database"} & {"creates", "expands"}
    assert answer.verdict == "prohibited"


@pytest.mark.slow
def test_development_before_the_market_is_research_until_it_is_used(assistant):
    # AI Act Art. 2(8): research and development before placing on the market or putting into service
    before = assistant.ask("Pre-release R&D: we are developing and testing our AI crawler that indexes every face on "
                           "the web; nothing is deployed yet. Banned?")
    assert before.verdict == "not_prohibited"
    # used on live cases, it is in service whatever the market says
    used = assistant.ask("Our AI face crawler indexes every face on public websites. It has not been placed on the "
                         "market yet, but our own analysts already use it on live client cases. Banned?")
    assert used.verdict == "prohibited"


@pytest.mark.slow
def test_the_words_of_a_one_photo_search_state_no_database_but_a_database_said_elsewhere_counts(assistant):
    search = "A user uploads one photo of a person and our AI searches the internet for matching faces."
    assert assistant.reader.read([search]).values()["targeting"] == {"reverse_search"}
    assert "database" not in assistant.reader.read([search]).values()  # "matching faces" is the search itself
    kept = assistant.reader.read([search, "Every face the searches find is also kept in our own face database."])
    assert kept.values().get("database") in ({"creates"}, {"expands"})


@pytest.mark.parametrize(("clause", "adding"), [
    ("the crawler would also keep every face", True),
    ("and index those too.", True),
    ("we'd keep the names as well", True),
    ("Also, it's hosted in Frankfurt", False),  # a discourse "Also," adds no activity
    ("it is too slow for us", False),
])
def test_a_clause_that_adds_an_activity(clause, adding):
    assert adds(clause) is adding


@pytest.mark.slow
def test_a_follow_up_that_adds_faces_leaves_the_first_activity_and_is_caught(assistant):
    # Guidelines para. 234 spares voice; a follow-up that ALSO indexes faces adds an activity that
    # meets every condition, it does not inherit the voice crawler's exception
    first = "Our AI crawler downloads every public podcast episode and builds a searchable voiceprint index of the speakers."
    assert assistant.ask(first).verdict == "not_prohibited"
    added = assistant.ask("Next release: the crawler would also keep every face in the video episodes and index them for matching.",
                          history=[first])
    assert added.verdict == "prohibited"
    assert {f.slot: f.value for f in added.facts}["data"] == "faces"


def test_an_added_activity_joins_the_earlier_facts(assistant):
    reader, rules = assistant.reader, assistant.rules
    fact = lambda slot, value: given_facts({slot: value}, rules)[0]  # noqa: E731
    targeting = rules.slot("targeting")
    # para. 231: a targeted search that also keeps every face it meets is the combination
    joined = reader._joined(targeting, [fact("targeting", "specific_individuals")], [fact("targeting", "untargeted")])
    assert [f.value for f in joined] == ["targeted_plus_untargeted"]
    # an exclusion of the first activity does not stand beside an added one that meets the condition
    joined = reader._joined(rules.slot("actor"), [fact("actor", "military")], [fact("actor", "law_enforcement")])
    assert [f.value for f in joined] == ["law_enforcement"]
    joined = reader._joined(rules.slot("data"), [fact("data", "other_biometrics")], [fact("data", "faces")])
    assert [f.value for f in joined] == ["faces"]


@pytest.mark.slow
def test_faces_named_beside_other_data_or_taken_out_are_not_read_by_the_cue(assistant):
    frame = assistant.reader.read(["We derive gait signatures from street videos we download from YouTube; faces get blurred first."])
    assert frame.values().get("data") != {"faces"}


@pytest.mark.slow
def test_a_follow_up_placed_only_by_a_value_that_sets_nothing_is_unread(assistant):
    # "the faces" says what is collected but sets no condition: the correction is not understood,
    # so the earlier verdict must not stand
    first = "Our AI crawler grabs every face on news sites into an identity index."
    frame = assistant.reader.read([first, "Forget that: the faces only feed a mood classifier, nobody can be looked up."])
    assert frame.unread


@pytest.mark.slow
def test_face_vectors_said_to_be_stored_actively_are_a_face_database(assistant):
    # para. 226: what matches a face is kept, whichever way the sentence runs
    frame = assistant.reader.read(["Our bots go through public forums, detect faces and store embedding plus URL for search."])
    assert frame.values().get("database") == {"creates"}


@pytest.mark.parametrize(("clause", "kept"), [
    ("any image with a human face is dropped at once, no face kept, nothing indexed", False),
    ("no pictures are stored, only the hashed face vectors", True),  # the vectors are the database
    ("nothing is stored permanently, the index is rebuilt every night", True),  # temporary is still one (para. 226)
])
def test_nothing_kept_is_no_database_unless_something_else_or_a_while(assistant, clause, kept):
    values = assistant.reader.read([clause]).values().get("database", set())
    assert ("no_storage" not in values) is kept
