"""Reporting: seaborn figures and self-contained HTML reports (Jinja2 templates), from result tables only."""
