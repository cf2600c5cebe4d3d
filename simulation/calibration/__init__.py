"""Calibration to stylized facts: the targets (:mod:`.targets`), the method of simulated moments
(:mod:`.msm`) and the whole job into one folder (:mod:`.job`)."""

from .targets import TARGETS_FILE, Fact, Targets, TargetsError, load

__all__ = ["TARGETS_FILE", "Fact", "Targets", "TargetsError", "load"]
