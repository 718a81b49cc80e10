"""Before a stage runs: the resolved recipe checked against the stage and fitted to the hardware."""
