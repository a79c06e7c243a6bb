"""Realistic, deterministic national rounds of the western programme (大学生志愿服务西部计划).

Why this exists: engines, benchmarks and demos need problems with the shape of a real round —
about four applicants per seat, seats spread over ~2,000 western counties, pairing rules that
reserve Xinjiang, Tibet and the XPCC for their aiding provinces, a minority-region target,
skewed popularity — at any size up to the national scale of REFERENCE.md (100,000 candidates,
25,000 seats). Everything here is approximate and synthetic; nothing is real personal data.

Design choices:

* **One source of truth for standing rules.** The programme's rules that do not change from
  round to round (pairings, the minority target, objective weights, the programme list) live in
  the programme model ``models/xibu_national.json`` at the repository root, and the generator
  reads them from there (``model=None``) or from a model the caller passes. There is no
  built-in copy: a second copy would drift. An installed wheel without the repository must pass
  ``model=`` explicitly. Per-round numbers (recruiting-province indicators) depend on the
  generated applicants and are computed here.
* **A fixed map, a seeded round.** Prefectures, counties, their hardship, minority status and
  popularity come from a fixed-seed generator, so every seed is a different round on the same
  map (county ``Kashgar-C3`` is the same place in every file). Posts, applicants and wishes
  come from ``np.random.default_rng(seed)``; the same arguments give byte-identical JSON.
* **Vectorised.** Attributes are drawn as numpy arrays and wishes are drawn per applicant
  profile (home × recruiting province) in one call each, so 100,000 candidates take seconds;
  only the final conversion to JSON-ready dicts is a Python loop.
* **Valid always, feasible by construction where it can be.** Without ``respect_priority`` every
  hard rule emitted (maximum counts, a minimum *share* of all placements) holds for the empty
  assignment, so the problem is feasible. With ``respect_priority`` the empty assignment is
  not envy-free and SPEC's no-envy rule ignores quotas, so any binding quota can contradict
  it: measured, a hard minority target made 7 of 30 score-first rounds of 100 applicants
  infeasible. In score-first rounds every quota is therefore emitted soft (same bounds and
  penalty), and couples rank after individual applicants (see ``_couple_up``). With couples
  an envy-free placement need not exist at all (Roth 1984), so a rare score-first round with
  couples stays infeasible (measured: 1 seed in 30 at 100 applicants, none in 15 at 200);
  the solver then names the couple in its conflict, which is itself worth testing.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field

from matcher.problem import Objective, Quota, Rules, Selector

BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
StrArray = npt.NDArray[Any]  # str or object dtype

MODEL_PATH = Path(__file__).resolve().parents[2] / "models" / "xibu_national.json"


# --- the programme model ------------------------------------------------------------------


class ProgrammeInfo(BaseModel):
    """One special programme (专项) of the model and what its posts usually ask for."""

    model_config = ConfigDict(extra="forbid")

    id: str
    name_zh: str
    covers: str = Field(description="which posts the programme covers")
    provinces: list[str] | None = Field(
        None, description="serving provinces the programme is limited to; null = all")
    major_categories: list[str] = Field(
        default_factory=list, description="majors most of its posts require")
    preferred_major_categories: list[str] = Field(default_factory=list)


class ProgrammeModel(BaseModel):
    """A programme's standing rules as data: what stays the same from one round to the next.

    ``rules`` and ``objective`` are SPEC's own models, so a programme model is checked against
    the same contract as a problem file; ``rules.respect_priority`` is ignored (the round
    decides). ``programmes[].major_categories`` is what most posts of the programme require
    (the generator requires it on 80% of them), not a rule on every post.
    """

    model_config = ConfigDict(extra="forbid")

    name: str
    title: str = ""
    description: str = ""
    programmes: list[ProgrammeInfo]
    rules: Rules = Field(default_factory=Rules)
    objective: Objective = Field(default_factory=Objective)


def load_model(path: Path | None = None) -> ProgrammeModel:
    """Read a programme model; by default the western programme's, from the repository."""
    path = path or MODEL_PATH
    if not path.is_file():
        raise FileNotFoundError(
            f"programme model {path} not found: run from the matcher repository or pass "
            "model= (a ProgrammeModel or its JSON object) to generate_problem")
    return ProgrammeModel.model_validate_json(path.read_bytes())


# --- the map (fixed; approximate) ---------------------------------------------------------

