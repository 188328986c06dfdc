"""What staff hear after the gateway was down.

While the gateway is down nobody is screened or paged. Afterwards staff should
know for how long, and how many messages arrived meanwhile and were handled
late: a page among them came late too.
"""

from __future__ import annotations

import time

# A gap shorter than this, with nothing waiting, is a restart not worth a notice.
QUIET_GAP_SECONDS = 60.0


def downtime_notice(last_alive: float | None, back_at: float, late_messages: int) -> str | None:
    if last_alive is None:
        return None  # the first start ever
    gap = max(0.0, back_at - last_alive)
    if late_messages == 0 and gap < QUIET_GAP_SECONDS:
        return None
    since = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(last_alive))
    messages = "1 message" if late_messages == 1 else f"{late_messages} messages"
    return (
        f"⚠️ samtal was not running for {_duration(gap)} (since {since}). "
        f"{messages} that arrived meanwhile {'was' if late_messages == 1 else 'were'} "
        "screened and answered late; any page among them went out only now."
    )


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{round(seconds)} s"
    minutes = seconds / 60
    if minutes < 90:
        return f"{round(minutes)} min"
    return f"{minutes / 60:.1f} h"
