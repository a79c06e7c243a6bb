"""One router per area: health, validate, solve, jobs; and the planner workflows of the
command line: workbooks (upload, download, template), compare, explain, report. ``params`` and
``common`` hold what several routers share."""
