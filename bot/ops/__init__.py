"""Running the front door: the command line, the runner and its supervisor, the scheduler, and local PostgreSQL/Redis for run-scaled and tests."""
