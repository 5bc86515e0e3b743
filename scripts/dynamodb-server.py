"""A local DynamoDB-compatible server for the suite: moto's server application, one request at
a time.

DynamoDB decides a conditional write atomically: the condition and the write see the same item.
moto's own `moto_server` serves requests on threads and evaluates a condition and applies the
write without a lock, so a concurrent write can land between the two, which DynamoDB never
allows (the race suite sees it). Serving one request at a time restores DynamoDB's atomicity;
races between requests, the ones the suite is about, are untouched.

    python3 scripts/dynamodb-server.py [PORT]     # 4566 by default
"""

import os
import sys

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import run_simple

port = int(sys.argv[1]) if len(sys.argv) > 1 else 4566
os.environ.setdefault("MOTO_PORT", str(port))
run_simple(
    "127.0.0.1",
    port,
    DomainDispatcherApplication(create_backend_app),
    threaded=False,
    request_handler=MotoRequestHandler,
)
