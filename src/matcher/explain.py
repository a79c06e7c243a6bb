"""Why a candidate was not placed: the question every office must answer before 公示.

Reasons are read off the solution itself, without a solver: for each post the candidate could
have held, either it is full, or putting the candidate there would break a named hard quota or
their couple, or (when no hard rule stands in the way) the objective order preferred otherwise.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from matcher.columns import BoolArray, IntArray
from matcher.compile import Compiled
from matcher.gc_pause import paused_gc
from matcher.problem import Candidate, Degree, Post
from matcher.solution import Reason

_LISTED = 5
_CHUNK = 2_000_000


def _ids(items: list[str], total: int | None = None) -> str:
    """The first few ids and how many more there are (``total`` when ``items`` is cut)."""
    total = len(items) if total is None else total
    head = ", ".join(items[:_LISTED])
    return head + (f" and {total - _LISTED} more" if total > _LISTED else "")


def candidate_options(compiled: Compiled, c: int) -> IntArray:
    """Posts candidate ``c`` may hold by SPEC §3 (ranked ones first, then adjusted ones)."""
    compat = compiled.compat
    if not compat.candidate_ok[c]:
        return np.zeros(0, dtype=np.int64)
    posts, forbidden = _ranked_options(compiled, c)
    if compiled.adjusts[c]:
        u = int(compat.profile[c])  # the profile's posts: one row of the eligibility matrices
        others = np.flatnonzero((compat.attributes_ok[u] & compat.pairings_ok[u])[
            compat.post_class])
        taken = np.concatenate([posts, forbidden])
        extra = others if len(taken) == 0 else others[~np.isin(others, taken, kind="table")]
        posts = np.concatenate([posts, extra])
    return posts


def _ranked_options(compiled: Compiled, c: int) -> tuple[IntArray, IntArray]:
    """The ranked posts candidate ``c`` may hold (best rank first, forbidden ones left out),
    and the posts forbidden to them (sorted: one short run of the sorted keys)."""
    keys, m = compiled.forbidden_keys, max(compiled.m, 1)
    lo, hi = np.searchsorted(keys, [c * m, (c + 1) * m])
    forbidden: IntArray = keys[lo:hi] - c * m
    ranked = compiled.wishes.posts_of(c)
    ranked = ranked[compiled.compat.allowed(np.full(len(ranked), c, dtype=np.int64), ranked)]
    if len(forbidden):
        ranked = ranked[~np.isin(ranked, forbidden)]
    return ranked, forbidden


class _Seats:
    """The round's seats as every unplaced candidate's reasons read them: which posts are
    full, and per eligibility profile the posts open to adjustment split into full and free.

    A national round can leave 50,000 candidates unplaced beside a few free seats (a hard
    quota or couples keep them empty). Listing each one's thousands of adjustment posts took
    most of 14 s there; a profile's posts are split once and shared.
    """

    def __init__(self, compiled: Compiled, filled: IntArray) -> None:
        self.compiled = compiled
        self.full: BoolArray = filled >= compiled.capacity
        self._by_row: dict[bytes, tuple[IntArray, IntArray]] = {}
        self._skip = np.zeros(compiled.m, dtype=np.bool_)

    def adjustable(self, u: int) -> tuple[IntArray, IntArray]:
        """Profile ``u``'s posts (by eligibility), full ones and free ones, in post order.
        Kept per eligibility row, which far fewer than the profiles differ in (15,000
        profiles at national scale)."""
        compat = self.compiled.compat
        row = compat.attributes_ok[u] & compat.pairings_ok[u]
        key = row.tobytes()
        found = self._by_row.get(key)
        if found is None:
            posts = np.flatnonzero(row[compat.post_class])
            full = self.full[posts]
            found = self._by_row[key] = (posts[full], posts[~full])
        return found

    def options(self, c: int) -> tuple[int, IntArray, IntArray]:
        """Candidate ``c``'s options (:func:`candidate_options`) as the reasons need them:
        how many are full, the first :data:`_LISTED` full ones, and the free ones, each in
        that function's order (ranked first, then adjusted)."""
        compiled, full = self.compiled, self.full
        ranked, forbidden = _ranked_options(compiled, c)
        ranked_full = full[ranked]
        head, free = ranked[ranked_full][:_LISTED], ranked[~ranked_full]
        full_count = int(ranked_full.sum())
        if compiled.adjusts[c]:
            adjust_full, adjust_free = self.adjustable(int(compiled.compat.profile[c]))
            # The ranked posts left are among the profile's (the same eligibility row), so
            # only forbidden posts the profile may hold take seats out of its full count.
            held = forbidden[compiled.compat.allowed(
                np.full(len(forbidden), c, dtype=np.int64), forbidden)]
            full_count = len(adjust_full) - int(full[held].sum())
            skip = self._skip  # all False between calls: cheaper than np.isin on few posts
            skip[ranked] = skip[forbidden] = True
            if len(head) < _LISTED:
                prefix = adjust_full[:_LISTED + len(ranked) + len(forbidden)]
                head = np.concatenate([head, prefix[~skip[prefix]]])[:_LISTED]
            free = np.concatenate([free, adjust_free[~skip[adjust_free]]])
            skip[ranked] = skip[forbidden] = False
        return full_count, head, free


