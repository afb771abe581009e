"""Test-wide settings: graph checks on, hypothesis sized for a 2-core machine."""
import os

os.environ.setdefault("PYJIT_CHECK", "1")

from hypothesis import HealthCheck, settings  # noqa: E402

settings.register_profile("ci", max_examples=60, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
