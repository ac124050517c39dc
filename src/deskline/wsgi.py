import gc
import os
import threading

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

from deskline.core.sqlite.checkpoint import start_checkpointer

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "deskline.settings")
application = get_wsgi_application()

# Import the URLconf (and so every view, schema and router) now rather than on the first
# request, then move everything loaded so far out of the garbage collector's reach: the
# full collections that otherwise walk Django's own objects took 30-140 ms each, now and
# then inside a request holding SQLite's write lock (docs/benchmarks.md).
get_resolver().url_patterns  # noqa: B018 - the attribute access is the import
gc.freeze()

# On SQLite each web process also checkpoints the WAL every second in a thread of its
# own (sqlite3 releases the GIL while it copies), so that no request holding the write
# lock has to, whether or not a worker runs beside it (core/sqlite/checkpoint.py).
start_checkpointer(threading.Event())
