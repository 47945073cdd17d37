"""Complaints, personal-information requests and enforcement (Interim Measures Arts 14–15,
Deep Synthesis Arts 10–12, PIPL Arts 44–50)."""
