"""Hypothesis strategies for problems that are valid by construction (SPEC §1-6).

Every rule of SPEC is mixed in, at sizes a brute force can enumerate: a handful of candidates
and posts drawn from a small geography, so that posts share prefectures and counties, wishes by
pattern match several posts, scores tie and rules interact. Many problems are feasible, some
are not (hard quotas, couples and priority can clash), and both kinds are wanted.

Public API::

    problem_dicts(max_candidates=7, max_posts=4)  -> dicts ready for parse_problem
    problems(max_candidates=7, max_posts=4)       -> parsed Problem objects
    tiny_problems()                               -> problems of at most 4 candidates, 3 posts
"""

from __future__ import annotations

from typing import Any

from hypothesis import assume
from hypothesis import strategies as st

from matcher.compile import compile_problem
from matcher.engines.network import network_obstacles
from matcher.problem import Problem
from matcher.validation import parse_problem

# (province, prefecture, county); county names are unique, some posts have no county.
LOCATIONS = (
    ("XJ", "Kashgar", "Kashgar-Shule"),
    ("XJ", "Kashgar", "Kashgar-Yengisar"),
    ("XJ", "Kashgar", None),
    ("XJ", "Hotan", "Hotan-Lop"),
    ("XJ", "Hotan", None),
    ("XZ", "Lhasa", "Lhasa-Doilungdeqen"),
    ("XZ", "Lhasa", None),
    ("XZ", "Shigatse", "Shigatse-Lhatse"),
)
PROVINCES = ("XJ", "XZ")
PREFECTURES = ("Kashgar", "Hotan", "Lhasa", "Shigatse")
HOME_PROVINCES = ("SD", "BJ", "HA", "XJ", "XZ")
RECRUIT_PROVINCES = ("SD", "BJ", "SH", "GS")
PROGRAMMES = ("basic_education", "health", "xinjiang_service")
MAJORS = ("education", "medicine", "engineering", "law")
UNIVERSITIES = ("U1", "U2", "U3")
DEGREES = ("associate", "bachelor", "master", "doctor")
CANDIDATE_TAGS = ("student_leader", "party_member")
POST_TAGS = ("remote", "school")
LANGUAGES = ("ug", "bo")
SHARES = (0.0, 0.25, 0.35, 0.5, 0.6, 1.0)
SCORES = (60, 70, 70, 75.5, 80, 90)  # 70 twice: ties are common
TIERS = ("coverage", "quotas", "preferences")

Json = dict[str, Any]


def _sometimes(draw: st.DrawFn, probability: float) -> bool:
    # integers() draws near-uniformly here (floats() favours the ends) and shrinks towards 0,
    # so "sometimes" shrinks towards "no".
    return draw(st.integers(0, 99)) >= 100 - round(probability * 100)


def _how_many(draw: st.DrawFn, *probabilities: float) -> int:
    """0, 1, 2... items: one more with each given probability, stopping at the first no."""
    count = 0
    for probability in probabilities:
        if not _sometimes(draw, probability):
            break
        count += 1
    return count


def _one_or_list(draw: st.DrawFn, pool: tuple[Any, ...]) -> Any:
    if _sometimes(draw, 0.35):
        return draw(st.lists(st.sampled_from(pool), min_size=1, max_size=2, unique=True))
    return draw(st.sampled_from(pool))


def _post_selector(draw: st.DrawFn, post_ids: list[str]) -> Json:
    attributes = draw(
        st.lists(
            st.sampled_from(
                ("province", "prefecture", "programme", "minority_region", "hardship", "id",
                 "tags", "project", "county")
            ),
            max_size=2,
            unique=True,
        )
    )
    pools: dict[str, tuple[Any, ...]] = {
        "province": PROVINCES,
        "prefecture": PREFECTURES,
        "programme": PROGRAMMES,
        "hardship": (0, 2, 4, 5),
        "id": tuple(post_ids),
        "tags": POST_TAGS,
        "project": ("national", "local"),
        "county": tuple(c for _, _, c in LOCATIONS if c is not None),
    }
    selector: Json = {}
    for attribute in attributes:
        if attribute == "minority_region":
            selector[attribute] = draw(st.booleans())
        else:
            selector[attribute] = _one_or_list(draw, pools[attribute])
    return selector


