"""What the Mini App's planner and people pages read, and how their edits stay safe.

`week` (a week of shifts and events with their fill), `roster` (the people one may see)
and `versions` (optimistic concurrency: two browsers, one shift, nothing lost).
"""
