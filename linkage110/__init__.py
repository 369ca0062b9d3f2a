"""Two-way linkage with a 110 police platform (国办发〔2022〕12号): orders and police tickets both ways.

12345 hands police matters off to 110 through a signed, retried outbox (``outbox``, ``sender``); 110
transfers non-police matters in, and each becomes an order with channel ``110`` (``service``). The
HTTP interface is versioned under ``/api/linkage/110/v1`` (``api``); ``simulator`` is a runnable
110 platform for tests and demonstrations (``hotline sim-110``).
"""
