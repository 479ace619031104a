#!/usr/bin/env bash
# Make sure strace is installed (/usr/bin/strace), for tests/integration/test_offline_trace.py,
# which traces ingest, ask, eval and the page for network attempts.
exec bash "$(dirname "$0")/apt-ensure.sh" strace /usr/bin/strace