def _candidate_selector(draw: st.DrawFn, cand_ids: list[str]) -> Json:
    attributes = draw(
        st.lists(
            st.sampled_from(
                ("home_province", "recruit_province", "university", "degree", "major_category",
                 "gender", "tags", "id")
            ),
            max_size=2,
            unique=True,
        )
    )
    pools: dict[str, tuple[Any, ...]] = {
        "home_province": HOME_PROVINCES,
        "recruit_province": HOME_PROVINCES + RECRUIT_PROVINCES,
        "university": UNIVERSITIES,
        "degree": DEGREES,
        "major_category": MAJORS,
        "gender": ("F", "M"),
        "tags": CANDIDATE_TAGS,
        "id": tuple(cand_ids),
    }
    return {attribute: _one_or_list(draw, pools[attribute]) for attribute in attributes}


def _post(draw: st.DrawFn, index: int) -> Json:
    province, prefecture, county = draw(st.sampled_from(LOCATIONS))
    post: Json = {
        "id": f"P{index}",
        "province": province,
        "prefecture": prefecture,
        "programme": draw(st.sampled_from(PROGRAMMES)),
        "capacity": draw(st.sampled_from((1, 1, 2, 0))),
        "weight": draw(st.integers(1, 3)),
    }
    if county is not None:
        post["county"] = county
    if _sometimes(draw, 0.2):
        post["project"] = "local"
    if _sometimes(draw, 0.2):
        post["service_years"] = draw(st.sampled_from(([2, 3], [1], [3])))
    if _sometimes(draw, 0.2):
        post["min_degree"] = draw(st.sampled_from(DEGREES[1:]))
    if _sometimes(draw, 0.2):
        post["major_categories"] = draw(st.lists(st.sampled_from(MAJORS), min_size=1,
                                                 max_size=2, unique=True))
    if _sometimes(draw, 0.4):
        post["preferred_major_categories"] = draw(
            st.lists(st.sampled_from(MAJORS), min_size=1, max_size=2, unique=True)
        )
    if _sometimes(draw, 0.15):
        post["languages"] = [draw(st.sampled_from(LANGUAGES))]
    if _sometimes(draw, 0.15):
        post["gender"] = draw(st.sampled_from(("F", "M")))
    if _sometimes(draw, 0.1):
        post["min_level"] = draw(st.integers(1, 2))
    if _sometimes(draw, 0.5):
        post["minority_region"] = True
    if _sometimes(draw, 0.4):
        post["hardship"] = draw(st.sampled_from((2, 4, 5)))
    if _sometimes(draw, 0.3):
        post["continuity_university"] = draw(st.sampled_from(UNIVERSITIES))
    if _sometimes(draw, 0.2):
        post["tags"] = [draw(st.sampled_from(POST_TAGS))]
    return post


def _wish(draw: st.DrawFn, posts: list[Json]) -> Json:
    if _sometimes(draw, 0.5):
        return {"post": draw(st.sampled_from(posts))["id"]}
    # A pattern read off an existing post (so it matches something), or off the geography.
    source = draw(st.sampled_from(posts)) if _sometimes(draw, 0.8) else None
    if source is None:
        province, prefecture, county = draw(st.sampled_from(LOCATIONS))
        source = {"province": province, "prefecture": prefecture, "county": county,
                  "programme": draw(st.sampled_from(PROGRAMMES))}
    fields = [f for f in ("province", "prefecture", "county", "programme") if source.get(f)]
    chosen = draw(st.lists(st.sampled_from(fields), min_size=1, max_size=2, unique=True))
    return {field: source[field] for field in chosen}


