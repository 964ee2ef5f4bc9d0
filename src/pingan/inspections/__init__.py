"""Inspections: campaigns over the register of places, versioned checklists, visits from a phone (offline and
exactly once), hazards raised as cases, re-inspection as their verification, statistics and reports."""
