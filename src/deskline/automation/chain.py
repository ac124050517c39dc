"""The loop guard: changes made by automation carry their chain to the triggers they wake.

A chain starts with one outside change (an agent's edit, a new ticket, an SLA breach).
Every change automation makes on the way belongs to the same chain, one level deeper;
a trigger fires at most once per chain (also enforced by a unique row, TriggerRun) and
a chain stops at MAX_DEPTH.

Ticket hooks run after commit, either at once (no transaction open) or later (inside a
caller's transaction, or in tests that capture on-commit callbacks). So before each
service call automation leaves a token for the ticket; the hook that call emits claims
it, whenever it runs. A call that emitted nothing takes its token back.
"""

import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

MAX_DEPTH = 5
T = TypeVar("T")


@dataclass
class Chain:
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    depth: int = 0
    # Triggers fired in this chain (shared by all its levels).
    fired: set[int] = field(default_factory=set)

    def child(self) -> "Chain":
        return Chain(self.id, self.depth + 1, self.fired)


_local = threading.local()


def _tokens() -> dict[int, list[Chain]]:
    if not hasattr(_local, "tokens"):
        _local.tokens = {}
    return _local.tokens


def claim(ticket_id: int) -> Chain | None:
    """The chain a change of this ticket belongs to, if automation made it."""
    waiting = _tokens().get(ticket_id)
    if not waiting:
        return None
    chain = waiting.pop(0)
    if not waiting:
        del _tokens()[ticket_id]
    return chain


def _withdraw(ticket_id: int, token: Chain) -> None:
    waiting = _tokens().get(ticket_id, [])
    for i, item in enumerate(waiting):
        if item is token:
            del waiting[i]
            break
    if not waiting:
        _tokens().pop(ticket_id, None)


def call_in_chain(
    chain: Chain, ticket_id: int, service: Callable[[], T], emitted: Callable[[T], bool]
) -> T:
    """Run a ticket service whose change (if any) continues `chain`."""
    token = chain.child()
    _tokens().setdefault(ticket_id, []).append(token)
    try:
        result = service()
    except BaseException:
        _withdraw(ticket_id, token)
        raise
    if not emitted(result):
        _withdraw(ticket_id, token)
    return result
