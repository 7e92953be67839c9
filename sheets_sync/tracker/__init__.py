"""The Tracker Sheet I/O layer: one batched read and one batched write a cycle, rows found by their key.

``cells`` and ``table`` are pure (typed parsing, header lookup, validation); ``changes`` plans a cycle's write
against a fresh read of the keys; ``store`` does the requests; ``init`` creates and upgrades the tabs.
"""
