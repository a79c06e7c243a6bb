"""The round report (``matcher report``): one self-contained HTML page per solved round."""

from matcher.report.page import render_report

__all__ = ["render_report"]
