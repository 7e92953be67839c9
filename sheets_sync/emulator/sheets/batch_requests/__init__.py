"""The ``spreadsheets.batchUpdate`` request handlers, one module per family of request kinds.

``base`` (context, errors, range look-ups) and ``celldata`` (CellData <-> stored cells) are shared; ``tabs``,
``cell_edits``, ``ranges``, ``dimension_edits``, ``rules`` and ``metadata`` hold the handlers. The table that
maps request kinds to handlers, and ``apply_batch``, live in ``..batch_update``.
"""
