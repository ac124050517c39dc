"""One answer to "who is asking" everywhere: every rate limit, throttle and audit entry
takes the client's address from core.clients.client_address, which knows the trusted
proxies; a module reading REMOTE_ADDR itself would count a proxy's clients as one and
could be fooled by a forged X-Forwarded-For."""

from pathlib import Path

import deskline

SOURCE = Path(deskline.__file__).parent
HELPER = SOURCE / "core" / "clients.py"


def test_only_the_client_address_helper_reads_remote_addr():
    readers = [
        str(path.relative_to(SOURCE))
        for path in SOURCE.rglob("*.py")
        if "tests" not in path.parts and path != HELPER and "REMOTE_ADDR" in path.read_text()
    ]
    assert readers == []
