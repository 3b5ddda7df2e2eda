"""The trainer scenario library (eval/scenarios.yaml): narratives, their facts as slot values, and
what-if flips. Checked at load against the rule file's slots, so a typo names the scenario and the
valid values instead of failing later inside the assistant."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, model_validator

from assistant.rules import UNKNOWN, Slot
from assistant.types import Verdict


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Flip(_Strict):
    """A what-if: one slot of the scenario set to another value."""

    slot: str = Field(description="Slot id from the rule file, e.g. 'source'")
    value: str = Field(description="The value it takes in the what-if, e.g. 'provided_by_subjects'")
    expected_verdict: Verdict


class Scenario(_Strict):
    """A trainer scenario: a narrative, its facts as slot values, and what-if flips."""

    id: str
    title: str
    narrative: str = Field(description="The question a trainer would ask")
    facts: dict[str, str] = Field(description="Slot id -> value id, given to the assistant as the user's facts")
    expected_verdict: Verdict
    flips: list[Flip] = Field(default_factory=list)
    teaching_notes: str = ""
    key_citations: list[str] = Field(default_factory=list, description="Labels of the decisive passages")

    @model_validator(mode="after")
    def _flips_change_a_given_fact(self) -> Scenario:
        for flip in self.flips:
            if flip.slot not in self.facts:
                raise ValueError(f"flip sets {flip.slot!r}, which has no fact in scenario {self.id!r}")
            if self.facts[flip.slot] == flip.value:
                raise ValueError(f"flip sets {flip.slot!r} to {flip.value!r}, its value already, in scenario {self.id!r}")
        return self

    @model_validator(mode="after")
    def _known_slots_and_values(self, info: ValidationInfo) -> Scenario:
        """With the rule file's slots in the validation context, every slot and value must exist."""
        slots: dict[str, set[str]] = (info.context or {}).get("slots", {})
        if not slots:
            return self
        pairs = [*self.facts.items(), *((f.slot, f.value) for f in self.flips)]
        for slot, value in pairs:
            if slot not in slots:
                raise ValueError(f"scenario {self.id!r}: unknown slot {slot!r}; use one of: {', '.join(slots)}")
            if value not in slots[slot]:
                raise ValueError(f"scenario {self.id!r}: unknown value {value!r} for {slot!r}; use one of: {', '.join(sorted(slots[slot]))}")
        return self

    def facts_with(self, slot: str, value: str) -> dict[str, str]:
        """The facts with one slot set to another value."""
        return {**self.facts, slot: value}


class ScenarioLibrary(_Strict):
    version: int = Field(description="Format version: 2 gives facts as slot values (1 gave statements)")
    scenarios: list[Scenario]

    @model_validator(mode="before")
    @classmethod
    def _supported_version(cls, data: dict) -> dict:
        # Checked first: a version 1 file would otherwise fail on its statements, hiding the cause.
        if isinstance(data, dict) and data.get("version") != 2:
            raise ValueError(f"unsupported scenario file version {data.get('version')}; facts are now slot values (version 2)")
        return data

    @model_validator(mode="after")
    def _unique_ids(self) -> ScenarioLibrary:
        ids = [s.id for s in self.scenarios]
        if dupes := sorted({i for i in ids if ids.count(i) > 1}):
            raise ValueError(f"scenario ids appear twice: {', '.join(dupes)}")
        return self

    def get(self, scenario_id: str) -> Scenario:
        return next(s for s in self.scenarios if s.id == scenario_id)


def load_scenarios(path: Path, slots: Iterable[Slot] = ()) -> ScenarioLibrary:
    """Read and validate the scenario library; with `slots`, every fact must name a real slot value."""
    context = {"slots": {s.id: {*s.ids(), UNKNOWN} for s in slots}}
    return ScenarioLibrary.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")), context=context)