def unassigned_reasons(compiled: Compiled, assignment: IntArray) -> dict[int, list[Reason]]:
    """Reasons for every unplaced candidate, keyed by candidate index."""
    with paused_gc():  # tens of thousands of records beside the problem's: matcher.gc_pause
        return _unassigned_reasons(compiled, assignment)


def _unassigned_reasons(compiled: Compiled,
                        assignment: IntArray) -> dict[int, list[Reason]]:
    problem = compiled.problem
    pairs = compiled.pairs(assignment)
    filled = np.bincount(pairs.post, minlength=compiled.m)
    breaks = _quota_breaks(compiled, [q.count_and_base(pairs) for q in compiled.quotas])
    reasons: dict[int, list[Reason]] = {}
    seats = _Seats(compiled, filled)
    blocking = _Blocking(compiled, breaks)
    ranked_full, ranked_open, adjust_full, adjust_open = _option_counts(compiled, filled)
    for c in np.flatnonzero(assignment < 0).tolist():
        cand = problem.candidates[c]
        if not cand.eligible:
            reasons[c] = [Reason(code="not_eligible",
                                 detail="marked not eligible (failed a screening step)")]
            continue
        if ranked_open[c] == 0 and adjust_open[c] == 0 and ranked_full[c] + adjust_full[c]:
            # The usual case at scale: every post the candidate may hold is full.
            reasons[c] = [_all_taken(compiled, c, int(ranked_full[c]), int(adjust_full[c]))]
            continue
        full_count, full, free = seats.options(c)
        if full_count + len(free) == 0:
            reasons[c] = [Reason(code="no_eligible_post", detail=_why_no_post(compiled, c))]
            continue
        reasons[c] = _blocked(compiled, c, full_count, full, free, blocking, assignment)
    return reasons


