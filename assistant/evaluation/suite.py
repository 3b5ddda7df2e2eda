"""Golden-question suites: the case format and its loading; errors name the case and the bad key."""

from __future__ import annotations

from pathlib import Path
from typing import Any, get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from assistant.config import PROJECT_DIR
from assistant.errors import InputError
from assistant.types import Kind, Status, Verdict

DEFAULT_SUITE = PROJECT_DIR / "eval" / "golden.yaml"
RECALL_K = 5


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _as_list(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


class Expect(_Strict):
    """What a case expects; every key is optional and a case passes when all given keys hold."""

    verdict: list[Verdict] | None = Field(default=None, description="Any of these verdicts")
    verdict_not: list[Verdict] | None = Field(default=None, description="None of these verdicts")
    conditions: dict[str, Status] | None = Field(default=None, description="Condition id -> status (a subset)")
    cites: list[str] | None = Field(default=None, description="Each label matched by some citation")
    cites_any: list[str] | None = Field(default=None, description="At least one label matched by a citation")
    mentions: list[str] | None = Field(default=None, description="Each phrase appears in the answer text")
    mentions_any: list[list[str]] | None = Field(
        default=None, description="Groups of phrases: each group needs one phrase in the answer text"
    )
    absent: list[str] | None = Field(default=None, description="None of these phrases appears")
    abstain: bool | None = Field(default=None, description="Whether the answer must abstain")
    frame: dict[str, str] | None = Field(default=None, description="Slot id -> value the reader must find ('unknown' = none)")
    lead: list[str] | None = Field(default=None, description="One of these phrases in the first sentence (the direct answer)")

    _listify = field_validator("verdict", "verdict_not", "lead", mode="before")(_as_list)

    @field_validator("mentions_any", mode="before")
    @classmethod
    def _groups(cls, value: Any) -> Any:
        # A flat list is one group; a list of lists is several groups.
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return [value]
        return [_as_list(v) for v in value] if isinstance(value, list) else value

    def label_groups(self) -> list[list[str]]:
        """Expected labels as groups, each satisfied by one match: cites one per label, cites_any one."""
        return [[label] for label in self.cites or []] + ([self.cites_any] if self.cites_any else [])

    def mention_groups(self) -> list[list[str]]:
        return [[m] for m in self.mentions or []] + list(self.mentions_any or [])


class Case(_Strict):
    """One suite case: a question, optional earlier turns and facts, and what the answer must show."""

    id: str = Field(description="Unique id within the suite")
    kind: Kind = Field(description="What sort of question it is")
    question: str = Field(description="The question as a user would ask it")
    expect: Expect = Field(default_factory=Expect)
    history: list[str] = Field(default_factory=list, description="Earlier user questions, oldest first")
    facts: dict[str, str] = Field(default_factory=dict, description="Slot id -> value set by the user")


class Suite(_Strict):
    path: str = Field(description="Where the suite was loaded from")
    cases: list[Case]


def load_suite(path: Path) -> Suite:
    """Read and validate a suite; errors name the case and the bad key, nothing passes silently."""
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise InputError(f"cannot read suite {path}: {exc}", "pass a YAML suite with --suite") from exc
    if not isinstance(raw, dict) or raw.get("version") != 1:
        version = raw.get("version") if isinstance(raw, dict) else None
        raise InputError(f"{path}: unsupported suite version {version!r}", "start the suite with `version: 1`")
    if not isinstance(raw.get("cases"), list) or set(raw) - {"version", "cases"}:
        raise InputError(f"{path}: a suite has exactly `version` and a `cases` list", "see eval/golden.yaml")
    cases, seen = [], set()
    for i, item in enumerate(raw["cases"]):
        name = item.get("id", f"#{i + 1}") if isinstance(item, dict) else f"#{i + 1}"
        try:
            case = Case.model_validate(item)
        except ValidationError as exc:
            hint = f"kinds: {', '.join(get_args(Kind))}; expect keys: {', '.join(Expect.model_fields)}"
            raise InputError(f"{path}: case {name!r}: {_explain(exc)}", hint) from exc
        if case.id in seen:
            raise InputError(f"{path}: case {case.id!r} appears twice", "give every case its own id")
        seen.add(case.id)
        cases.append(case)
    return Suite(path=str(path), cases=cases)


def _explain(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(part) for part in err["loc"])
    return f"unknown key {where!r}" if err["type"] == "extra_forbidden" else f"{where}: {err['msg']}"


# ---- checking one answer -----------------------------------------------------------------------