# Serving provinces: prefectures with their approximate real county counts (scaled below to
# ~2,000 counties in all), the capital first. BT's 14 divisions are its "prefectures".
PREFECTURES: dict[str, list[tuple[str, int]]] = {
    "NM": [("Hohhot", 9), ("Baotou", 9), ("Wuhai", 3), ("Chifeng", 12), ("Tongliao", 8),
           ("Ordos", 9), ("Hulunbuir", 14), ("Bayannur", 7), ("Ulanqab", 11), ("Hinggan", 6),
           ("Xilingol", 12), ("Alxa", 3)],
    "GX": [("Nanning", 12), ("Liuzhou", 10), ("Guilin", 17), ("Wuzhou", 7), ("Beihai", 4),
           ("Fangchenggang", 4), ("Qinzhou", 4), ("Guigang", 5), ("Yulin", 7), ("Baise", 12),
           ("Hezhou", 5), ("Hechi", 11), ("Laibin", 6), ("Chongzuo", 7)],
    "CQ": [("Yuzhong", 9), ("Wanzhou", 6), ("Fuling", 5), ("Qianjiang", 5), ("Chengkou", 4),
           ("Wuxi", 5), ("Fengjie", 6), ("Yunyang", 6), ("Wulong", 5), ("Shizhu", 6),
           ("Xiushan", 6), ("Youyang", 7), ("Pengshui", 6)],
    "SC": [("Chengdu", 20), ("Zigong", 6), ("Panzhihua", 5), ("Luzhou", 7), ("Deyang", 6),
           ("Mianyang", 9), ("Guangyuan", 7), ("Suining", 5), ("Neijiang", 5), ("Leshan", 11),
           ("Nanchong", 9), ("Meishan", 6), ("Yibin", 10), ("Guangan", 6), ("Dazhou", 7),
           ("Yaan", 8), ("Bazhong", 5), ("Ziyang", 3), ("Aba", 13), ("Ganzi", 18),
           ("Liangshan", 17)],
    "GZ": [("Guiyang", 10), ("Liupanshui", 4), ("Zunyi", 14), ("Anshun", 6), ("Bijie", 8),
           ("Tongren", 10), ("Qianxinan", 8), ("Qiandongnan", 16), ("Qiannan", 12)],
    "YN": [("Kunming", 14), ("Qujing", 9), ("Yuxi", 9), ("Baoshan", 5), ("Zhaotong", 11),
           ("Lijiang", 5), ("Puer", 10), ("Lincang", 8), ("Chuxiong", 10), ("Honghe", 13),
           ("Wenshan", 8), ("Xishuangbanna", 3), ("Dali", 12), ("Dehong", 5), ("Nujiang", 4),
           ("Diqing", 3)],
    "XZ": [("Lhasa", 8), ("Shigatse", 18), ("Qamdo", 11), ("Nyingchi", 7), ("Shannan", 12),
           ("Nagqu", 11), ("Ngari", 7)],
    "SN": [("Xian", 13), ("Tongchuan", 4), ("Baoji", 12), ("Xianyang", 14), ("Weinan", 11),
           ("Yanan", 13), ("Hanzhong", 11), ("Ankang", 10), ("Shangluo", 7)],
    "GS": [("Lanzhou", 8), ("Jiayuguan", 1), ("Jinchang", 2), ("Baiyin", 5), ("Tianshui", 7),
           ("Wuwei", 4), ("Zhangye", 6), ("Pingliang", 7), ("Jiuquan", 7), ("Qingyang", 8),
           ("Dingxi", 7), ("Longnan", 9), ("Linxia", 8), ("Gannan", 8)],
    "QH": [("Xining", 7), ("Haidong", 6), ("Haibei", 4), ("Huangnan", 4), ("Hainanzhou", 5),
           ("Golog", 6), ("Yushu", 6), ("Haixi", 6)],
    "NX": [("Yinchuan", 6), ("Shizuishan", 3), ("Wuzhong", 5), ("Guyuan", 5), ("Zhongwei", 3)],
    "XJ": [("Urumqi", 8), ("Karamay", 4), ("Turpan", 3), ("Hami", 3), ("Changji", 7),
           ("Bortala", 4), ("Bayingolin", 9), ("Aksu", 9), ("Kizilsu", 4), ("Kashgar", 12),
           ("Hotan", 8), ("Ili", 11), ("Tacheng", 7), ("Altay", 7)],
    "BT": [("Div8", 10)] + [(f"Div{k}", 10) for k in range(1, 15) if k != 8],
}
# Counties per serving province (sums to 2,000): the programme serves "more than 2,100".
PROVINCE_COUNTIES = {"NM": 170, "GX": 170, "CQ": 80, "SC": 260, "GZ": 160, "YN": 210,
                     "XZ": 150, "SN": 150, "GS": 150, "QH": 80, "NX": 50, "XJ": 230, "BT": 140}
# Share of seats per serving province: growth went to Xinjiang, Tibet and minority areas.
# Posts in minority areas come to ~60% of seats (7,200 of 15,000 once, growing since).
SEAT_SHARE = {"XJ": 0.15, "BT": 0.04, "XZ": 0.08, "SC": 0.12, "SN": 0.09, "GS": 0.09,
              "YN": 0.08, "GZ": 0.07, "CQ": 0.07, "GX": 0.06, "NM": 0.06, "QH": 0.05, "NX": 0.04}
MINORITY_PROVINCES = {"NM", "GX", "XZ", "NX", "XJ", "BT"}
MINORITY_PREFECTURES = {
    "QH": {"Haibei", "Huangnan", "Hainanzhou", "Golog", "Yushu", "Haixi"},
    "YN": {"Chuxiong", "Honghe", "Wenshan", "Xishuangbanna", "Dali", "Dehong", "Nujiang",
           "Diqing", "Puer", "Lincang", "Lijiang"},
    "GZ": {"Qiandongnan", "Qiannan", "Qianxinan", "Tongren", "Bijie", "Anshun"},
    "SC": {"Liangshan", "Ganzi", "Aba"},
    "GS": {"Gannan", "Linxia"},
    "CQ": {"Shizhu", "Xiushan", "Youyang", "Pengshui"},
}
PROVINCE_HARDSHIP = {"NM": 2, "GX": 1, "CQ": 0, "SC": 0, "GZ": 1, "YN": 1, "XZ": 5, "SN": 0,
                     "GS": 1, "QH": 2, "NX": 1, "XJ": 2, "BT": 2}
PREFECTURE_HARDSHIP = {
    "Hulunbuir": 3, "Xilingol": 3, "Alxa": 3, "Chengkou": 1, "Wuxi": 1, "Youyang": 1,
    "Aba": 4, "Ganzi": 5, "Liangshan": 3, "Nujiang": 3, "Diqing": 4,
    "Lhasa": 4, "Shannan": 4, "Nyingchi": 4, "Shigatse": 5, "Qamdo": 5, "Nagqu": 6, "Ngari": 6,
    "Gannan": 4, "Jiuquan": 2, "Linxia": 2, "Longnan": 2,
    "Golog": 6, "Yushu": 6, "Huangnan": 4, "Haixi": 4, "Haibei": 3, "Hainanzhou": 3,
    "Xining": 1, "Haidong": 1, "Guyuan": 2,
    "Kashgar": 5, "Hotan": 5, "Kizilsu": 5, "Aksu": 4, "Bayingolin": 4, "Altay": 3,
    "Tacheng": 3, "Urumqi": 0, "Karamay": 1, "Changji": 1,
    "Div3": 5, "Div14": 6, "Div1": 4, "Div2": 4, "Div4": 3, "Div9": 3, "Div10": 3, "Div13": 3,
    "Div8": 1,
}
# Most of Tibet and southern Xinjiang are hardship categories 4-6: county noise stays inside.
HARDSHIP_FLOOR4 = {"Kashgar", "Hotan", "Kizilsu", "Aksu", "Div3", "Div14", "Div1"}
# Post language requirements are rare: (language, probability) per prefecture or province.
POST_LANGUAGE = {"XJ": ("ug", 0.04), "XZ": ("bo", 0.05), "NM": ("mn", 0.02)}
POST_LANGUAGE_PREFECTURE = {
    "Ili": ("kk", 0.04), "Altay": ("kk", 0.04), "Tacheng": ("kk", 0.04),
    **{p: ("bo", 0.03) for p in ("Ganzi", "Aba", "Gannan", "Huangnan", "Hainanzhou",
                                 "Golog", "Yushu", "Haibei", "Diqing")},
}

