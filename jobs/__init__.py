"""The scheduled jobs, over the ``sheets_sync`` layers.

A cycle reads the sheet once (``cycle.CycleContext``), each job records what should change, and the cycle
writes it all at once. Where a comment enters: ``ingest``; where it is routed: ``route``; deadlines: ``sla``;
where a reply leaves: ``reply``; what comes back from the platforms: ``status``; the daily ones: ``digest``,
``archive``, ``content``; what runs them: ``runner``.
"""
