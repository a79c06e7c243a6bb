"""One router per area: health, validate, solve, jobs."""