# --- applicants (approximate) -------------------------------------------------------------

WEST_APPLICANTS = {"SC": 0.20, "GX": 0.11, "YN": 0.10, "SN": 0.10, "GZ": 0.09, "CQ": 0.08,
                   "GS": 0.08, "XJ": 0.07, "NM": 0.06, "NX": 0.025, "QH": 0.02, "XZ": 0.02,
                   "BT": 0.015}
EAST_APPLICANTS = {"HA": 0.14, "SD": 0.12, "HE": 0.09, "AH": 0.08, "HB": 0.07, "HN": 0.07,
                   "JX": 0.06, "SX": 0.05, "JS": 0.05, "GD": 0.05, "LN": 0.04, "ZJ": 0.03,
                   "FJ": 0.03, "JL": 0.03, "HL": 0.03, "HI": 0.02, "BJ": 0.01, "TJ": 0.01,
                   "SH": 0.01}
WEST_SHARE = 0.45
# Where applicants who study away from home go to university (recruit_province ≠ home).
UNIVERSITY_PROVINCES = {"JS": 0.10, "BJ": 0.09, "HB": 0.09, "SN": 0.08, "SC": 0.07,
                        "SD": 0.06, "SH": 0.06, "HA": 0.05, "GD": 0.05, "LN": 0.05, "HN": 0.05,
                        "CQ": 0.04, "TJ": 0.04, "ZJ": 0.04, "HL": 0.03, "JL": 0.03, "AH": 0.03,
                        "FJ": 0.02, "JX": 0.02, "YN": 0.02, "GS": 0.02, "XJ": 0.01,
                        "GX": 0.01, "GZ": 0.01}
STAY_HOME = {"west": 0.85, "east": 0.72}
DEGREES = ("associate", "bachelor", "master", "doctor")
DEGREE_P = (0.30, 0.62, 0.075, 0.005)
MAJORS = {"engineering": 0.20, "management": 0.15, "education": 0.12, "literature": 0.10,
          "science": 0.10, "medicine": 0.09, "economics": 0.07, "law": 0.06,
          "agriculture": 0.06, "art": 0.04, "history": 0.01, "philosophy": 0.005,
          "interdisciplinary": 0.004, "military": 0.001}
ETHNICITY = {  # home province -> (ethnicity, share); language follows the ethnicity
    "XJ": {"han": 0.40, "uyghur": 0.45, "kazakh": 0.07, "hui": 0.05, "mongol": 0.03},
    "XZ": {"tibetan": 0.85, "han": 0.15},
    "QH": {"han": 0.55, "tibetan": 0.25, "hui": 0.15, "mongol": 0.05},
    "NM": {"han": 0.80, "mongol": 0.18, "hui": 0.02},
    "GX": {"han": 0.63, "zhuang": 0.32, "yao": 0.05},
    "NX": {"han": 0.64, "hui": 0.36},
    "YN": {"han": 0.67, "yi": 0.11, "bai": 0.05, "hani": 0.05, "dai": 0.04, "zhuang": 0.08},
    "GZ": {"han": 0.64, "miao": 0.12, "buyei": 0.08, "dong": 0.07, "tujia": 0.09},
    "SC": {"han": 0.94, "yi": 0.03, "tibetan": 0.02, "qiang": 0.01},
    "GS": {"han": 0.91, "hui": 0.06, "tibetan": 0.02, "dongxiang": 0.01},
    "CQ": {"han": 0.93, "tujia": 0.05, "miao": 0.02},
    "BT": {"han": 0.86, "uyghur": 0.06, "kazakh": 0.04, "hui": 0.04},
}
ETHNICITY_EAST = {"han": 0.95, "hui": 0.02, "manchu": 0.02, "mongol": 0.01}
LANGUAGE_OF = {"uyghur": "ug", "tibetan": "bo", "mongol": "mn", "kazakh": "kk"}
# (service years, share): applicants, and posts (offices steer toward 2+ years).
CANDIDATE_YEARS = (((1, 2, 3), 0.45), ((1, 2), 0.15), ((2, 3), 0.15), ((1,), 0.12),
                   ((2,), 0.08), ((3,), 0.05))
POST_YEARS = (((2, 3), 0.35), ((1, 2, 3), 0.35), ((2,), 0.10), ((1, 2), 0.10), ((3,), 0.05),
              ((1,), 0.05))
KIND_SHARE = {"basic_education": 0.34, "agriculture": 0.14, "health": 0.14, "youth_work": 0.10,
              "social_governance": 0.28}
CAPACITY_P = (0.52, 0.30, 0.09, 0.05, 0.04)  # seats 1..5 per post: mostly 1-2
WISH_COUNT_P = (0.06, 0.07, 0.08, 0.09, 0.10, 0.10, 0.10, 0.10, 0.08, 0.22)  # 1..10 wishes
# Wish levels: post, county, prefecture, province; the share of each naming a programme too.
# Broad wishes match hundreds of posts each: these shares give ~12 million ranked
# (candidate, post) pairs at 100,000 candidates, the order DESIGN.md measured.
LEVEL_P = (0.47, 0.29, 0.22, 0.02)
LEVEL_PROGRAMME_P = (0.0, 0.2, 0.85, 1.0)
BIG_EAST_RECRUITERS = ("HA", "SD", "HE", "AH", "HB")
MAP_SEED = 20_240_415  # the map is the same in every round


@dataclass(frozen=True)
class Geography:
    """The serving side's map: counties in prefectures in provinces, with their attributes."""

    provinces: list[str]
    prefectures: list[str]
    pref_province: IntArray
    pref_minority: BoolArray
    pref_popularity: FloatArray
    counties: list[str]
    county_pref: IntArray
    county_hardship: IntArray
    county_weight: FloatArray  # probability that a post lies in the county
    county_popularity: FloatArray


