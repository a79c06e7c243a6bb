"""The problem file of SPEC §1-6 as pydantic models.

These models check field types, ranges and defaults only; checks that need the whole file
(unique ids, references, mutual partners, locks that overfill a post) live in
:mod:`matcher.validation`, which reports every problem at once with its JSON path.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Id = Annotated[str, Field(min_length=1)]
# Integers the engines multiply together stay far inside 64 bits: no office needs more.
Bounded = Annotated[int, Field(ge=-1_000_000, le=1_000_000)]
Count = Annotated[int, Field(ge=0, le=1_000_000_000)]
DegreeName = Literal["associate", "bachelor", "master", "doctor"]
ServiceYear = Annotated[int, Field(ge=1, le=3)]
SelectorValue = str | bool | int | None | list[str | bool | int | None]
Selector = dict[str, SelectorValue]
TierName = Literal["coverage", "quotas", "preferences"]
DEFAULT_ORDER: tuple[TierName, ...] = ("coverage", "quotas", "preferences")


class Degree(IntEnum):
    """Degrees in SPEC's order, so that ``>=`` compares them."""

    associate = 0
    bachelor = 1
    master = 2
    doctor = 3


CANDIDATE_SELECTOR_FIELDS = frozenset(
    {"id", "home_province", "recruit_province", "university", "degree", "major_category",
     "gender", "ethnicity", "tags"}
)
POST_SELECTOR_FIELDS = frozenset(
    {"id", "province", "prefecture", "county", "programme", "project", "minority_region",
     "hardship", "tags"}
)
WISH_PATTERN_FIELDS = ("province", "prefecture", "county", "programme")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


class Wish(_Model):
    """A ranked wish: one post by id, or a pattern over the post's location and programme.

    That exactly one of the two forms is given is checked with the other cross-field rules in
    :mod:`matcher.validation` (a per-wish validator here costs seconds on a national file).
    """

    post: Id | None = Field(None, description="a post id; excludes the pattern fields")
    province: str | None = Field(None, description="pattern: post.province must equal this")
    prefecture: str | None = Field(None, description="pattern: post.prefecture must equal this")
    county: str | None = Field(None, description="pattern: post.county must equal this")
    programme: str | None = Field(None, description="pattern: post.programme must equal this")

    def pattern(self) -> tuple[str | None, str | None, str | None, str | None]:
        """The wish as a pattern key ``(province, prefecture, county, programme)``."""
        return (self.province, self.prefecture, self.county, self.programme)


class Candidate(_Model):
    """An applicant (报名者 / 志愿者)."""

    id: Id
    home_province: str = Field(description="province of household registration (生源地)")
    recruit_province: str | None = Field(
        None, description="province whose office recruits the candidate (招募省); "
        "defaults to home_province"
    )
    university: str | None = None
    degree: DegreeName = "bachelor"
    major_category: str | None = Field(None, description="top-level discipline (学科门类)")
    gender: Literal["F", "M"] | None = None
    ethnicity: str | None = None
    languages: list[str] = Field(default_factory=list, description="languages besides Mandarin")
    level: Bounded = Field(0, description="cadre grade for secondments (挂职)")
    service_years: list[ServiceYear] = Field(default_factory=lambda: [1, 2, 3])
    score: float = Field(0, description="selection score; higher means higher priority")
    wishes: list[Wish] = Field(default_factory=list, description="ranked wishes, best first")
    accept_adjustment: bool = Field(False, description="accepts any eligible post (服从调剂)")
    partner: Id | None = Field(None, description="couple partner; must be mutual")
    eligible: bool = Field(True, description="false = failed screening: never assigned")
    tags: list[str] = Field(default_factory=list)

    @property
    def origin_recruit(self) -> str:
        return self.recruit_province if self.recruit_province is not None else self.home_province


class Post(_Model):
    """A post (岗位) with one or more seats."""

    id: Id
    province: str
    prefecture: str
    county: str | None = None
    unit: str | None = None
    programme: str = Field(description="special programme (专项)")
    project: Literal["national", "local"] = "national"
    capacity: int = Field(1, ge=0, le=1_000_000)
    weight: int = Field(1, ge=1, le=1_000_000, description="importance of filling one seat")
    service_years: list[int] = Field(default_factory=lambda: [1, 2, 3])
    min_degree: DegreeName = "associate"
    major_categories: list[str] = Field(default_factory=list)
    preferred_major_categories: list[str] = Field(default_factory=list)
    languages: list[str] = Field(default_factory=list)
    gender: Literal["F", "M"] | None = None
    min_level: Bounded = 0
    minority_region: bool = False
    hardship: int = Field(0, ge=0, le=6)
    continuity_university: str | None = None
    tags: list[str] = Field(default_factory=list)


class Pairing(_Model):
    """A pairing relation (对口支援) between origin provinces and destination posts."""

    id: Id
    origins: list[str] = Field(description="origin provinces")
    origin_field: Literal["recruit_province", "home_province"] = "recruit_province"
    destinations: Selector = Field(default_factory=dict, description="selector over posts")
    mode: Literal["exclusive", "bound"]


class Quota(_Model):
    """A count or share bound on assignments (指标 / 名额), hard or soft."""

    id: Id
    label: str | None = None
    candidates: Selector = Field(default_factory=dict)
    posts: Selector = Field(default_factory=dict)
    min: Count | None = None
    max: Count | None = None
    min_share: float | None = Field(None, ge=0, le=1)
    max_share: float | None = Field(None, ge=0, le=1)
    share_base: Literal["candidates", "posts"] = "candidates"
    hard: bool = True
    penalty: float = Field(1, ge=0, le=1_000_000,
                           description="cost of one unit of deviation (soft quotas)")

    @field_validator("min_share", "max_share", "penalty", mode="before")
    @classmethod
    def _reject_bool(cls, value: Any) -> Any:
        if isinstance(value, bool):
            raise ValueError("must be a number, not true/false")
        return value


class Rules(_Model):
    pairings: list[Pairing] = Field(default_factory=list)
    quotas: list[Quota] = Field(default_factory=list)
    couple_scope: Literal["prefecture", "county", "province"] = "prefecture"
    respect_priority: bool = Field(False, description="no justified envy (分数优先、遵循志愿)")


class Objective(_Model):
    order: list[TierName] = Field(
        default_factory=lambda: list(DEFAULT_ORDER),
        description="lexicographic order of the tiers, best first",
    )
    rank_cost: Literal["linear", "quadratic"] = "linear"
    adjustment_cost: Bounded = 10
    home_bonus: Bounded = 0
    fit_bonus: Bounded = 0
    continuity_bonus: Bounded = 0

    @field_validator("order")
    @classmethod
    def _unique_tiers(cls, order: list[str]) -> list[str]:
        if len(set(order)) != len(order):
            raise ValueError("each tier may appear at most once")
        return order


class Pair(_Model):
    candidate: Id
    post: Id


class Problem(_Model):
    """A whole allocation problem (SPEC §6)."""

    schema_version: Literal["1"] = "1"
    name: str = "problem"
    candidates: list[Candidate] = Field(default_factory=list)
    posts: list[Post] = Field(default_factory=list)
    rules: Rules = Field(default_factory=Rules)
    objective: Objective = Field(default_factory=Objective)
    locks: list[Pair] = Field(default_factory=list, description="confirmed earlier placements")
    forbidden: list[Pair] = Field(default_factory=list, description="pairs never assigned")
