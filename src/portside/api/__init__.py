"""The Docker Engine API server (``portside system service``): the third front end.

HTTP on a unix (or loopback TCP) socket becomes the same engine calls and typed records
the CLI and the library use; engine results are rendered as Docker's JSON.

    server.py      the HTTP layer: a thread per connection, bodies, streams, hijack
    routes.py      METHOD + path template -> handler, with and without /vX.Y
    system.py      /_ping, /version, /info
    system_df.py   /system/df, /plugins/{name}/json
    containers.py  /containers/... (create, list, inspect, lifecycle, wait, logs)
    create.py      a create request's JSON -> CreateOptions
    attach.py      the hijacked /containers/{id}/attach, held until /start
    execs.py       /containers/{id}/exec, /exec/{id}/start and /json
    build.py       /build
    images.py      /images/...
    volumes.py     /volumes/...
    networks.py    /networks/...
"""
