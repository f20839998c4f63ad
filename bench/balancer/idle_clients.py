#!/usr/bin/env python3
"""Opens COUNT keep-alive client connections to HOST:PORT, sends one GET on each, reads its whole response and then
keeps every connection open and idle until stdin closes (used by bench/balancer/memory.sh).

    idle_clients.py HOST PORT COUNT

Prints "ready COUNT" on stdout once every connection has had its response, or exits with status 1 and the reason on
stderr when a connection fails, a response is not 200 or the whole run takes longer than DEADLINE seconds.
Connections are opened in batches of BATCH so the proxy's listen backlog never overflows.
"""
import selectors
import socket
import sys
import time

BATCH = 500
DEADLINE = 300.0


def fail(message):
    print(message, file=sys.stderr, flush=True)
    sys.exit(1)


def response_complete(data):
    """True once data holds a whole response with a Content-Length body (nginx's fixed responses have one)."""
    end = data.find(b"\r\n\r\n")
    if end < 0:
        return False
    length = 0
    for line in data[:end].split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    return len(data) >= end + 4 + length


def open_batch(host, port, count, deadline, request):
    selector = selectors.DefaultSelector()
    pending = {}
    for _ in range(count):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        s.connect_ex((host, port))
        pending[s] = b""
        selector.register(s, selectors.EVENT_WRITE)
    done = []
    while pending:
        if time.monotonic() > deadline:
            fail(f"timed out with {len(pending)} connections of a batch not answered")
        for key, events in selector.select(timeout=1.0):
            s = key.fileobj
            if events & selectors.EVENT_WRITE:
                error = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if error:
                    fail(f"connect failed: {error}")
                s.sendall(request)
                selector.modify(s, selectors.EVENT_READ)
                continue
            chunk = s.recv(65536)
            if not chunk:
                fail("the proxy closed a connection before answering")
            pending[s] += chunk
            if response_complete(pending[s]):
                if not pending[s].startswith(b"HTTP/1.1 200"):
                    fail("unexpected response: " + pending[s][:80].decode("latin-1"))
                selector.unregister(s)
                del pending[s]
                done.append(s)
    selector.close()
    return done


def main():
    host, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    request = f"GET / HTTP/1.1\r\nHost: {host}:{port}\r\nUser-Agent: idle_clients\r\n\r\n".encode()
    deadline = time.monotonic() + DEADLINE
    sockets = []
    while len(sockets) < count:
        sockets += open_batch(host, port, min(BATCH, count - len(sockets)), deadline, request)
    print(f"ready {len(sockets)}", flush=True)
    sys.stdin.read()  # Hold the connections until the caller closes our stdin.
    for s in sockets:
        s.close()


if __name__ == "__main__":
    main()
