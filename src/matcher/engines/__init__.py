"""Solver engines. Each has ``solve(compiled, options) -> EngineResult``."""
