"""Health and Prometheus metrics for a deployment's own supervisor.

Everything here is content-free: counts, timings and states, labelled only
from fixed sets (risk levels, notice kinds, event kinds), never with a
participant's pseudonym, a Matrix id or anything a person wrote.
"""
