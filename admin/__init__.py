"""The admin console (``/admin``): call flows, queues, agents, calendar, directory; every change audited."""