def _option_counts(compiled: Compiled, filled: IntArray) -> tuple[IntArray, ...]:
    """Per candidate: how many of the posts their wishes match (and they may hold) are full
    or have a free seat, summed over wishes (a post two wishes match counts twice), and the
    same for the posts open to them by adjustment. Counted per (pattern, eligibility class)
    without expanding wishes into pairs; forbidden pairs are then taken out."""
    compat, wishes, n = compiled.compat, compiled.wishes, compiled.n
    free = (filled < compiled.capacity).astype(np.int64)
    n_classes = compat.attributes_ok.shape[1] if compat.attributes_ok.ndim == 2 else 0
    fits = compat.attributes_ok & compat.pairings_ok
    n_patterns = len(wishes.starts) - 1
    # Cells: the (pattern, class) pairs that occur, with their posts counted, in CSR order.
    owner = np.repeat(np.arange(n_patterns), np.diff(wishes.starts))
    cells, cell_of = np.unique(owner * max(n_classes, 1) + compat.post_class[wishes.members],
                               return_inverse=True)
    cell_of = cell_of.reshape(-1)
    cell_open = np.bincount(cell_of, weights=free[wishes.members], minlength=len(cells))
    cell_all = np.bincount(cell_of, minlength=len(cells)).astype(np.float64)
    cell_class = cells % max(n_classes, 1)
    cell_starts = np.searchsorted(cells // max(n_classes, 1), np.arange(n_patterns + 1))
    # Each wish row sums the cells of its pattern that its profile may hold.
    row_profile = compat.profile[wishes.cand]
    sizes = np.diff(cell_starts)[wishes.pattern]
    row_open = np.zeros(len(wishes.cand), dtype=np.float64)
    row_all = np.zeros(len(wishes.cand), dtype=np.float64)
    ends = np.cumsum(sizes)
    start = 0
    while start < len(sizes):  # chunks of about _CHUNK cells bound the temporaries
        before = int(ends[start - 1]) if start else 0
        stop = max(int(np.searchsorted(ends, before + _CHUNK, side="right")), start + 1)
        counts = sizes[start:stop]
        row = np.repeat(np.arange(stop - start), counts)
        cell = np.repeat(cell_starts[wishes.pattern[start:stop]], counts) + (
            np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts))
        ok = fits[row_profile[start:stop][row], cell_class[cell]]
        row_open[start:stop] = np.bincount(row, weights=cell_open[cell] * ok,
                                           minlength=stop - start)
        row_all[start:stop] = np.bincount(row, weights=cell_all[cell] * ok,
                                          minlength=stop - start)
        start = stop
    ranked_open = np.bincount(wishes.cand, weights=row_open, minlength=n).astype(np.int64)
    ranked_full = np.bincount(wishes.cand, weights=row_all - row_open,
                              minlength=n).astype(np.int64)
    open_by_class = np.bincount(compat.post_class, weights=free, minlength=n_classes)
    all_by_class = np.bincount(compat.post_class, minlength=n_classes)
    fits_f = fits.astype(np.float64)
    adjusting = compiled.adjusts & compat.candidate_ok
    profile_open = (fits_f @ open_by_class)[compat.profile]
    profile_all = (fits_f @ all_by_class)[compat.profile]
    adjust_open = np.where(adjusting, profile_open, 0)
    adjust_full = np.where(adjusting, profile_all - profile_open, 0)
    # A forbidden pair is no option: it leaves every count it was in (once per wish row
    # matching it, and once among the posts open by adjustment).
    m = max(compiled.m, 1)
    fc, fp = compiled.forbidden_keys // m, compiled.forbidden_keys % m
    may = fits[compat.profile[fc], compat.post_class[fp]]
    is_free = free[fp].astype(np.bool_)
    owner, rows = wishes.rows_of(fc)
    hits = owner[wishes.matches(wishes.pattern[rows], fp[owner])]
    rows_per_pair = np.bincount(hits, minlength=len(fc)) * may
    ranked_open -= np.bincount(fc, weights=rows_per_pair * is_free, minlength=n).astype(np.int64)
    ranked_full -= np.bincount(fc, weights=rows_per_pair * ~is_free,
                               minlength=n).astype(np.int64)
    counted = adjusting[fc] & may
    adjust_open = adjust_open - np.bincount(fc[counted & is_free], minlength=n)
    adjust_full = adjust_full - np.bincount(fc[counted & ~is_free], minlength=n)
    return (ranked_full, ranked_open, np.rint(adjust_full).astype(np.int64),
            np.rint(adjust_open).astype(np.int64))


def _all_taken(compiled: Compiled, c: int, wished: int, adjusted: int) -> Reason:
    """Every post the candidate may hold is full: say which wishes that covers."""
    wishes = compiled.wishes
    lo, hi = np.searchsorted(wishes.cand, [c, c + 1])
    ranks = wishes.rank[lo:hi].tolist()
    parts = []
    if wished:
        which = ", ".join(str(r) for r in ranks[:8]) + (" …" if len(ranks) > 8 else "")
        noun = "wish" if len(ranks) == 1 else "wishes"
        parts.append(f"every post matching {noun} {which} that the candidate may hold is "
                     f"full")
    if adjusted:
        parts.append("the only post open to them by adjustment (服从调剂) is full" if adjusted == 1
                     else f"all {adjusted} posts open to them by adjustment (服从调剂) are full")
    return Reason(code="wishes_taken", detail="; ".join(parts))


def _quota_breaks(compiled: Compiled, counts: list[tuple[int, int]]) -> list[BoolArray]:
    """Per quota, whether one more assignment breaks it, by (counted in N, counted in D):
    only a hard quota that holds now can be broken by adding a pair."""
    tables = []
    for quota, (n, d) in zip(compiled.quotas, counts, strict=True):
        table = np.zeros((2, 2), dtype=np.bool_)
        if quota.hard and quota.deviation(n, d) == 0:
            for a in (0, 1):
                for b in (0, 1):
                    table[a, b] = quota.deviation(n + a, d + b) > 0
        tables.append(table)
    return tables


