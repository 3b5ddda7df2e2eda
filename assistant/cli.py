"""The `redlines` command. The library raises; this module turns errors into messages and codes."""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from collections.abc import Sequence

from pydantic import ValidationError

from assistant.config import Settings
from assistant.errors import IndexMissingError, IndexStaleError, InputError, RedlinesError

EXIT_ERROR, EXIT_USAGE, EXIT_INDEX = 1, 2, 3


def _settings() -> Settings:
    return Settings()


def cmd_ingest(args: argparse.Namespace) -> int:
    from assistant.index import ingest

    report = ingest(_settings(), progress=not args.quiet)
    if args.json:
        print(report.model_dump_json(indent=2))
        return 0
    state = "rebuilt" if report.rebuilt else "unchanged"
    print(
        f"{state}: {report.documents} documents, {report.passages} passages "
        f"(+{report.added} added, ~{report.changed} changed, -{report.removed} removed, "
        f"{report.embedded} embedded) in {report.seconds:.2f} s; corpus {report.corpus_version}"
        + (f" [{report.reason}]" if report.reason else "")
    )
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    from assistant.index import open_index
    from assistant.retrieve import HybridRetriever

    settings = _settings()
    retriever = HybridRetriever(
        index=open_index(settings), settings=settings.retrieval,
        instruments=tuple(args.instrument or ()), authorities=tuple(args.authority or ()),
    )
    hits = retriever.search(args.query, k=args.k)
    if args.json:
        rows = [
            {"rank": i, "label": h.passage.label, "passage_id": h.passage.id, "score": round(h.score, 5),
             "similarity": round(h.dense, 4), "direct": h.direct, "authority": h.passage.authority,
             "source": h.passage.url, "text": h.passage.text}
            for i, h in enumerate(hits, start=1)
        ]
        print(json.dumps({"query": args.query, "results": rows}, ensure_ascii=False, indent=2))
        return 0
    for i, h in enumerate(hits, start=1):
        how = "named in query" if h.direct else f"score {h.score:.4f}"
        print(f"{i:2d}. {h.passage.label}  ({how}, {h.passage.authority})  {h.passage.url}")
        print(textwrap.indent(textwrap.shorten(h.passage.text, 220, placeholder=" …"), "    "))
    return 0


def _parse_facts(pairs: Sequence[str]) -> dict[str, str]:
    facts = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise InputError(f"--fact {pair!r} is not slot=value", "e.g. --fact source=cctv (see `redlines ask --help`)")
        facts[key.strip()] = value.strip()
    return facts


def cmd_ask(args: argparse.Namespace) -> int:
    from assistant.pipeline import Assistant

    answer = Assistant(_settings()).ask(args.question, facts=_parse_facts(args.fact or []) or None)
    if args.json:
        print(json.dumps(answer.model_dump(mode="json"), ensure_ascii=False, indent=2))
        return 0
    print(answer.answer)
    if answer.citations:
        print("\nSources:")
        for c in answer.citations:
            print(f"[{c.n}] {c.label}: “{textwrap.shorten(c.quote, 160, placeholder=' …')}”")
    print(f"\n{answer.notice} Corpus {answer.corpus_version}.")
    return 0


def cmd_config(args: argparse.Namespace) -> int:
    print(_settings().model_dump_json(indent=2))
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from assistant.evaluation import main as eval_main

    return eval_main(args, _settings())


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="redlines", description="Legal Q&A on Article 5(1)(e) AI Act, offline.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ingest", help="build or update the index from corpus/")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("search", help="top passages for a query, with citation labels")
    p.add_argument("query")
    p.add_argument("-k", type=int, default=5, help="number of passages (default 5)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--instrument", action="append", help="keep only this citation prefix, e.g. GDPR (repeatable)")
    p.add_argument("--authority", action="append", choices=["law", "guidance", "decision", "commentary"])
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("ask", help="a cited answer; a verdict for scenarios")
    p.add_argument("question")
    p.add_argument("--json", action="store_true")
    p.add_argument("--fact", action="append", metavar="SLOT=VALUE",
                   help="correct a fact the reader got wrong, e.g. --fact source=cctv; slots: actor, system, data, "
                        "source, targeting, database, notes (an unknown slot or value lists the valid ones)")
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("config", help="print the resolved settings")
    p.set_defaults(func=cmd_config)

    p = sub.add_parser("eval", help="run a golden-question suite")
    p.add_argument("--suite", default=None, help="suite YAML (default eval/golden.yaml)")
    p.add_argument("--json", action="store_true", help="print a machine-readable summary")
    p.add_argument("--report", metavar="DIR", help="write Markdown + HTML reports and run.json here")
    p.add_argument("--baseline", metavar="RUN.json", help="compare against an earlier run")
    p.add_argument("--min-pass", type=float, default=None, help="exit 1 when the pass rate is below this")
    p.add_argument("--with-naive", action="store_true", help="also run the plain LangChain RAG baseline")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_eval)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ValidationError as exc:
        err = exc.errors()[0]
        print(f"error: bad setting {'.'.join(map(str, err['loc']))}: {err['msg']}", file=sys.stderr)
        return EXIT_USAGE
    except (IndexMissingError, IndexStaleError) as exc:
        print(f"error: {exc.args[0]}\nhint: {exc.hint}", file=sys.stderr)
        return EXIT_INDEX
    except InputError as exc:
        print(f"error: {exc.args[0]}\nhint: {exc.hint}", file=sys.stderr)
        return EXIT_USAGE
    except RedlinesError as exc:
        print(f"error: {exc.args[0]}" + (f"\nhint: {exc.hint}" if exc.hint else ""), file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
