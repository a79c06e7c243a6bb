"""``POST /v1/compare``: a base round and what-if scenarios, solved and measured side by side.

Synchronous, like ``/v1/solve``, rather than a job: a job is one stored problem and one
solution in the job table, and a comparison is neither (a base, several scenarios, one
comparison back), so as a job it would need a second kind of row, result and worker path. A
planner's what-if is also something they wait for. So it runs in the synchronous solver pool,
held to the same cap as ``/v1/solve``: all its solves run one after another in one pool
process and share ``max_sync_time_limit``, each getting ``cap / (1 + scenarios)`` seconds at
most. A comparison that needs longer solves belongs to ``matcher compare`` (local processes or
a Dask cluster).

Scenarios are the files of ``scenarios/whatif/``: a name, changes, and an optional ``base``
(an inline problem; without it the request's ``base``). A ``base`` naming a file is refused:
the service reads no files from its own disk on a client's say-so.
"""

from __future__ import annotations

import copy
from typing import Any

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from matcher.api.body import body_text, json_object, problem_part, within
from matcher.api.deps import RunnerDep, SettingsDep
from matcher.api.errors import ApiError
from matcher.api.openapi import BODY_ERRORS, BUSY, REF, UNAUTHORIZED, problem_schemas
from matcher.api.routes.common import SOLVER_FAILED, in_pool, share_of_cap
from matcher.api.routes.params import TimeLimit
from matcher.api.worker import compare_request
from matcher.changes import Applied, scenario_problem
from matcher.compare import Comparison
from matcher.errors import InputIssue, InvalidProblemError
from matcher.problem import Problem
from matcher.whatif import Scenario, parse_scenario

router = APIRouter(tags=["what-if"])

MAX_SCENARIOS = 16  # each takes a share of one request's time cap


def _scenario_schema() -> dict[str, Any]:
    """The Scenario model's JSON schema, the models Problem does not share inlined (only
    Problem's models are components), ``base`` as the service takes it."""
    schema = Scenario.model_json_schema(ref_template=REF)
    defs = schema.pop("$defs", {})
    shared = set(problem_schemas())

    def inline(node: Any) -> Any:
        if isinstance(node, list):
            return [inline(item) for item in node]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref", "")
        name = ref.rsplit("/", 1)[-1]
        if ref and name not in shared and name in defs:
            return inline(copy.deepcopy(defs[name]))
        # A discriminator's mapping points at components; the inlined members carry `kind`.
        return {key: inline(value) for key, value in node.items() if key != "discriminator"}

    out: dict[str, Any] = inline(schema)
    out["properties"]["base"] = {
        "anyOf": [{"$ref": REF.format(model="Problem")}, {"type": "null"}], "default": None,
        "description": "the scenario's own base problem, inline; omitted: the request's "
        "`base` (file paths are refused: the service reads no files)"}
    return out


COMPARE_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "a base problem and the scenarios to compare with it",
        "content": {"application/json": {"schema": {
            "type": "object",
            "properties": {
                "base": {"$ref": REF.format(model="Problem")},
                "scenarios": {"type": "array", "maxItems": MAX_SCENARIOS,
                              "items": _scenario_schema()},
            },
            "required": ["base", "scenarios"],
            "additionalProperties": False,
        }}},
    }
}


def parse_comparison(text: str) -> tuple[Problem, list[Applied]]:
    """The base and every scenario applied to it; 422 with every issue of every scenario."""
    data = json_object(text, {"base": True, "scenarios": True})
    base, issues = problem_part(data, "base")
    scenarios = data["scenarios"]
    if not isinstance(scenarios, list):
        raise ApiError.from_issues([*issues, InputIssue(
            "scenarios", "list_type", "scenarios must be a list of scenario objects")])
    if len(scenarios) > MAX_SCENARIOS:
        issues.append(InputIssue("scenarios", "too_long", f"{len(scenarios)} scenarios; at most "
                                 f"{MAX_SCENARIOS} in one request (use `matcher compare`)"))
    applied = []
    for i, raw in enumerate(scenarios[:MAX_SCENARIOS]):
        path = f"scenarios[{i}]"
        if not isinstance(raw, dict):
            issues.append(InputIssue(path, "model_type", "a scenario must be a JSON object"))
            continue
        try:
            scenario = parse_scenario(raw)
        except InvalidProblemError as error:
            issues += within(path, error.issues)
            continue
        if isinstance(scenario.base, str):
            issues.append(InputIssue(f"{path}.base", "file_path", "the service reads no files: "
                                     "give the base problem inline, or leave base out to use "
                                     "the request's base"))
            continue
        if base is None:
            continue  # its changes cannot be checked against a broken base
        try:
            applied.append(scenario_problem(scenario, base))
        except InvalidProblemError as error:
            issues += within(path, error.issues)
    if issues or base is None:
        raise ApiError.from_issues(issues)
    return base, applied


@router.post("/compare", response_model=Comparison, openapi_extra=COMPARE_BODY,
             responses={**UNAUTHORIZED, **BODY_ERRORS, **BUSY, **SOLVER_FAILED})
async def compare(request: Request, runner: RunnerDep, settings: SettingsDep,
                  time_limit: TimeLimit = None) -> Response:
    """Solve the base and each scenario and measure each against the base: the data
    `matcher compare --json` prints (figures per column, candidates placed differently,
    what each change did). ``time_limit`` is per solve, within a share of the server's
    synchronous cap."""
    text = await body_text(request, settings)
    base, applied = await run_in_threadpool(parse_comparison, text)
    limit = share_of_cap(settings.max_sync_time_limit, 1 + len(applied), time_limit)
    result = await in_pool(runner, compare_request, base, applied, limit, 0)
    # Already JSON from the pool process: returned as is.
    return Response(result, media_type="application/json")