def build_map() -> Geography:
    """The fixed map: ~2,000 counties with hardship, minority status and popularity."""
    rng = np.random.default_rng(MAP_SEED)
    provinces = list(PREFECTURES)
    prefectures: list[str] = []
    pref_province: list[int] = []
    counties: list[str] = []
    county_pref: list[int] = []
    popularity: list[float] = []
    for p_index, province in enumerate(provinces):
        entries = PREFECTURES[province]
        scale = PROVINCE_COUNTIES[province] / sum(n for _, n in entries)
        for rank, (name, real) in enumerate(entries):
            pref_index = len(prefectures)
            prefectures.append(name)
            pref_province.append(p_index)
            count = max(1, round(real * scale))
            counties += [f"{name}-C{k}" for k in range(1, count + 1)]
            county_pref += [pref_index] * count
            popularity.append(5.0 if rank == 0 else 1.0)  # the capital draws far more wishes
    if len(set(prefectures)) != len(prefectures):
        raise AssertionError("prefecture names must be unique: wishes name them alone")
    pref_p = np.array(pref_province, dtype=np.int64)
    c_pref = np.array(county_pref, dtype=np.int64)
    # Zipf-like popularity over prefectures in a fixed random order, capitals boosted.
    zipf = 1.0 / (1.0 + rng.permutation(len(prefectures))) ** 0.8
    pref_pop = np.array(popularity) * zipf
    minority = np.array([
        provinces[pref_p[i]] in MINORITY_PROVINCES
        or name in MINORITY_PREFECTURES.get(provinces[pref_p[i]], set())
        for i, name in enumerate(prefectures)
    ])
    base = np.array([PREFECTURE_HARDSHIP.get(name, PROVINCE_HARDSHIP[provinces[pref_p[i]]])
                     for i, name in enumerate(prefectures)], dtype=np.int64)
    floor = np.array([4 if provinces[pref_p[i]] == "XZ" or name in HARDSHIP_FLOOR4 else 0
                      for i, name in enumerate(prefectures)], dtype=np.int64)
    noise = rng.choice(np.array([-1, 0, 1]), size=len(counties), p=[0.2, 0.6, 0.2])
    hardship = np.clip(base[c_pref] + noise, floor[c_pref], 6)
    # Posts per county: the province's seat share over its counties, prefectures uneven.
    pref_size = rng.lognormal(0.0, 0.3, size=len(prefectures))
    share = np.array([SEAT_SHARE[provinces[pref_p[i]]] for i in range(len(prefectures))])
    per_province = np.bincount(pref_p[c_pref], minlength=len(provinces)).astype(float)
    weight = share[c_pref] * pref_size[c_pref] / per_province[pref_p[c_pref]]
    county_pop = rng.lognormal(0.0, 0.6, size=len(counties))
    return Geography(provinces, prefectures, pref_p, minority, pref_pop, counties, c_pref,
                hardship.astype(np.int64), weight / weight.sum(), county_pop)


def _draw(rng: np.random.Generator, table: dict[str, float] | tuple[float, ...],
          size: int) -> IntArray:
    """Indices into ``table`` drawn with its (normalised) probabilities."""
    p = np.array(list(table.values()) if isinstance(table, dict) else table, dtype=float)
    return rng.choice(len(p), size=size, p=p / p.sum()).astype(np.int64)


# --- selectors over generated posts -------------------------------------------------------


@dataclass(frozen=True)
class _PostColumns:
    """Post attributes a selector may name, as numpy columns (tags as per-tag masks)."""

    columns: dict[str, npt.NDArray[Any]]
    tags: dict[str, BoolArray]

    def match(self, selector: Selector) -> BoolArray:
        """Posts matched by ``selector`` (SPEC §4: AND over attributes, any-of within one)."""
        size = len(self.columns["id"])
        mask = np.ones(size, dtype=bool)
        for attribute, wanted in selector.items():
            values = wanted if isinstance(wanted, list) else [wanted]
            if attribute == "tags":
                hit = np.zeros(size, dtype=bool)
                for value in values:
                    if isinstance(value, str) and value in self.tags:
                        hit |= self.tags[value]
            else:
                column = self.columns[attribute]
                # Typed comparison, as SPEC means it: {"hardship": true} does not match 1.
                same: list[str | int | bool]
                if column.dtype == np.bool_:
                    same = [v for v in values if isinstance(v, bool)]
                elif column.dtype.kind == "i":
                    same = [v for v in values if isinstance(v, int) and not isinstance(v, bool)]
                else:
                    same = [v for v in values if isinstance(v, str)]
                hit = np.isin(column, same) if same else np.zeros(size, dtype=bool)
            mask &= hit
        return mask


@dataclass(frozen=True)
class _Pairings:
    """The model's pairing rules evaluated once over the generated posts."""

    size: int
    rules: list[tuple[str, str, frozenset[str], BoolArray]]  # mode, origin field, origins, mask

    def allowed(self, home: str, recruit: str) -> tuple[BoolArray, BoolArray]:
        """Posts a (home, recruit) applicant may hold, and those reserved for them by pairing."""
        size = self.size
        reserved_any = np.zeros(size, dtype=bool)
        reserved_mine = np.zeros(size, dtype=bool)
        bound: BoolArray | None = None
        for mode, field, origins, mask in self.rules:
            mine = (home if field == "home_province" else recruit) in origins
            if mode == "exclusive":
                reserved_any |= mask
                if mine:
                    reserved_mine |= mask
            elif mine:
                bound = mask.copy() if bound is None else bound | mask
        allowed = ~reserved_any | reserved_mine
        if bound is not None:
            allowed &= bound
        return allowed, reserved_mine & allowed


# --- the generator ------------------------------------------------------------------------


