"""Pure-Python money engine: waterfall, repayment schedule and investor metrics.

Nothing here imports Django; Django services load rows, build these
dataclasses, call the engine and store what it returns.
"""
