"""Work orders (工单) for the 12345 closed loop, the dispatch catalogue and the knowledge base.

``models`` holds the tables, ``repository`` and ``knowledge`` the data access, ``machine`` the
closed-loop transition table, ``catalogue`` the dispatch catalogue, ``deadlines`` the time limits,
``service`` the use cases and ``api`` the HTTP routes.
"""
