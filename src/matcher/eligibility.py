"""Who may hold which post (SPEC §3) and at what rank, computed over whole arrays.

Candidates are grouped into *profiles* (same attributes that eligibility looks at) and posts
into *classes* (same requirements and the same pairing rules matching them). Eligibility is a
small profile × class matrix built with numpy broadcasting; a candidate-post pair is then one
lookup. This is also what lets a network engine aggregate 服从调剂 candidates later instead of
materialising every pair.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from matcher.columns import BoolArray, IntArray, Table
from matcher.problem import Degree, Pairing, Problem
from matcher.sorting import sorted_rows

_SERVICE_BITS = {1: 1, 2: 2, 3: 4}


def _service_mask(years: list[int]) -> int:
    return sum({_SERVICE_BITS[y] for y in years if y in _SERVICE_BITS})


def _group(keys: list[tuple[Any, ...]]) -> tuple[IntArray, list[tuple[Any, ...]]]:
    """Index of each key's group, and the distinct keys in order of first appearance."""
    index: dict[tuple[Any, ...], int] = {}
    groups = np.fromiter((index.setdefault(k, len(index)) for k in keys), dtype=np.int64,
                         count=len(keys))
    return groups, list(index)


@dataclass
class Compatibility:
    """Eligibility by attributes (``attributes_ok``) and by pairings (``pairings_ok``).

    Both are ``profiles × classes``; ``profile[c]`` and ``post_class[p]`` index them.
    ``candidate_ok[c]`` is the candidate's own ``eligible`` flag.
    """

    profile: IntArray
    post_class: IntArray
    attributes_ok: BoolArray
    pairings_ok: BoolArray
    candidate_ok: BoolArray
    # For explaining and for infeasibility conflicts: per class, which pairing rules match it;
    # per profile, which rules admit (exclusive) or bind (bound) it.
    rule_matches_class: BoolArray  # classes × pairings
    rule_admits_profile: BoolArray  # profiles × pairings
    exclusive: BoolArray  # pairings

    def allowed(self, candidates: IntArray, posts: IntArray, *,
                with_pairings: bool = True) -> BoolArray:
        u, v = self.profile[candidates], self.post_class[posts]
        ok = self.attributes_ok[u, v] & self.candidate_ok[candidates]
        if with_pairings:
            ok &= self.pairings_ok[u, v]
        return ok


def compatibility(problem: Problem, posts: Table) -> Compatibility:
    """Build the profile × class eligibility matrices for ``problem``."""
    pairings = problem.rules.pairings
    rule_post = np.array([posts.match(r.destinations) for r in pairings],
                         dtype=np.bool_).reshape(len(pairings), posts.size).T

    cand_keys = [
        (_service_mask(c.service_years), Degree[c.degree], c.major_category,
         frozenset(c.languages), c.gender, c.level, c.home_province, c.origin_recruit)
        for c in problem.candidates
    ]
    post_keys = [
        (_service_mask(p.service_years), Degree[p.min_degree], frozenset(p.major_categories),
         frozenset(p.languages), p.gender, p.min_level, rule_post[i].tobytes())
        for i, p in enumerate(problem.posts)
    ]
    profile, profiles = _group(cand_keys)
    post_class, classes = _group(post_keys)
    class_rep = np.zeros(len(classes), dtype=np.int64)
    class_rep[post_class[::-1]] = np.arange(len(post_class))[::-1]

    def col(rows: list[tuple[Any, ...]], i: int, dtype: Any = np.int64) -> Any:
        return np.array([r[i] for r in rows], dtype=dtype)

    ok = (col(profiles, 0)[:, None] & col(classes, 0)[None, :]) != 0
    ok &= col(profiles, 1)[:, None] >= col(classes, 1)[None, :]
    ok &= col(profiles, 5)[:, None] >= col(classes, 5)[None, :]
    gender_code = {None: 0, "F": 1, "M": 2}
    cand_gender = np.array([gender_code[r[4]] for r in profiles], dtype=np.int64)
    post_gender = np.array([gender_code[r[4]] for r in classes], dtype=np.int64)
    ok &= (post_gender[None, :] == 0) | (cand_gender[:, None] == post_gender[None, :])
    ok &= _set_condition(profiles, classes, 2, 2, member=True)
    ok &= _set_condition(profiles, classes, 3, 3, member=False)

    rule_class = rule_post[class_rep] if len(classes) else rule_post[:0]
    admits = _admits(profiles, pairings)
    exclusive = np.array([r.mode == "exclusive" for r in pairings], dtype=np.bool_)
    pair_ok = _pairings_allowed(admits, rule_class, exclusive)
    candidate_ok = np.fromiter((c.eligible for c in problem.candidates), dtype=np.bool_,
                               count=len(problem.candidates))
    return Compatibility(profile, post_class, ok, pair_ok, candidate_ok, rule_class, admits,
                         exclusive)


