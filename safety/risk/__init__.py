"""Risk assessment for inbound participant messages (pure, sans-I/O).

Use `assess(text, RiskContext(...))`; see `safety.risk.assess`.
"""

from safety.risk.assess import assess
from safety.risk.context import RiskContext
from safety.risk.levels import Assessment, RiskLevel, Signal

__all__ = ["Assessment", "RiskContext", "RiskLevel", "Signal", "assess"]
