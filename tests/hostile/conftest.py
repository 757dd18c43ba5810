"""Hypothesis profiles of the property suite (tests/hostile/test_properties.py).

``ci`` (the default) keeps the suite to about a minute on 2 shared cores; ``long`` runs many
more examples for a local hunt: ``HYPOTHESIS_PROFILE=long .venv/bin/pytest tests/hostile``.
The deadlines bound each example's time (a hang fails as a deadline error, with the input
shrunk); they are generous because the machine is shared, not a measure of speed.
"""

from __future__ import annotations

import os
from datetime import timedelta

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", max_examples=100, deadline=timedelta(seconds=20), database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                           HealthCheck.data_too_large])
settings.register_profile(
    "long", max_examples=1000, deadline=timedelta(seconds=20),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                           HealthCheck.data_too_large])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
