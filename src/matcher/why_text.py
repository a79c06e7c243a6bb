"""An :class:`~matcher.why.Explanation` as text a project office can read out or paste."""

from __future__ import annotations

from matcher.probes import Outcome
from matcher.why import BetterPost, Explanation


def _signed(value: float) -> str:
    text = f"{value:+.2f}".rstrip("0").rstrip(".") if isinstance(value, float) else f"{value:+d}"
    return text.replace("-", "−")


def describe_outcome(outcome: Outcome) -> str:
    """``impossible: …``, ``costs …``, ``no cost (a tie)``, ``improves …``."""
    if outcome.verdict == "infeasible":
        named = ", ".join(outcome.conflict)
        return "impossible: " + (f"it clashes with {named}" if named else
                                 "the eligibility rules alone rule it out")
    if outcome.verdict == "unproven":
        return "not settled within the time limit"
    parts = []
    if outcome.seats:
        parts.append(f"seats filled {_signed(outcome.seats)}")
    if outcome.coverage:
        parts.append(f"weighted coverage {_signed(outcome.coverage)}")
    if outcome.quotas:
        parts.append(f"quota deviation cost {_signed(outcome.quotas)}")
    if outcome.preferences:
        parts.append(f"preference cost {_signed(outcome.preferences)}")
    changes = ", ".join(parts) or "no change"
    if outcome.verdict == "equal":
        return "no loss: an equally good round" + (f" ({changes})" if parts else "")
    verb = "worse" if outcome.verdict == "worse" else "better"
    return f"{verb}: {changes}"


def _post_line(item: BetterPost) -> list[str]:
    lines = [f"  {item.post} (wish {item.rank}) [{item.reason}] {item.detail}"]
    if item.forced is not None:
        lines.append(f"      checked by re-solving with you there: "
                     f"{describe_outcome(item.forced)}")
    return lines


def explanation_text(explanation: Explanation, *, limit: int = 20) -> str:
    e = explanation
    head = f"{e.candidate} (score {e.score:g}): "
    if e.post is None:
        head += "not placed"
    elif e.locked:
        head += f"locked at {e.post} (confirmed in an earlier round)"
    elif e.adjusted:
        head += f"placed at {e.post} by adjustment (服从调剂), outside the wishes"
    else:
        head += f"placed at {e.post}, wish {e.rank}"
    lines = [head]
    lines += [f"  reason: [{r.code}] {r.detail}" for r in e.reasons]
    if e.better_posts:
        lines.append("Why not a better-ranked post:")
        for item in e.better_posts[:limit]:
            lines += _post_line(item)
        if len(e.better_posts) > limit:
            rest = e.better_posts[limit:]
            kinds = sorted({i.reason for i in rest})
            lines.append(f"  … and {len(rest)} more ({', '.join(kinds)}); --json lists all")
    elif e.post is not None and not e.locked:
        lines.append("No better-ranked post exists: this is the first wish that matches a post.")
    if e.placeable is not None and e.placeable.verdict != "equal":
        lines.append(f"Placing you anywhere as things stand: {describe_outcome(e.placeable)}")
    working = [r for r in e.remedies if r.places]
    if working:
        lines.append("One change that would place you:")
        for remedy in working:
            where = f"at {remedy.post}" + (f" (wish {remedy.rank})" if remedy.rank else
                                           " (adjusted)")
            effect = describe_outcome(remedy.outcome) if remedy.outcome else ""
            lines.append(f"  {remedy.change}: placed {where}; round {effect}")
    failed = [r.change for r in e.remedies if not r.places]
    if failed:
        lines.append(f"Tried, would not place you: {'; '.join(failed)}")
    if e.quota_prices:
        lines.append("Price of each hard quota bound (round re-solved with it relaxed by one "
                     "seat):")
        for price in e.quota_prices:
            verdict = describe_outcome(price.outcome) if price.binding else "not binding"
            lines.append(f"  {price.quota}: {price.bound} → {price.relaxed}: {verdict}")
    lines += [f"Note: {note}" for note in e.notes]
    lines.append(f"({e.solves} re-solve(s) used)")
    return "\n".join(lines)
