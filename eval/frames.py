"""Frame-level accuracy of the fact reader on a set of statements with expected slot values.

Usage: python eval/frames.py [eval/blind/frames.yaml]  — prints one JSON object: per slot, the
accuracy over all expected values, over the confident calls only (slot filled), the share left
unknown, and a confusion matrix (expected -> read -> count).
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path

import yaml

from assistant.config import PROJECT_DIR, Settings
from assistant.pipeline import Assistant


def frame_scores(assistant: Assistant, items: list[dict]) -> dict:
    stats: dict = defaultdict(lambda: {"total": 0, "correct": 0, "filled": 0, "filled_correct": 0,
                                       "confusion": defaultdict(lambda: defaultdict(int))})
    for item in items:
        read = assistant.reader.read([item["text"]]).values()
        for slot, want in (item.get("frame") or {}).items():
            got = read.get(slot, {"unknown"})
            s = stats[slot]
            s["total"] += 1
            s["correct"] += want in got
            if got != {"unknown"}:
                s["filled"] += 1
                s["filled_correct"] += want in got
            s["confusion"][want]["/".join(sorted(got))] += 1
    out = {}
    for slot, s in sorted(stats.items()):
        out[slot] = {
            "accuracy": round(s["correct"] / s["total"], 3), "n": s["total"],
            "confident_accuracy": round(s["filled_correct"] / s["filled"], 3) if s["filled"] else None,
            "unknown_share": round(1 - s["filled"] / s["total"], 3),
            "confusion": {k: dict(v) for k, v in s["confusion"].items()},
        }
    total = sum(s["total"] for s in stats.values())
    filled = sum(s["filled"] for s in stats.values())
    out["all"] = {"accuracy": round(sum(s["correct"] for s in stats.values()) / total, 3),
                  "confident_accuracy": round(sum(s["filled_correct"] for s in stats.values()) / filled, 3),
                  "unknown_share": round(1 - filled / total, 3), "n": total}
    return out


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else PROJECT_DIR / "eval" / "blind" / "frames.yaml"
    items = yaml.safe_load(path.read_text(encoding="utf-8"))["items"]
    print(json.dumps(frame_scores(Assistant(Settings()), items), indent=1))


if __name__ == "__main__":
    main()
