"""A connection that drops the first answer: the centre takes the POST and answers, the page never hears
it (``connectionreset``); later POSTs get their answers. Records what the page sent and what the centre
answered, for the retry tests of the desk's order form and the citizen page."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from playwright.async_api import Route


@dataclass
class FirstAnswerLost:
    """A route handler (``page.route(pattern, lost)``) with the bodies sent and the statuses answered."""

    sent: list[dict[str, Any]] = field(default_factory=list)
    answered: list[int] = field(default_factory=list)

    async def __call__(self, route: Route) -> None:
        if route.request.method != "POST":
            await route.continue_()
            return
        body = route.request.post_data_json
        assert isinstance(body, dict)
        self.sent.append(body)
        response = await route.fetch()  # the centre takes the request and answers ...
        self.answered.append(response.status)
        if len(self.sent) == 1:
            await route.abort("connectionreset")  # ... but the page never hears it
        else:
            await route.fulfill(response=response)
