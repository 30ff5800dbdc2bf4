"""Scenario data for ``okr-ledger demo``: what happens, to whom and when.

``plans`` holds the shapes a scenario is written in; ``northbridge`` is the quarter the demo
plays. How a scenario goes through the command bus is ``okr_ledger.demo``'s business.
"""
