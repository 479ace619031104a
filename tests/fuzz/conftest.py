"""Hypothesis settings for the fuzz suite: modest example counts, no deadline (a CI machine with
two busy cores times out at random otherwise), no example database in the repository.

FUZZ_PROFILE=hunt runs ten times the examples, to look for new failures by hand.
"""

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "podium-fuzz", max_examples=60, deadline=None, database=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                           HealthCheck.function_scoped_fixture])
settings.register_profile("hunt", settings.get_profile("podium-fuzz"), max_examples=600)
settings.load_profile("hunt" if os.environ.get("FUZZ_PROFILE") == "hunt" else "podium-fuzz")
