"""The gateway process: the composition root and its housekeeping loop."""
