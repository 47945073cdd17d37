"""Management records the regulator asks for (Deep Synthesis Provisions Arts 7, 15; Interim
Measures Art 14): incidents and emergency response, drills, ethics and security reviews,
regulator orders (with service suspension), periodic algorithm reviews. See docs/governance.md.

A duty package: it may use storage and records (every change is audited); it never imports the
gateway. The gateway asks :func:`suspension_in_force` before serving.
"""

from __future__ import annotations

from hegui.governance.orders import suspension_in_force

__all__ = ["suspension_in_force"]
