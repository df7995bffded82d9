"""Building blocks of synthetic data: an estate, alerts and how they travel, deployments.

Shared by the bundled demo (`core.demo`) and the root-cause accuracy scenarios
(`core.scenarios`); seeded `random.Random` only, never the wall clock.
"""
