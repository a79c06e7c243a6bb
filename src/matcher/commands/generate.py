"""``matcher generate``: realistic national rounds for trials and benchmarks."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    @app.command()
    def generate(
        output: Annotated[Path, typer.Option("--output", "-o", help="problem file to write")],
        candidates: Annotated[int, typer.Option("--candidates", "-n", min=1,
                                                help="number of applicants")] = 1000,
        seed: Annotated[int, typer.Option("--seed", help="same seed, same file")] = 0,
        seats_per_candidate: Annotated[float, typer.Option(
            "--seats-per-candidate", min=0.0, help="seats per applicant (national: ~0.25)")
        ] = 0.25,
        couples: Annotated[bool, typer.Option("--couples", help="about 1% in couples")] = False,
        priority: Annotated[bool, typer.Option(
            "--respect-priority", help="score first, then wishes (分数优先)")] = False,
        crossing: Annotated[bool, typer.Option(
            "--crossing-quota", help="add a quota crossing provinces and programmes")] = False,
        model: Annotated[Path | None, typer.Option(
            "--model", help="programme model (default models/xibu_national.json)")] = None,
    ) -> None:
        """Write a realistic western-programme round (provinces, pairings, minority areas,
        skewed wishes) generated from REFERENCE.md's facts; deterministic for a seed."""
        from matcher.cli_support import EXIT_INTERNAL, check_writable
        from matcher.generate import generate_problem, load_model, write_problem

        check_writable(output)
        started = time.monotonic()
        problem = generate_problem(
            candidates, seed, seats_per_candidate=seats_per_candidate, couples=couples,
            respect_priority=priority, crossing_quota=crossing,
            model=load_model(model) if model is not None else None,
        )
        try:
            write_problem(problem, output)
        except OSError as error:
            typer.echo(f"cannot write {output}: {error.strerror or error}", err=True)
            raise typer.Exit(EXIT_INTERNAL) from None
        seats = sum(post.get("capacity", 1) for post in problem["posts"])
        typer.echo(f"wrote {output}: {candidates} candidates, {len(problem['posts'])} posts, "
                   f"{seats} seats ({time.monotonic() - started:.1f}s)", err=True)
