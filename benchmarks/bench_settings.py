"""Production settings plus one extra URLconf holding the benchmark's floor view."""
from healthplanner.settings import *  # noqa: F401,F403

ROOT_URLCONF = "benchmarks.bench_urls"
