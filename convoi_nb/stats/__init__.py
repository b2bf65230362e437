"""The statistics of an experiment, pure: functions and dataclasses of a results frame, no I/O and no display.

`analysis.Analysis` is the one object the views read; `primitives` holds the library-backed building blocks,
`summary`, `comparison`, `verdict` and `plan` the steps of an analysis, `estimate` the prediction of what the rest
of a run will cost, `ratings` listeners' ratings. Nothing here imports the client, the store or widgets.
"""