class _Blocking:
    """Which hard quotas one more pair would break, per candidate's free options.

    Whether a pair breaks a quota depends only on whether the quota counts the candidate
    and the post. So per set of quotas counting the candidate (few distinct ones), which
    quotas block each post is worked out once, as bits of a word per post, and each
    candidate's free options are read off it. (Remembering answers per free-option list
    instead took 5.5 GB at 100k with every seat free: 100,000 lists of thousands of posts.)
    """

    BITS = 62  # quotas per word (an int64, sign bit unused)

    def __init__(self, compiled: Compiled, breaks: list[BoolArray]) -> None:
        self.compiled = compiled
        self.active = [k for k, table in enumerate(breaks) if table.any()]
        self.breaks = breaks
        self.member = np.stack([compiled.quotas[k].cand_mask for k in self.active], axis=1
                               ) if self.active else np.zeros((compiled.n, 0), dtype=np.bool_)
        self._words: dict[bytes, list[IntArray]] = {}

    def of(self, c: int, free: IntArray) -> tuple[list[tuple[int, IntArray]], IntArray]:
        """The quotas (index, free posts it blocks) in the order a scan of the free posts
        meets them, and the free posts none blocks."""
        if not self.active or len(free) == 0:
            return [], free
        blocked_any = np.zeros(len(free), dtype=np.bool_)
        found: list[tuple[int, int, IntArray]] = []
        for w, words in enumerate(self._post_words(c)):
            bits = words[free]
            hit = bits != 0
            if not hit.any():
                continue
            blocked_any |= hit
            quotas, j = int(np.bitwise_or.reduce(bits[hit])), 0
            while quotas:
                if quotas & 1:
                    blocks = (bits >> j) & 1 == 1
                    found.append((int(np.argmax(blocks)), w * self.BITS + j, free[blocks]))
                quotas, j = quotas >> 1, j + 1
        found.sort(key=lambda item: item[:2])
        return [(self.active[a], posts) for _, a, posts in found], free[~blocked_any]

    def _post_words(self, c: int) -> list[IntArray]:
        """Per post, bit ``j`` of word ``w``: active quota ``w·BITS + j`` blocks the post
        for candidates counted as ``c`` is."""
        key = self.member[c].tobytes()
        words = self._words.get(key)
        if words is None:
            words = []
            for a, counts_c in enumerate(self.member[c].tolist()):
                quota = self.compiled.quotas[self.active[a]]
                counted = quota.post_mask & counts_c
                based = (quota.post_mask if quota.share_base == "posts"
                         else np.full(self.compiled.m, counts_c))
                blocks = self.breaks[self.active[a]][counted.astype(np.int64),
                                                     based.astype(np.int64)]
                if a % self.BITS == 0:
                    words.append(np.zeros(self.compiled.m, dtype=np.int64))
                words[-1] |= blocks.astype(np.int64) << (a % self.BITS)
            self._words[key] = words
        return words


def _blocked(compiled: Compiled, c: int, full_count: int, full_posts: IntArray,
             free: IntArray, blocking: _Blocking, assignment: IntArray) -> list[Reason]:
    """Reasons for a candidate with some option free, or full ones named: the seats taken,
    the quotas one more pair would break, and their partner or the objective for the rest."""
    problem = compiled.problem
    post_ids = problem.posts
    broken_by, rest = blocking.of(c, free)
    reasons = []
    if full_count:
        listed = _ids([post_ids[p].id for p in full_posts.tolist()], full_count)
        detail = f"every seat taken at {listed}"
        if len(free) == 0:
            detail = (f"the only post the candidate may hold is full: {listed}" if full_count == 1
                      else f"all {full_count} posts the candidate may hold are full: {listed}")
        reasons.append(Reason(code="wishes_taken", detail=detail))
    for k, posts in broken_by:
        reasons.append(Reason(
            code="quota",
            detail=f"placing at {_post_ids(compiled, posts)} would break quota "
                   f"{compiled.quotas[k].id}"))
    partner = problem.candidates[c].partner
    if len(rest) and partner is not None:
        d = int(compiled.partner[c])
        where = ("unplaced" if assignment[d] < 0
                 else f"placed at {problem.posts[assignment[d]].id}")
        reasons.append(Reason(
            code="couple",
            detail=f"partner {partner} is {where}; couples are placed together in the same "
                   f"{problem.rules.couple_scope} or not at all ({_post_ids(compiled, rest)})",
        ))
    elif len(rest):
        reasons.append(Reason(
            code="objective",
            detail=f"seats were free at {_post_ids(compiled, rest)}, but the objective order "
                   f"{problem.objective.order} preferred leaving them",
        ))
    return reasons


