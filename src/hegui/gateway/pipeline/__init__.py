"""The request pipeline: small steps over one :class:`~.exchange.Exchange`, data flowing one way
(:mod:`.base` runs them and commits the record in one ``finally``)::

    read (request.py / images.py) → Admit (identity.py) → ModerateInput (moderate.py)
      → CallUpstream (call.py) → ModerateOutput (moderate.py) → Blocklist (blocklist.py)
      → Label (label.py) → Commit (record.py)

:mod:`.chat` and :mod:`.images` list the steps of each endpoint and shape the answer.
"""
