"""Problems for the API tests, built here so the tests depend on nothing but SPEC."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def scenario(name: str) -> bytes:
    return (SCENARIOS / name).read_bytes()


def tiny(index: int) -> dict[str, Any]:
    """A three-candidate, two-post problem; ``index`` varies wishes so answers differ."""
    posts = [{"id": f"P{k}", "province": "XJ", "prefecture": "Kashgar", "programme": "edu",
              "capacity": 1} for k in range(2)]
    candidates = [{"id": f"C{k}", "home_province": "SD", "score": float((index + k) % 3),
                   "wishes": [{"post": f"P{(index + k) % 2}"}, {"post": f"P{(index + k + 1) % 2}"}]}
                  for k in range(3)]
    return {"name": f"tiny-{index}", "candidates": candidates, "posts": posts,
            "rules": {"respect_priority": index % 2 == 0}}


def slow(candidates: int = 1500, seed: int = 7) -> bytes:
    """A problem CP-SAT needs many seconds for: score-first placement over random wishes,
    with soft share targets that fight the wishes. Used with a time limit."""
    rng = random.Random(seed)
    provinces = ["XJ", "XZ", "QH", "GS", "NX"]
    posts = [{"id": f"P{k}", "province": provinces[k % 5], "prefecture": f"F{k % 17}",
              "programme": ["edu", "health", "agri"][k % 3], "capacity": rng.randint(1, 3),
              "weight": rng.randint(1, 3), "minority_region": k % 2 == 0}
             for k in range(candidates // 8)]
    people = []
    for k in range(candidates):
        wishes = [{"post": f"P{p}"} for p in rng.sample(range(len(posts)), 5)]
        people.append({"id": f"C{k}", "home_province": rng.choice(["SD", "HA", "SC", "JS"]),
                       "gender": rng.choice(["F", "M"]), "score": round(rng.uniform(0, 100), 1),
                       "wishes": wishes, "accept_adjustment": rng.random() < 0.3})
    quotas = [{"id": f"women-{p}", "candidates": {"gender": "F"}, "posts": {"province": p},
               "min_share": 0.6, "share_base": "posts", "hard": False, "penalty": 3}
              for p in provinces]
    problem = {"name": f"slow-{candidates}", "candidates": people, "posts": posts,
               "rules": {"quotas": quotas, "respect_priority": True},
               "objective": {"rank_cost": "quadratic"}}
    return json.dumps(problem).encode()
