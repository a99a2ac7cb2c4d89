"""The test run's own network: as root, loopback is the only interface
(conftest.py), so mail meant for other hosts can never leave the machine."""

import os
import socket

import pytest


@pytest.mark.skipif(os.geteuid() != 0, reason="the network namespace needs root")
def test_only_loopback_is_reachable():
    assert [name for _, name in socket.if_nameindex()] == ["lo"]
    with socket.create_server(("127.0.0.1", 0)) as server:
        with socket.create_connection(server.getsockname(), timeout=5):
            pass
