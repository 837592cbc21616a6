"""A PostgreSQL server envsync did not start, as a laptop's own server or another tool's is.

``server.start`` makes envsync's own embedded servers, which envsync recognises by their socket
directory; a foreign server must not be recognisable that way, so this one keeps its sockets
in a directory of another name.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from envsync.live import initdb, pg_ctl
from envsync.live.binaries import server_bin_dir
from envsync.live.run_as import fix_ownership, server_identity
from envsync.live.server import ServerSpec


@contextlib.contextmanager
def native_server(spec: ServerSpec) -> Iterator[None]:
    """Run ``spec`` on 127.0.0.1:``spec.port`` until the block ends."""
    data_dir = spec.data_dir.resolve()
    run_as = server_identity(data_dir)
    bin_dir = server_bin_dir(run_as)
    initdb.make_data_dir(data_dir, run_as)
    initdb.initialise(spec, data_dir, bin_dir, run_as)
    fix_ownership(data_dir, run_as)
    sockets = Path(tempfile.mkdtemp(prefix="native-pg-"))
    if run_as.uid is not None:
        os.chown(sockets, run_as.uid, run_as.gid if run_as.gid is not None else -1)
    try:
        started = pg_ctl.start(data_dir, spec.port, "127.0.0.1", sockets, bin_dir, run_as)
        assert started.returncode == 0, pg_ctl.log_tail(data_dir)
        yield
    finally:
        pg_ctl.stop(data_dir, bin_dir, run_as)
        shutil.rmtree(sockets, ignore_errors=True)
