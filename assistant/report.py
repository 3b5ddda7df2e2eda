"""Render a graded run as Markdown and as a self-contained HTML page with inline SVG charts.

Both renderers draw the same sections (built once by `sections`); the HTML adds charts. Every
piece of text that reaches the HTML goes through html.escape: questions and answers are user text.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path

from assistant.evaluation import Comparison, Ratio, Run, flat_metrics, percentile

COLOURS = {"redlines": "#2b6cb0", "naive": "#dd6b20"}


@dataclass(frozen=True)
class Section:
    title: str
    headers: list[str]
    rows: list[list[str]]
    note: str = ""


def fmt(value: Ratio | float | None, name: str = "") -> str:
    if isinstance(value, Ratio):
        return "n/a" if value.rate is None else f"{value.rate:.1%} ({value.hits}/{value.total})"
    if value is None:
        return "n/a"
    return f"{value:.0f} ms" if name.endswith("_ms") else f"{value:.1%}"


def _delta(name: str, change: float | None) -> str:
    if change is None:
        return "n/a"
    return f"{change:+.0f} ms" if name.endswith("_ms") else f"{change * 100:+.1f} pts"


def sections(run: Run, naive: Run | None = None, comparison: Comparison | None = None) -> list[Section]:
    """Summary, confusion matrix, comparison and failures, as plain tables."""
    runs = [run] + ([naive] if naive else [])
    flats = [flat_metrics(r.metrics) for r in runs]
    out = [Section(
        "Metrics", ["metric", *(r.name for r in runs)],
        [[name, *(fmt(f.get(name), name) for f in flats)] for name in flats[0]],
        note=f"{len(run.rows)} cases from {run.suite}; corpus {run.corpus_version}; run at {run.timestamp}."
        + (f" {naive.name} cites '<file> § <heading>' chunks, so pinpoint labels (citation recall, retrieval"
           " recall@5) cannot match them." if naive else ""),
    )]
    for r in runs:
        got = sorted({g for row in r.metrics.verdict_confusion.values() for g in row})
        out.append(Section(
            f"Verdict confusion ({r.name}): expected (rows) vs got (columns)", ["expected", *got],
            [[want, *(str(row.get(g, 0)) for g in got)] for want, row in sorted(r.metrics.verdict_confusion.items())],
        ))
    if comparison:
        out.append(Section(
            "Against the baseline", ["metric", "before", "after", "change"],
            [[k, fmt(d.before, k), fmt(d.after, k), _delta(k, d.change)]
             for k, d in comparison.deltas.items()],
            note=f"Baseline {comparison.baseline}. Newly passing: {', '.join(comparison.newly_passing) or 'none'}. "
            f"Newly failing: {', '.join(comparison.newly_failing) or 'none'}.",
        ))
    out.append(Section(
        f"Failures ({len(run.failures)})", ["id", "kind", "question", "reasons"],
        [[r.id, r.kind, r.question, "; ".join(r.reasons)] for r in run.failures],
    ))
    return out


def _md_cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def render_markdown(run: Run, naive: Run | None = None, comparison: Comparison | None = None) -> str:
    lines = [f"# Evaluation: {run.metrics.pass_rate.hits}/{len(run.rows)} cases passed", ""]
    for s in sections(run, naive, comparison):
        lines += [f"## {s.title}", ""] + ([s.note, ""] if s.note else [])
        if s.rows:
            lines += ["| " + " | ".join(s.headers) + " |", "|" + "---|" * len(s.headers)]
            lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in s.rows]
            lines.append("")
    return "\n".join(lines)


# ---- SVG -----------------------------------------------------------------------------------------


def _svg(width: float, height: float, parts: Sequence[str]) -> str:
    head = f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" role="img">'
    return head + "".join(parts) + "</svg>"


def _text(x: float, y: float, content: str, size: int = 11, anchor: str = "start") -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}">{escape(content)}</text>'


def _rect(x: float, y: float, w: float, h: float, fill: str, opacity: float = 1.0, title: str = "") -> str:
    tip = f"<title>{escape(title)}</title>" if title else ""
    box = f'x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}"'
    return f'<rect {box} fill="{fill}" fill-opacity="{opacity:.2f}">{tip}</rect>'


def svg_bars(
    categories: Sequence[str], series: dict[str, Sequence[float | None]], max_value: float, label: str = "{:.0%}"
) -> str:
    """Horizontal grouped bars: one row per category, one bar per series, with a legend."""
    bar, gap, left, width = 14, 10, 190, 320
    row_h = bar * len(series) + gap
    parts = []
    for i, name in enumerate(series):
        parts += [_rect(left + i * 110, 4, 10, 10, COLOURS.get(name, "#718096")), _text(left + 14 + i * 110, 13, name)]
    for c, category in enumerate(categories):
        y0 = 24 + c * row_h
        parts.append(_text(left - 6, y0 + row_h / 2, category, anchor="end"))
        for i, (name, values) in enumerate(series.items()):
            value, y = values[c], y0 + i * bar
            w = 0 if value is None or max_value <= 0 else width * min(value / max_value, 1.0)
            text = "n/a" if value is None else label.format(value)
            parts += [_rect(left, y, w, bar - 2, COLOURS.get(name, "#718096"), title=f"{name}: {text}"),
                      _text(left + w + 4, y + bar - 4, text, size=10)]
    return _svg(left + width + 70, 24 + row_h * len(categories), parts)


def svg_matrix(rows: Sequence[str], cols: Sequence[str], counts: dict[str, dict[str, int]]) -> str:
    """A heat map of counts: rows expected, columns got."""
    cw, ch, left, top = 120, 44, 230, 40
    peak = max([n for row in counts.values() for n in row.values()] or [1])
    parts = [_text(left, 12, "got →"), _text(left - 6, 12, "expected ↓", anchor="end")]
    parts += [_text(left + j * cw + cw / 2, top - 8, col, anchor="middle") for j, col in enumerate(cols)]
    for i, row in enumerate(rows):
        y = top + i * ch
        parts.append(_text(left - 6, y + ch / 2 + 4, row, anchor="end"))
        for j, col in enumerate(cols):
            n = counts.get(row, {}).get(col, 0)
            parts += [_rect(left + j * cw, y, cw - 2, ch - 2, "#2b6cb0", 0.08 + 0.85 * n / peak if n else 0.03,
                            title=f"expected {row}, got {col}: {n}"),
                      _text(left + j * cw + cw / 2, y + ch / 2 + 4, str(n), size=13, anchor="middle")]
    return _svg(left + cw * len(cols) + 10, top + ch * len(rows) + 10, parts)


def latency_bins(runs: Sequence[Run], bins: int = 10) -> tuple[list[str], dict[str, list[float | None]]]:
    """Shared latency bins over all runs, and each run's count per bin; the last bin takes the
    slow tail (a cold first call would otherwise squash every other bar into one)."""
    values = {r.name: [row.latency_ms for row in r.rows] for r in runs}
    p95 = percentile([v for vs in values.values() for v in vs], 95) or 1.0
    step = max(math.ceil(p95 * 1.2 / (bins - 1)), 1)
    labels = [f"{i * step}–{(i + 1) * step} ms" for i in range(bins - 1)] + [f"≥ {(bins - 1) * step} ms"]
    counts = {name: [float(sum(1 for v in vs if min(int(v // step), bins - 1) == i)) for i in range(bins)]
              for name, vs in values.items()}
    return labels, counts


def charts(run: Run, naive: Run | None = None) -> list[tuple[str, str]]:
    """(title, svg) for the HTML page."""
    runs = [run] + ([naive] if naive else [])
    kinds = list(run.metrics.per_kind)
    per_kind = {r.name: [r.metrics.per_kind.get(k, Ratio()).rate for k in kinds] for r in runs}
    out = [("Pass rate per kind", svg_bars(kinds, per_kind, 1.0))]
    if naive:
        names = [k for k, v in flat_metrics(run.metrics).items() if isinstance(v, Ratio) and "." not in k]
        paired = {r.name: [flat_metrics(r.metrics)[k].rate for k in names] for r in runs}  # type: ignore[union-attr]
        out.append((f"{run.name} vs {naive.name}", svg_bars(names, paired, 1.0)))
    confusion = run.metrics.verdict_confusion
    got = sorted({g for row in confusion.values() for g in row})
    out.append(("Verdict confusion matrix (expected vs got)", svg_matrix(sorted(confusion), got, confusion)))
    labels, counts = latency_bins(runs)
    peak = max([c for cs in counts.values() for c in cs if c] or [1.0])
    out.append(("Latency of ask (cases per bin)", svg_bars(labels, counts, peak, "{:.0f}")))
    return out


# ---- HTML ----------------------------------------------------------------------------------------

_CSS = (
    "body{font-family:system-ui,sans-serif;margin:2em;max-width:72em;color:#1a202c}"
    "table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #cbd5e0;padding:.25em .5em;"
    "text-align:left;vertical-align:top;font-size:.9em}th{background:#edf2f7}.note{color:#4a5568}"
    "figure{margin:1em 0 2em}figcaption{font-weight:600;margin-bottom:.3em}"
)


def html_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render_html(run: Run, naive: Run | None = None, comparison: Comparison | None = None) -> str:
    """One self-contained page: no scripts, no external resources."""
    title = f"Evaluation: {run.metrics.pass_rate.hits}/{len(run.rows)} cases passed"
    parts = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{escape(title)}</title>"
             f"<style>{_CSS}</style></head><body><h1>{escape(title)}</h1>"]
    parts += [f"<figure><figcaption>{escape(t)}</figcaption>{svg}</figure>" for t, svg in charts(run, naive)]
    for s in sections(run, naive, comparison):
        parts.append(f"<h2>{escape(s.title)}</h2>" + (f"<p class='note'>{escape(s.note)}</p>" if s.note else ""))
        parts.append(html_table(s.headers, s.rows) if s.rows else "")
    return "".join(parts) + "</body></html>"


def write_report(folder: Path, run: Run, naive: Run | None = None, comparison: Comparison | None = None) -> None:
    """run.json (the full run), naive_run.json when there is one, report.md and report.html."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "run.json").write_text(run.model_dump_json(indent=2), encoding="utf-8")
    if naive:
        (folder / "naive_run.json").write_text(naive.model_dump_json(indent=2), encoding="utf-8")
    (folder / "report.md").write_text(render_markdown(run, naive, comparison), encoding="utf-8")
    (folder / "report.html").write_text(render_html(run, naive, comparison), encoding="utf-8")
