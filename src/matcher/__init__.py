"""matcher: exact allocation of candidates to posts for public placement programmes.

    >>> from matcher import load_problem, solve
    >>> from matcher.verify import verify
    >>> problem = load_problem(Path("scenarios/sample.json"))
    >>> solution = solve(problem)
    >>> verify(problem, solution)
    []
"""

from matcher.errors import InputIssue, InvalidProblemError, MatcherError
from matcher.options import Progress, SolveOptions
from matcher.problem import Problem
from matcher.solution import Solution, Status
from matcher.solve import solve
from matcher.validation import load_problem, parse_problem

__all__ = [
    "InputIssue",
    "InvalidProblemError",
    "MatcherError",
    "Problem",
    "Progress",
    "Solution",
    "SolveOptions",
    "Status",
    "load_problem",
    "parse_problem",
    "solve",
]
__version__ = "0.1.0"