def _admits(profiles: list[tuple[Any, ...]], pairings: list[Pairing]) -> BoolArray:
    """Profiles × pairings: whether the profile's origin (home or recruiting province, as the
    rule says) is among the rule's origins."""
    codes: dict[str, int] = {}
    home = np.array([codes.setdefault(str(prof[6]), len(codes)) for prof in profiles],
                    dtype=np.int64)
    recruit = np.array([codes.setdefault(str(prof[7]), len(codes)) for prof in profiles],
                       dtype=np.int64)
    admits = np.zeros((len(profiles), len(pairings)), dtype=np.bool_)
    for k, rule in enumerate(pairings):
        listed = np.zeros(len(codes), dtype=np.bool_)
        listed[[codes[o] for o in rule.origins if o in codes]] = True
        admits[:, k] = listed[home if rule.origin_field == "home_province" else recruit]
    return admits


def _pairings_allowed(admits: BoolArray, matches: BoolArray, exclusive: BoolArray) -> BoolArray:
    """SPEC §4 pairings for every profile × class.

    exclusive: a class matched by any exclusive rule admits only profiles that one of those
    rules admits. bound: a profile admitted (bound) by any bound rule may hold only classes
    matched by one of the bound rules that bind it.
    """
    # Products in float64 (BLAS; exact, as counts stay far below 2**53), not int64.
    ex, bd = exclusive, ~exclusive
    ex_matches = matches[:, ex].astype(np.float64)
    restricted: BoolArray = np.asarray(ex_matches.any(axis=1))
    ex_ok = ~restricted[None, :] | ((admits[:, ex].astype(np.float64) @ ex_matches.T) > 0)
    bound_by = admits[:, bd].astype(np.float64)
    bound: BoolArray = np.asarray(bound_by.any(axis=1))
    bd_ok = ~bound[:, None] | ((bound_by @ matches[:, bd].astype(np.float64).T) > 0)
    result: BoolArray = ex_ok & bd_ok
    return result


def _set_condition(profiles: list[tuple[Any, ...]], classes: list[tuple[Any, ...]],
                   cand_i: int, post_i: int, *, member: bool) -> BoolArray:
    """Major (``member``: post list empty or contains the candidate's major) or languages
    (post's languages ⊆ candidate's), as matrix products over a shared vocabulary."""
    vocab: dict[Any, int] = {}
    for cls in classes:
        for item in cls[post_i]:
            vocab.setdefault(item, len(vocab))
    post_sets = np.zeros((len(classes), len(vocab)), dtype=np.int64)
    for j, cls in enumerate(classes):
        for item in cls[post_i]:
            post_sets[j, vocab[item]] = 1
    cand_sets = np.zeros((len(profiles), len(vocab)), dtype=np.int64)
    for i, prof in enumerate(profiles):
        items = [prof[cand_i]] if member else list(prof[cand_i])
        for item in items:
            if item in vocab:
                cand_sets[i, vocab[item]] = 1
    if member:
        empty = post_sets.sum(axis=1) == 0
        result: BoolArray = empty[None, :] | ((cand_sets @ post_sets.T) > 0)
        return result
    missing = (1 - cand_sets) @ post_sets.T
    result = missing == 0
    return result


@dataclass
class WishTable:
    """Every wish as a row (candidate, rank, pattern), and every distinct pattern's posts.

    A wish for one post is a pattern too (the post's id). Patterns are kept unexpanded: a
    province-level wish matches thousands of posts, and a national round has a million
    wishes, so expanding them into pairs is left to whoever truly needs pairs.
    """

    cand: IntArray  # per wish row, sorted by candidate then rank
    rank: IntArray
    pattern: IntArray
    starts: IntArray  # CSR: posts of pattern w are members[starts[w]:starts[w + 1]]
    members: IntArray
    keys: IntArray  # per pattern: post index (or -1), then province, prefecture, county,
    #                 programme codes (-1 = not given)
    post_keys: IntArray  # per post: its index, then the same four codes

    def rows_of(self, cand: IntArray) -> tuple[IntArray, IntArray]:
        """Wish rows of each given candidate: (position in ``cand``, wish row index)."""
        lo = np.searchsorted(self.cand, cand, side="left")
        hi = np.searchsorted(self.cand, cand, side="right")
        counts = hi - lo
        owner = np.repeat(np.arange(len(cand)), counts)
        offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        return owner, np.repeat(lo, counts) + offsets

    def matches(self, pattern: IntArray, post: IntArray) -> BoolArray:
        """Whether each pattern matches the post beside it (SPEC §1: every field given is
        equal)."""
        want, have = self.keys[pattern], self.post_keys[post]
        result: BoolArray = ((want == -1) | (want == have)).all(axis=1)
        return result

    def rank_of(self, cand: IntArray, post: IntArray) -> IntArray:
        """1-based rank of the first wish of each candidate matching the post beside it, 0 for
        none."""
        owner, rows = self.rows_of(cand)
        hit = self.matches(self.pattern[rows], post[owner])
        rank = np.zeros(len(cand), dtype=np.int64)
        big = np.iinfo(np.int64).max
        best = np.full(len(cand), big, dtype=np.int64)
        np.minimum.at(best, owner[hit], self.rank[rows][hit])
        rank[best < big] = best[best < big]
        return rank

    def posts_of(self, c: int) -> IntArray:
        """The posts candidate ``c`` wished for, each once, best rank first."""
        lo, hi = np.searchsorted(self.cand, [c, c + 1])
        chunks = [self.members[self.starts[w]:self.starts[w + 1]]
                  for w in self.pattern[lo:hi].tolist()]
        if not chunks:
            return np.zeros(0, dtype=np.int64)
        posts = np.concatenate(chunks)
        _, first = np.unique(posts, return_index=True)
        result: IntArray = posts[np.sort(first)]
        return result

    def expand(self) -> tuple[IntArray, IntArray, IntArray]:
        """Every (candidate, post, rank) some wish gives, keeping the first matching wish;
        sorted by candidate then post."""
        sizes = np.diff(self.starts)
        counts = sizes[self.pattern]
        cand = np.repeat(self.cand, counts)
        rank = np.repeat(self.rank, counts)
        offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        post = self.members[np.repeat(self.starts[self.pattern], counts) + offsets]
        cand, post, rank = sorted_rows(cand, post, rank)
        first = np.ones(len(cand), dtype=np.bool_)
        first[1:] = (cand[1:] != cand[:-1]) | (post[1:] != post[:-1])
        return cand[first], post[first], rank[first]


