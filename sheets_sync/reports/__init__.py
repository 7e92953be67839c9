"""Daily monitoring: the figures, the Dashboard tab, the digest e-mails and the content-calendar flags.

Everything here except ``mailer`` is pure: it takes rows the tracker layer has read (plain dicts keyed by the
sheet's headers) and returns plain data or ``EmailMessage`` objects. ``mailer`` is the one module that talks to
the outside (an SMTP server, or a folder of ``.eml`` files).

  - ``metrics``   — counts and reply-time percentiles per department and per platform,
  - ``dashboard`` — the Dashboard tab's cell grid and its chart request,
  - ``content``   — the content calendar's flags and the published posts for the Posts register,
  - ``digest``    — one e-mail per department head, one summary to the cell,
  - ``mailer``    — sends them (SMTP) or writes them (``.eml``), one message at a time, reporting each.
"""