def _post_ids(compiled: Compiled, posts: IntArray) -> str:
    posts_list = compiled.problem.posts
    return _ids([posts_list[p].id for p in posts[:_LISTED].tolist()], len(posts))


def _why_no_post(compiled: Compiled, c: int) -> str:
    """What removed every post from this candidate's options, counted by rule."""
    problem = compiled.problem
    cand = problem.candidates[c]
    wished = compiled.wishes.posts_of(c)
    if not cand.wishes and not cand.accept_adjustment:
        return "no wishes and does not accept adjustment (服从调剂)"
    if len(wished) == 0 and not cand.accept_adjustment:
        return "no wish matches any post, and does not accept adjustment (服从调剂)"
    looked_at = wished if not cand.accept_adjustment else np.arange(compiled.m)
    tally: Counter[str] = Counter()
    for p in looked_at.tolist():
        for rule in blocking_rules(compiled, c, p):
            tally[rule] += 1
    scope = "wished posts" if not cand.accept_adjustment else "posts"
    parts = [f"{rule} ({count})" for rule, count in tally.most_common()]
    return f"every one of {len(looked_at)} {scope} is ruled out: " + "; ".join(parts)


@dataclass(frozen=True)
class Blocker:
    """One eligibility condition of SPEC §3 that keeps a candidate from a post, with the
    post's demand it fails (for wording: the degree, the missing languages, the gender, the
    level, the pairing rules' ids)."""

    rule: str  # service period, degree, major category, language, gender, level, pairing,
    # forbidden pair
    demand: tuple[str, ...] = ()


def blockers(compiled: Compiled, c: int, p: int, *, forbidden: bool = True) -> list[Blocker]:
    """The eligibility conditions of SPEC §3 that forbid candidate ``c`` post ``p`` (with
    ``forbidden``, a forbidden pair too), in one place for every language's wording."""
    cand: Candidate = compiled.problem.candidates[c]
    post: Post = compiled.problem.posts[p]
    found = []
    if not set(cand.service_years) & set(post.service_years):
        found.append(Blocker("service period"))
    if Degree[cand.degree] < Degree[post.min_degree]:
        found.append(Blocker("degree", (post.min_degree,)))
    if post.major_categories and cand.major_category not in post.major_categories:
        found.append(Blocker("major category"))
    missing = tuple(lang for lang in post.languages if lang not in cand.languages)
    if missing:
        found.append(Blocker("language", missing))
    if post.gender is not None and cand.gender != post.gender:
        found.append(Blocker("gender", (post.gender,)))
    if cand.level < post.min_level:
        found.append(Blocker("level", (str(post.min_level),)))
    compat = compiled.compat
    u, v = compat.profile[c], compat.post_class[p]
    if not compat.pairings_ok[u, v]:
        found.append(Blocker("pairing", tuple(
            r.id for k, r in enumerate(compiled.problem.rules.pairings)
            if compat.rule_matches_class[v, k] or compat.rule_admits_profile[u, k])))
    if forbidden and compiled.forbids(np.array([c]), np.array([p])).any():
        found.append(Blocker("forbidden pair"))
    return found


def blocking_rules(compiled: Compiled, c: int, p: int) -> list[str]:
    """The eligibility conditions of SPEC §3 that forbid candidate ``c`` post ``p``, named
    in English (``degree below master``, ``pairing xj-1, xj-2``)."""
    names = []
    for blocker in blockers(compiled, c, p):
        if blocker.rule == "degree":
            names.append(f"degree below {blocker.demand[0]}")
        elif blocker.rule == "pairing":
            names.append(f"pairing {', '.join(blocker.demand)}")
        else:
            names.append(blocker.rule)
    return names