def _candidate(draw: st.DrawFn, index: int, posts: list[Json]) -> Json:
    cand: Json = {
        "id": f"C{index}",
        "home_province": draw(st.sampled_from(HOME_PROVINCES)),
        "score": draw(st.sampled_from(SCORES)),
        "wishes": [_wish(draw, posts) for _ in range(draw(st.integers(0, 4)))],
        "accept_adjustment": _sometimes(draw, 0.6),
    }
    if cand["wishes"] and _sometimes(draw, 0.15):  # the same wish twice: only the first ranks
        cand["wishes"].append(dict(draw(st.sampled_from(cand["wishes"]))))
    if _sometimes(draw, 0.3):
        cand["recruit_province"] = draw(st.sampled_from(RECRUIT_PROVINCES + HOME_PROVINCES))
    if _sometimes(draw, 0.7):
        cand["university"] = draw(st.sampled_from(UNIVERSITIES))
    if _sometimes(draw, 0.5):
        cand["degree"] = draw(st.sampled_from(DEGREES))
    if _sometimes(draw, 0.8):
        cand["major_category"] = draw(st.sampled_from(MAJORS))
    if _sometimes(draw, 0.7):
        cand["gender"] = draw(st.sampled_from(("F", "M")))
    if _sometimes(draw, 0.3):
        cand["languages"] = draw(st.lists(st.sampled_from(LANGUAGES), min_size=1, unique=True))
    if _sometimes(draw, 0.3):
        cand["level"] = draw(st.integers(0, 2))
    if _sometimes(draw, 0.2):
        cand["service_years"] = draw(st.sampled_from(([1], [2, 3], [1, 2], [3])))
    if _sometimes(draw, 0.08):
        cand["eligible"] = False
    if _sometimes(draw, 0.3):
        cand["tags"] = draw(st.lists(st.sampled_from(CANDIDATE_TAGS), min_size=1, unique=True))
    return cand


def _pairing(draw: st.DrawFn, index: int, post_ids: list[str]) -> Json:
    return {
        "id": f"pair{index}",
        "origins": draw(st.lists(st.sampled_from(HOME_PROVINCES + RECRUIT_PROVINCES),
                                 min_size=1, max_size=3, unique=True)),
        "origin_field": draw(st.sampled_from(("recruit_province", "home_province"))),
        "destinations": _post_selector(draw, post_ids),
        "mode": draw(st.sampled_from(("exclusive", "bound"))),
    }


def _quota(draw: st.DrawFn, index: int, cand_ids: list[str], post_ids: list[str]) -> Json:
    quota: Json = {
        "id": f"quota{index}",
        "candidates": _candidate_selector(draw, cand_ids),
        "posts": _post_selector(draw, post_ids),
        "hard": draw(st.booleans()),
    }
    if _sometimes(draw, 0.3):
        quota["posts"] = {"minority_region": True}
        quota["label"] = "minority_target"
    if _sometimes(draw, 0.35):
        quota["min"] = draw(st.integers(0, 2))
    if _sometimes(draw, 0.35):
        quota["max"] = draw(st.integers(quota.get("min", 0), 3))
    if _sometimes(draw, 0.4):
        quota["min_share"] = draw(st.sampled_from(SHARES[:-1]))
    if _sometimes(draw, 0.4):
        low = quota.get("min_share", 0.0)
        quota["max_share"] = draw(st.sampled_from([s for s in SHARES if s >= low]))
    if _sometimes(draw, 0.5):
        quota["share_base"] = "posts"
    if not quota["hard"] or _sometimes(draw, 0.2):
        quota["penalty"] = draw(st.integers(1, 3))
    return quota


