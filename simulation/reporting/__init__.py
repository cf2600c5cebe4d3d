"""Reporting: seaborn figures and a self-contained HTML report, from result tables only."""