def generate_problem(
    candidates: int,
    seed: int = 0,
    *,
    seats_per_candidate: float = 0.25,
    couples: bool = False,
    respect_priority: bool = False,
    crossing_quota: bool = False,
    model: ProgrammeModel | dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A national round with ``candidates`` applicants as a SPEC problem (a JSON-ready dict).

    ``seats_per_candidate`` sets the number of seats (national rounds: about one seat for four
    applicants). ``couples`` pairs ~1% of applicants, ``respect_priority`` asks for
    score-first placement, ``crossing_quota`` adds a soft target for medicine graduates on
    health-programme seats (a post-side group that crosses the province partition). ``model``
    is the programme model (default: ``models/xibu_national.json``).
    """
    if candidates < 0:
        raise ValueError(f"candidates must be ≥ 0 (got {candidates})")
    if seats_per_candidate <= 0:
        raise ValueError(f"seats_per_candidate must be > 0 (got {seats_per_candidate})")
    if model is None:
        model = load_model()
    elif isinstance(model, dict):
        model = ProgrammeModel.model_validate(model)
    rng = np.random.default_rng(seed)
    geo = build_map()
    people = _applicants(rng, candidates)
    universities = _universities(people.recruit, candidates)
    people.university = _pick_universities(rng, people.recruit, universities)
    if couples:
        _couple_up(rng, people, last=respect_priority)
    seats = max(1, round(candidates * seats_per_candidate))
    posts = _posts(rng, geo, seats, model)
    posts.continuity = _continuity(rng, model, posts, universities)
    pairings = _Pairings(posts.m, [
        (r.mode, r.origin_field, frozenset(r.origins), posts.columns.match(r.destinations))
        for r in model.rules.pairings
    ])
    wishes = _wishes(rng, people, posts, pairings)
    rules = {
        "pairings": [r.model_dump(mode="json") for r in model.rules.pairings],
        "quotas": [_quota(q, respect_priority) for q in model.rules.quotas]
        + _indicators(people, seats, respect_priority)
        + (_crossing_quotas() if crossing_quota else []),
        "couple_scope": model.rules.couple_scope,
        "respect_priority": respect_priority,
    }
    return {
        "schema_version": "1",
        "name": _problem_name(candidates, seed, couples, respect_priority, crossing_quota),
        "candidates": _candidate_dicts(people, universities, posts, wishes),
        "posts": _post_dicts(posts, model, universities),
        "rules": rules,
        "objective": model.objective.model_dump(mode="json"),
        "locks": [],
        "forbidden": [],
    }


def _quota(quota: Quota, respect_priority: bool) -> dict[str, Any]:
    """A model quota for this round: soft in score-first rounds (see the module docstring)."""
    data = quota.model_dump(mode="json", exclude_none=True)
    if respect_priority:
        data["hard"] = False
    return data


def _problem_name(candidates: int, seed: int, *flags: bool) -> str:
    tags = ("couples", "priority", "crossing")
    suffix = "".join(f"-{tag}" for tag, on in zip(tags, flags, strict=True) if on)
    return f"xibu-national-n{candidates}-seed{seed}{suffix}"


def _ids(prefix: str, count: int) -> list[str]:
    width = max(3, len(str(count)))
    return [f"{prefix}{i:0{width}d}" for i in range(1, count + 1)]


# --- applicants and universities ----------------------------------------------------------


@dataclass
class _Applicants:
    """Applicants' attributes, one array each (codes index the tables above)."""

    home: StrArray
    recruit: StrArray
    ethnicity: StrArray
    speaks_ug: BoolArray
    degree: IntArray  # index into DEGREES
    major: IntArray  # index into MAJORS
    female: BoolArray
    score: FloatArray
    years: IntArray  # index into CANDIDATE_YEARS
    wish_count: IntArray
    adjust: BoolArray
    eligible: BoolArray
    leader: BoolArray
    party: BoolArray
    partner: IntArray  # -1: none
    university: IntArray

    @property
    def n(self) -> int:
        return int(self.home.size)


@dataclass(frozen=True)
class _Universities:
    """University ids and provinces; a province's universities are consecutive."""

    ids: list[str]
    province: list[str]
    first: dict[str, int]  # province -> index of its first university
    count: dict[str, int]


def _applicants(rng: np.random.Generator, n: int) -> _Applicants:
    """Applicants' attributes; universities and wishes come later."""
    is_west = rng.random(n) < WEST_SHARE
    home_w = np.array(list(WEST_APPLICANTS))[_draw(rng, WEST_APPLICANTS, n)]
    home_e = np.array(list(EAST_APPLICANTS))[_draw(rng, EAST_APPLICANTS, n)]
    home = np.where(is_west, home_w, home_e)
    away = np.array(list(UNIVERSITY_PROVINCES))[_draw(rng, UNIVERSITY_PROVINCES, n)]
    stay = rng.random(n) < np.where(is_west, STAY_HOME["west"], STAY_HOME["east"])
    ethnicity = np.empty(n, dtype=object)
    for province in np.unique(home).tolist():
        where = np.flatnonzero(home == province)
        table = ETHNICITY.get(province, ETHNICITY_EAST)
        ethnicity[where] = np.array(list(table), dtype=object)[_draw(rng, table, where.size)]
    degree = _draw(rng, DEGREE_P, n)
    return _Applicants(
        home=home,
        recruit=np.where(stay, home, away),
        ethnicity=ethnicity,
        speaks_ug=(home == "XJ") & (ethnicity == "han") & (rng.random(n) < 0.04),
        degree=degree,
        major=_draw(rng, MAJORS, n),
        female=rng.random(n) < 0.6,
        score=np.round(np.clip(rng.normal(78.0, 7.0, n), 60.0, 95.0) * 2.0) / 2.0,
        years=_draw(rng, tuple(p for _, p in CANDIDATE_YEARS), n),
        wish_count=_draw(rng, WISH_COUNT_P, n) + 1,
        adjust=rng.random(n) < 0.5,
        eligible=rng.random(n) >= 0.02,
        leader=rng.random(n) < 0.08,
        party=rng.random(n) < np.where(degree >= 2, 0.40, 0.12),
        partner=np.full(n, -1, dtype=np.int64),
        university=np.zeros(n, dtype=np.int64),
    )


def _universities(recruit: StrArray, n: int) -> _Universities:
    """About one university per 90 applicants (over 1,000 at national scale), by province."""
    total = int(np.clip(round(n / 90), 20, 1100))
    provinces, counts = np.unique(recruit, return_counts=True)
    sizes = [max(1, math.floor(total * c / max(n, 1))) for c in counts.tolist()]
    width = max(3, len(str(sum(sizes))))
    ids: list[str] = []
    province_of: list[str] = []
    first: dict[str, int] = {}
    for province, size in zip(provinces.tolist(), sizes, strict=True):
        first[province] = len(ids)
        for _ in range(size):
            ids.append(f"U{len(ids) + 1:0{width}d}")
            province_of.append(province)
    return _Universities(ids, province_of, first, dict(zip(first, sizes, strict=True)))


def _pick_universities(rng: np.random.Generator, recruit: StrArray,
                       universities: _Universities) -> IntArray:
    """Each applicant's university, in the recruiting province, big universities first."""
    chosen = np.zeros(recruit.size, dtype=np.int64)
    for province, first in universities.first.items():
        where = np.flatnonzero(recruit == province)
        size = universities.count[province]
        zipf = 1.0 / np.arange(1, size + 1) ** 0.8
        chosen[where] = first + rng.choice(size, size=where.size, p=zipf / zipf.sum())
    return chosen


def _couple_up(rng: np.random.Generator, people: _Applicants, *, last: bool) -> None:
    """~1% of applicants in couples of classmates who apply together (same wishes).

    Partners share home, university, degree and major: couples who could not serve in the
    same places would only ever be unassigned together, which teaches an engine nothing. They
    also share one score (a joint application is ranked once).

    With ``last`` (score-first rounds) joint applications rank after individual ones: with
    couples an envy-free placement need not exist, and measured on generated rounds of 200
    applicants, 4 seeds in 20 had none when couples kept their own scores, none in 20 (and none
    in 4 of 1,000 applicants) when couples ranked last.
    """
    n = people.n
    pairs = max(1, round(n * 0.005)) if n >= 2 else 0
    order = rng.permutation(n)
    a, b = order[:pairs], order[pairs:2 * pairs]
    for name in ("home", "recruit", "university", "degree", "major", "years", "wish_count",
                 "adjust", "ethnicity", "speaks_ug", "score"):
        column = getattr(people, name)
        column[b] = column[a]
    people.eligible[a] = people.eligible[b] = True
    people.female[a], people.female[b] = True, False
    people.partner[a], people.partner[b] = b, a
    if last and pairs:
        people.score[a] = people.score[b] = people.score.min()


# --- posts --------------------------------------------------------------------------------


@dataclass
class _PostTable:
    """Generated posts, one array each; ``columns`` holds what selectors and wishes name."""

    columns: _PostColumns
    capacity: IntArray
    county: IntArray  # index into the map's counties
    pref: IntArray
    prov: IntArray
    kind: StrArray  # the general programme whose requirements the post has
    weight: IntArray
    years: IntArray  # index into POST_YEARS
    min_degree: IntArray
    requires_majors: BoolArray
    language: StrArray  # "" = none
    gender: StrArray  # "" = either
    teaching_corps: BoolArray
    popularity: FloatArray  # share of wishes the post draws, before pairings
    continuity: IntArray  # university index of the previous holder, -1 = none

    @property
    def m(self) -> int:
        return int(self.capacity.size)


def _capacities(rng: np.random.Generator, seats: int) -> IntArray:
    """Seats per post (1-5, mostly 1-2), adding up to exactly ``seats``."""
    mean = float(np.dot(np.arange(1, 6), CAPACITY_P))
    capacity = _draw(rng, CAPACITY_P, math.ceil(seats / mean * 1.3) + 5) + 1
    total = np.cumsum(capacity)
    m = int(np.searchsorted(total, seats, side="right"))
    rest = seats - (int(total[m - 1]) if m else 0)
    return np.append(capacity[:m], [rest] if rest else []).astype(np.int64)


def _posts(rng: np.random.Generator, geo: Geography, seats: int, model: ProgrammeModel
           ) -> _PostTable:
    """Posts with exactly ``seats`` seats, located, typed and with their requirements."""
    capacity = _capacities(rng, seats)
    m = capacity.size
    county = rng.choice(len(geo.counties), size=m, p=geo.county_weight).astype(np.int64)
    pref = geo.county_pref[county]
    prov = geo.pref_province[pref]
    province = np.array(geo.provinces)[prov]
    known = {p.id for p in model.programmes}
    general = [pid for pid in KIND_SHARE if pid in known] or [
        p.id for p in model.programmes if p.provinces is None]
    kind = np.array(general)[_draw(rng, tuple(KIND_SHARE.get(g, 0.1) for g in general), m)]
    programme = kind.astype(object)
    for info in model.programmes:  # the Xinjiang and Tibet programmes take half the posts there
        if info.provinces:
            programme[np.isin(province, info.provinces) & (rng.random(m) < 0.5)] = info.id
    hardship = geo.county_hardship[county]
    language = np.full(m, "", dtype=object)
    draw = rng.random(m)
    for i in np.flatnonzero(draw < 0.05).tolist():  # no language rule is more common than 5%
        lang, p = (POST_LANGUAGE_PREFECTURE.get(geo.prefectures[pref[i]])
                   or POST_LANGUAGE.get(province[i], ("", 0.0)))
        if draw[i] < p:
            language[i] = lang
    teaching_corps = (kind == "basic_education") & (rng.random(m) < 0.06)
    popularity = (geo.pref_popularity[pref] * geo.county_popularity[county]
                  * rng.lognormal(0.0, 0.5, m) * np.exp(-0.12 * hardship))
    columns = _PostColumns(
        {
            "id": np.array(_ids("P", m)),
            "province": province,
            "prefecture": np.array(geo.prefectures)[pref],
            "county": np.array(geo.counties)[county],
            "programme": programme.astype(str),
            "project": np.where(rng.random(m) < 0.2, "local", "national"),
            "minority_region": geo.pref_minority[pref],
            "hardship": hardship,
        },
        {"graduate_teaching_corps": teaching_corps},
    )
    return _PostTable(
        columns=columns,
        capacity=capacity,
        county=county,
        pref=pref,
        prov=prov,
        kind=kind,
        weight=(1 + (hardship >= 3) + (hardship >= 5)).astype(np.int64),
        years=_draw(rng, tuple(p for _, p in POST_YEARS), m),
        min_degree=np.where(teaching_corps, 2, (rng.random(m) < 0.4)).astype(np.int64),
        requires_majors=rng.random(m) < 0.8,
        language=language,
        gender=np.where(rng.random(m) < 0.03, np.where(rng.random(m) < 0.67, "M", "F"), ""),
        teaching_corps=teaching_corps,
        popularity=popularity / popularity.sum(),
        continuity=np.full(m, -1, dtype=np.int64),
    )


def _continuity(rng: np.random.Generator, model: ProgrammeModel, posts: _PostTable,
                universities: _Universities) -> IntArray:
    """For ~10% of posts, the university of the previous holder (接力), -1 elsewhere.

    The previous holder had to satisfy the pairings, so the university is drawn from the
    provinces that the post's exclusive recruit-province rules admit (anywhere if none),
    five times likelier in the post's own province.
    """
    chosen = np.full(posts.m, -1, dtype=np.int64)
    relay = np.flatnonzero(rng.random(posts.m) < 0.10)
    if relay.size == 0 or not universities.ids:
        return chosen
    uni_province = np.array(universities.province)
    post_province = posts.columns.columns["province"]
    exclusive = [(r.origins, posts.columns.match(r.destinations)[relay])
                 for r in model.rules.pairings
                 if r.mode == "exclusive" and r.origin_field == "recruit_province"]
    signature = np.zeros(relay.size, dtype=np.int64)
    for bit, (_, mask) in enumerate(exclusive):
        signature |= mask.astype(np.int64) << bit
    for sig in np.unique(signature).tolist():
        origins = {o for bit, (rule, _) in enumerate(exclusive) if (sig >> bit) & 1
                   for o in rule}
        allowed = np.isin(uni_province, sorted(origins)) if sig else np.ones(
            uni_province.size, dtype=bool)
        if not allowed.any():
            continue
        for i in relay[signature == sig].tolist():
            w = allowed * np.where(uni_province == post_province[i], 5.0, 1.0)
            chosen[i] = int(rng.choice(w.size, p=w / w.sum()))
    return chosen


# --- wishes -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Wishes:
    """All ranked wishes, flat and grouped by candidate in rank order."""

    candidate: IntArray
    level: IntArray  # 0 post, 1 county, 2 prefecture, 3 province
    anchor: IntArray  # the post the wish was drawn from
    with_programme: BoolArray


def _wishes(rng: np.random.Generator, people: _Applicants, posts: _PostTable,
            pairings: _Pairings) -> _Wishes:
    """Ranked wishes: drawn as *anchor posts* per applicant profile, then widened.

    Each wish is an anchor post drawn from the profile's distribution, widened to the anchor's
    county, prefecture or province, so every wish matches a post. Western applicants favour
    their home province, eastern ones the regions their recruiting province is paired with; 3%
    of wishes ignore the pairings, as real applicants' sometimes do.
    """
    cand = np.repeat(np.arange(people.n, dtype=np.int64), people.wish_count)
    anchor = np.zeros(cand.size, dtype=np.int64)
    key = np.char.add(np.char.add(people.home.astype(str), "/"), people.recruit.astype(str))
    profiles, inverse = np.unique(key, return_inverse=True)
    slot_profile = inverse[cand]
    order = np.argsort(slot_profile, kind="stable")
    bounds = np.searchsorted(slot_profile[order], np.arange(profiles.size + 1))
    for g, profile in enumerate(profiles.tolist()):
        home, recruit = profile.split("/")
        weights = _wish_weights(posts, pairings, home, recruit)
        slots = order[bounds[g]:bounds[g + 1]]
        anchor[slots] = rng.choice(posts.m, size=slots.size, p=weights)
    level = _draw(rng, LEVEL_P, cand.size)
    with_programme = rng.random(cand.size) < np.array(LEVEL_PROGRAMME_P)[level]
    # Drop repeated wishes, then order each list from specific to broad (post ... province).
    target = np.stack([anchor, posts.county[anchor], posts.pref[anchor],
                       posts.prov[anchor]])[level, np.arange(cand.size)]
    programmes = np.unique(posts.columns.columns["programme"], return_inverse=True)[1]
    code = ((cand * 4 + level) * (posts.m + 1) + target) * (int(programmes.max()) + 2)
    code += np.where(with_programme, programmes[anchor] + 1, 0)
    first = np.sort(np.unique(code, return_index=True)[1])
    keep = first[np.lexsort((first, level[first], cand[first]))]
    return _Wishes(cand[keep], level[keep], anchor[keep], with_programme[keep])


def _wish_weights(posts: _PostTable, pairings: _Pairings, home: str, recruit: str
                  ) -> FloatArray:
    """Where one applicant profile's wishes go: a mix of home, paired and open posts."""
    allowed, paired = pairings.allowed(home, recruit)
    parts: tuple[tuple[float, BoolArray], ...]
    if home in PREFECTURES:  # western: 回原籍, serving at home, first
        at_home = (posts.columns.columns["province"] == home) & allowed
        parts = ((0.65, at_home), (0.10, paired & ~at_home), (0.25, allowed))
    else:
        parts = ((0.50, paired), (0.50, allowed))
    weights = np.zeros(posts.m)
    for share, mask in parts:
        mass = posts.popularity[mask].sum()
        if mass > 0:
            weights[mask] += share * posts.popularity[mask] / mass
    if weights.sum() == 0:  # a profile that may hold no post at all still wishes, in vain
        return posts.popularity
    mixed: FloatArray = 0.97 * weights / weights.sum() + 0.03 * posts.popularity
    mixed /= mixed.sum()
    return mixed


# --- round-specific rules -----------------------------------------------------------------


def _indicators(people: _Applicants, seats: int, respect_priority: bool
                ) -> list[dict[str, Any]]:
    """Recruiting-province indicators (招募指标): a cap for each big eastern recruiter.

    The cap is 0.8× the province's proportional share of seats among eligible applicants (the
    national plan keeps room for western applicants serving at home), so it binds for some
    provinces in some rounds. Candidate-side groups by recruiting province nest (each
    applicant is in one), which a network can express. In score-first rounds the caps are
    soft: SPEC's no-envy rule ignores quotas, so a binding hard cap would contradict it.
    """
    total = int(people.eligible.sum())
    quotas: list[dict[str, Any]] = []
    for province in BIG_EAST_RECRUITERS:
        mine = int((people.eligible & (people.recruit == province)).sum())
        if mine == 0:
            continue
        quotas.append({
            "id": f"recruit-indicator-{province.lower()}",
            "label": "recruit_indicator",
            "candidates": {"recruit_province": province},
            "posts": {},
            "max": math.ceil(0.8 * seats * mine / total) + 1,
            "hard": not respect_priority,
        })
    return quotas


def _crossing_quotas() -> list[dict[str, Any]]:
    """Health-programme seats should mostly go to medicine graduates (soft, crosses provinces)."""
    return [{
        "id": "health-medicine", "label": "medicine_on_health_posts",
        "candidates": {"major_category": "medicine"}, "posts": {"programme": "health"},
        "min_share": 0.9, "share_base": "posts", "hard": False, "penalty": 1,
    }]


# --- JSON-ready output --------------------------------------------------------------------


def _candidate_dicts(people: _Applicants, universities: _Universities, posts: _PostTable,
                     wishes: _Wishes) -> list[dict[str, Any]]:
    """Applicants as SPEC dicts; fields at their SPEC default are left out to keep files small."""
    ids = _ids("C", people.n)
    columns = posts.columns.columns
    fields = ("post", "county", "prefecture", "province")
    targets = [columns[name].tolist() for name in ("id", "county", "prefecture", "province")]
    programmes = columns["programme"].tolist()
    lists: list[list[dict[str, str]]] = [[] for _ in range(people.n)]
    for c, lv, a, named in zip(wishes.candidate.tolist(), wishes.level.tolist(),
                               wishes.anchor.tolist(), wishes.with_programme.tolist(),
                               strict=True):
        wish = {fields[lv]: targets[lv][a]}
        if named:
            wish["programme"] = programmes[a]
        lists[c].append(wish)
    partner: list[int] = people.partner.tolist()
    for c, d in enumerate(partner):  # a couple applies with one list: the second copies it
        if 0 <= d < c:
            lists[c] = [dict(w) for w in lists[d]]
    majors = list(MAJORS)
    years = [list(y) for y, _ in CANDIDATE_YEARS]
    out: list[dict[str, Any]] = []
    rows = zip(ids, people.home.tolist(), people.recruit.tolist(),
               people.university.tolist(), people.degree.tolist(), people.major.tolist(),
               people.female.tolist(), people.ethnicity.tolist(), people.speaks_ug.tolist(),
               people.years.tolist(), people.score.tolist(), people.adjust.tolist(),
               people.eligible.tolist(), people.leader.tolist(), people.party.tolist(),
               partner, lists, strict=True)
    for (cid, home, recruit, uni, degree, major, female, ethnicity, ug, yrs, score, adjust,
         eligible, leader, party, mate, wish_list) in rows:
        item: dict[str, Any] = {
            "id": cid, "home_province": home, "recruit_province": recruit,
            "university": universities.ids[uni], "degree": DEGREES[degree],
            "major_category": majors[major], "gender": "F" if female else "M",
            "ethnicity": ethnicity,
        }
        language = LANGUAGE_OF.get(ethnicity) or ("ug" if ug else None)
        if language:
            item["languages"] = [language]
        if yrs != 0:
            item["service_years"] = years[yrs]
        item["score"] = score
        item["wishes"] = wish_list
        item["accept_adjustment"] = adjust
        if mate >= 0:
            item["partner"] = ids[mate]
        if not eligible:
            item["eligible"] = False
        tags = (["student_leader"] if leader else []) + (["party_member"] if party else [])
        if tags:
            item["tags"] = tags
        out.append(item)
    return out


def _post_dicts(posts: _PostTable, model: ProgrammeModel, universities: _Universities
                ) -> list[dict[str, Any]]:
    """Posts as SPEC dicts; optional requirements appear only where set."""
    columns = posts.columns.columns
    by_id = {p.id: p for p in model.programmes}
    years = [list(y) for y, _ in POST_YEARS]
    out: list[dict[str, Any]] = []
    rows = zip(columns["id"].tolist(), columns["province"].tolist(),
               columns["prefecture"].tolist(), columns["county"].tolist(),
               columns["programme"].tolist(), posts.kind.tolist(),
               columns["project"].tolist(), posts.capacity.tolist(), posts.weight.tolist(),
               posts.years.tolist(), posts.min_degree.tolist(), posts.requires_majors.tolist(),
               posts.language.tolist(), posts.gender.tolist(),
               columns["minority_region"].tolist(), columns["hardship"].tolist(),
               posts.continuity.tolist(), posts.teaching_corps.tolist(), strict=True)
    for (pid, province, prefecture, county, programme, kind, project, capacity, weight, yrs,
         degree, requires, language, gender, minority, hardship, relay, corps) in rows:
        item: dict[str, Any] = {
            "id": pid, "province": province, "prefecture": prefecture, "county": county,
            "programme": programme, "project": project, "capacity": capacity,
            "weight": weight, "service_years": years[yrs], "min_degree": DEGREES[degree],
        }
        info = by_id.get(kind)
        if info is not None and info.major_categories and requires:
            item["major_categories"] = list(info.major_categories)
        if info is not None and info.preferred_major_categories:
            item["preferred_major_categories"] = list(info.preferred_major_categories)
        if language:
            item["languages"] = [language]
        if gender:
            item["gender"] = gender
        item["minority_region"] = minority
        item["hardship"] = hardship
        if relay >= 0:
            item["continuity_university"] = universities.ids[relay]
        if corps:
            item["tags"] = ["graduate_teaching_corps"]
        out.append(item)
    return out


def write_problem(problem: dict[str, Any], path: Path) -> None:
    """Write ``problem`` as compact UTF-8 JSON, streaming long lists in chunks.

    The bytes equal ``json.dumps(problem, ensure_ascii=False, separators=(",", ":"))``; the
    chunks keep memory flat for 100,000 candidates while still using the fast C encoder
    (``json.dump`` would fall back to the pure-Python one).
    """
    chunk = 2048

    def dumps(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))

    with path.open("w", encoding="utf-8") as out:
        out.write("{")
        for i, (key, value) in enumerate(problem.items()):
            out.write(("," if i else "") + dumps(key) + ":")
            if isinstance(value, list) and len(value) > chunk:
                out.write("[")
                for start in range(0, len(value), chunk):
                    out.write(("," if start else "") + dumps(value[start:start + chunk])[1:-1])
                out.write("]")
            else:
                out.write(dumps(value))
        out.write("}")
