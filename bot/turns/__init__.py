"""The turn pipeline: intake, screening, per-room workers, answering."""
