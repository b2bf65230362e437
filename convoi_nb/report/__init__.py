"""How an experiment's results are shown: tables, plots, and the formatting of money, durations and percentages.

Tables are pandas Stylers, plots matplotlib figures. Reads `convoi_nb.stats` results; never the client, the store
or widgets.
"""
