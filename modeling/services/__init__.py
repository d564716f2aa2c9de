"""Services: every write the modeling app does (train, score, plan, promote, runs)."""