def wish_table(problem: Problem, posts: Table) -> WishTable:
    """Intern every wish's pattern and index the posts each pattern matches."""
    candidates = problem.candidates
    counts = np.fromiter((len(c.wishes) for c in candidates), dtype=np.int64,
                         count=len(candidates))
    # A wish's key: (post, province, prefecture, county, programme), None where not given.
    keys = [(w.post, w.province, w.prefecture, w.county, w.programme)
            for c in candidates for w in c.wishes]
    pattern_ids: dict[tuple[str | None, ...], int] = dict.fromkeys(keys, 0)
    for i, key in enumerate(pattern_ids):
        pattern_ids[key] = i
    post_index = {post.id: p for p, post in enumerate(problem.posts)}
    lookup = posts.interner.lookup

    def code(value: str | None) -> int:
        if value is None:
            return -1  # not given: any post matches
        found = lookup(value)
        return found if found >= 0 else -2  # a value no post has: nothing matches

    pattern_codes = np.array(
        [[-1 if key[0] is None else post_index.get(key[0], -2), *map(code, key[1:])]
         for key in pattern_ids], dtype=np.int64).reshape(-1, 5)
    fields = ("province", "prefecture", "county", "programme")
    post_keys = np.column_stack([np.arange(posts.size, dtype=np.int64),
                                 *(posts.columns[f] for f in fields)]).reshape(-1, 5)
    starts, members = _pattern_members(pattern_codes, post_keys)
    offsets = np.arange(len(keys)) - np.repeat(np.cumsum(counts) - counts, counts)
    return WishTable(
        cand=np.repeat(np.arange(len(candidates), dtype=np.int64), counts),
        rank=offsets + 1,
        pattern=np.fromiter(map(pattern_ids.__getitem__, keys), dtype=np.int64,
                            count=len(keys)),
        starts=starts,
        members=members,
        keys=pattern_codes,
        post_keys=post_keys,
    )


def _pattern_members(patterns: IntArray, post_keys: IntArray) -> tuple[IntArray, IntArray]:
    """The posts each pattern matches (every given code equal; -1 = not given), in post
    order, as CSR ``starts`` and ``members``. Patterns giving the same fields are matched
    together: the posts' values of those fields and the patterns' are numbered jointly."""
    m = len(post_keys)
    given = patterns != -1
    shape = given @ (1 << np.arange(patterns.shape[1]))  # which fields, as bits
    lo = np.zeros(len(patterns), dtype=np.int64)
    hi = np.zeros(len(patterns), dtype=np.int64)
    orders = []
    for k, bits in enumerate(np.unique(shape).tolist()):
        rows = np.flatnonzero(shape == bits)
        cols = np.flatnonzero(given[rows[0]])
        if len(cols) == 0:  # gives nothing (validation rejects it): matches every post
            lo[rows], hi[rows] = k * m, k * m + m
            orders.append(np.arange(m, dtype=np.int64))
            continue
        table = np.concatenate([post_keys[:, cols], patterns[rows][:, cols]])
        _, ids = np.unique(table, axis=0, return_inverse=True)
        ids = ids.reshape(-1)
        order = np.argsort(ids[:m], kind="stable")
        sorted_ids = ids[:m][order]
        lo[rows] = np.searchsorted(sorted_ids, ids[m:], side="left") + k * m
        hi[rows] = np.searchsorted(sorted_ids, ids[m:], side="right") + k * m
        orders.append(order)
    sizes = hi - lo
    every = np.concatenate(orders) if orders else _EMPTY
    members = every[np.repeat(lo, sizes) + (
        np.arange(sizes.sum()) - np.repeat(np.cumsum(sizes) - sizes, sizes))]
    starts = np.concatenate(([0], np.cumsum(sizes))).astype(np.int64)
    return starts, members.astype(np.int64)


_EMPTY = np.zeros(0, dtype=np.int64)