@st.composite
def problem_dicts(draw: st.DrawFn, max_candidates: int = 7, max_posts: int = 4) -> Json:
    """A problem file as a dict, valid by construction, mixing every rule of SPEC."""
    n_posts = draw(st.integers(1, max_posts))
    n_cands = draw(st.integers(1, max_candidates))
    posts = [_post(draw, k) for k in range(n_posts)]
    cands = [_candidate(draw, i, posts) for i in range(n_cands)]
    post_ids = [p["id"] for p in posts]
    cand_ids = [c["id"] for c in cands]

    # Couples: disjoint mutual pairs.
    unpaired = list(range(n_cands))
    for _ in range(draw(st.integers(0, min(2, n_cands // 2)))):
        a = draw(st.sampled_from(unpaired))
        unpaired.remove(a)
        b = draw(st.sampled_from(unpaired))
        unpaired.remove(b)
        cands[a]["partner"], cands[b]["partner"] = cands[b]["id"], cands[a]["id"]

    rules: Json = {
        "pairings": [_pairing(draw, k, post_ids) for k in range(_how_many(draw, 0.4, 0.15))],
        "quotas": [_quota(draw, k, cand_ids, post_ids) for k in range(_how_many(draw, 0.6, 0.3))],
    }
    if _sometimes(draw, 0.6):
        rules["couple_scope"] = draw(st.sampled_from(("prefecture", "county", "province")))
    if _sometimes(draw, 0.35):
        rules["respect_priority"] = True

    objective: Json = {}
    if _sometimes(draw, 0.3):
        objective["order"] = list(draw(st.permutations(TIERS)))
    if _sometimes(draw, 0.4):
        objective["rank_cost"] = "quadratic"
    if _sometimes(draw, 0.4):
        objective["adjustment_cost"] = draw(st.sampled_from((0, 1, 3, 6)))
    for bonus in ("home_bonus", "fit_bonus", "continuity_bonus"):
        if _sometimes(draw, 0.3):
            objective[bonus] = draw(st.integers(0, 4))

    forbidden: list[Json] = []
    for _ in range(draw(st.integers(0, 2))):
        pair = {"candidate": draw(st.sampled_from(cand_ids)),
                "post": draw(st.sampled_from(post_ids))}
        if pair not in forbidden:
            forbidden.append(pair)

    locks: list[Json] = []
    seats = {p["id"]: p["capacity"] for p in posts}
    for cand_id in draw(st.lists(st.sampled_from(cand_ids), max_size=2, unique=True)):
        post_id = draw(st.sampled_from(post_ids))
        pair = {"candidate": cand_id, "post": post_id}
        if seats[post_id] > 0 and pair not in forbidden:
            seats[post_id] -= 1
            locks.append(pair)

    return {
        "schema_version": "1",
        "name": "generated",
        "candidates": cands,
        "posts": posts,
        "rules": rules,
        "objective": objective,
        "locks": locks,
        "forbidden": forbidden,
    }


def problems(max_candidates: int = 7, max_posts: int = 4) -> st.SearchStrategy[Problem]:
    """Parsed problems from :func:`problem_dicts`."""
    return problem_dicts(max_candidates, max_posts).map(parse_problem)


def tiny_problems() -> st.SearchStrategy[Problem]:
    """Problems of at most 4 candidates and 3 posts, for fast checks."""
    return problems(max_candidates=4, max_posts=3)


@st.composite
def network_problem_dicts(draw: st.DrawFn, max_candidates: int = 7, max_posts: int = 4) -> Json:
    """Problems a flow network expresses: no couples, no priority, and every quota restricted
    on one side only, its shares taken of its own group or of the total (nesting is left to
    chance)."""
    problem = draw(problem_dicts(max_candidates, max_posts))
    for cand in problem["candidates"]:
        cand.pop("partner", None)
    problem["rules"].pop("respect_priority", None)
    for quota in problem["rules"]["quotas"]:
        side = draw(st.sampled_from(("candidates", "posts")))
        quota["posts" if side == "candidates" else "candidates"] = {}
        if draw(st.booleans()):
            quota["share_base"] = side
    return problem


def network_problems(max_candidates: int = 7, max_posts: int = 4) -> st.SearchStrategy[Problem]:
    """Parsed problems from :func:`network_problem_dicts` whose quota groups nest."""
    from matcher.compile import compile_problem
    from matcher.engines.network import network_obstacles

    return network_problem_dicts(max_candidates, max_posts).map(parse_problem).filter(
        lambda problem: not network_obstacles(compile_problem(problem)))


@st.composite
def wide_share_problems(draw: st.DrawFn) -> Problem:
    """Network problems whose totals range over many lattice points: more seats, and
    shares of quarters (the search scans every total of a short range instead)."""
    problem = draw(network_problem_dicts(max_candidates=12, max_posts=6))
    copies = draw(st.integers(1, 4))  # unlocked copies of every candidate, for long ranges
    problem["candidates"] += [{**cand, "id": f"{cand['id']}-{k}"}
                              for k in range(copies) for cand in problem["candidates"]]
    factor = draw(st.integers(1, 4))
    for post in problem["posts"]:
        post["capacity"] = post.get("capacity", 1) * factor
    for quota in problem["rules"]["quotas"]:
        for bound in ("min_share", "max_share"):
            if bound in quota:
                quota[bound] = draw(st.sampled_from((0.25, 0.5, 0.75)))
        if quota.get("min_share", 0) > quota.get("max_share", 1):
            quota["max_share"] = quota["min_share"]
    # ... and one share of the total on a group of candidates, which the network's free
    # optimum breaks often enough for the search to run
    bound = draw(st.sampled_from(("min_share", "max_share")))
    problem["rules"]["quotas"].append({
        "id": "of-all", "candidates": {"gender": draw(st.sampled_from(("F", "M")))},
        "posts": {}, "share_base": "posts", "hard": draw(st.booleans()),
        bound: draw(st.sampled_from((0.25, 0.75)))})
    parsed = parse_problem(problem)
    assume(not network_obstacles(compile_problem(parsed)))
    return parsed
