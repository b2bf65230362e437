"""How an experiment's results are shown: tables (pandas Styler), plots (matplotlib), and the formatting of money,
durations and percentages they share. Reads `convoi_nb.stats` results; never the client, the store or widgets.
"""
