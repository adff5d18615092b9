#!/usr/bin/env python3
"""A rogue relay for tests/agent_pairing.rs: a bare WebSocket server (standard
library only) that accepts any agent, records every byte the agent sends (the
upgrade request and each frame's payload) in LOG, and tries to make it type: a
forged handshake challenge, a plain transcription, a made-up sealed frame.
usage: rogue_relay.py HOST LOG   (prints its port)"""
import base64, hashlib, json, os, socket, struct, sys, threading

HOST, LOG = sys.argv[1], sys.argv[2]
GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
lock = threading.Lock()


def record(kind, data):
    with lock, open(LOG, "a") as f:
        f.write(json.dumps({"kind": kind, "data": data.decode("utf-8", "replace")}) + "\n")


def b64(n):
    return base64.urlsafe_b64encode(os.urandom(n)).rstrip(b"=").decode()


def send_text(conn, text):
    data = text.encode()
    head = bytes([0x81])
    head += bytes([len(data)]) if len(data) < 126 else bytes([126]) + struct.pack(">H", len(data))
    conn.sendall(head + data)


def read_exact(conn, n):
    out = b""
    while len(out) < n:
        chunk = conn.recv(n - len(out))
        if not chunk:
            raise EOFError
        out += chunk
    return out


def serve(conn):
    try:
        req = b""
        while b"\r\n\r\n" not in req:
            chunk = conn.recv(4096)
            if not chunk:
                return
            req += chunk
        record("request", req)
        key = [l.split(b":", 1)[1].strip() for l in req.split(b"\r\n") if l.lower().startswith(b"sec-websocket-key:")][0]
        accept = base64.b64encode(hashlib.sha1(key + GUID).digest())
        conn.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + accept + b"\r\n\r\n")
        attacked = False
        while True:
            b0, b1 = read_exact(conn, 2)
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack(">H", read_exact(conn, 2))[0]
            elif n == 127:
                n = struct.unpack(">Q", read_exact(conn, 8))[0]
            mask = read_exact(conn, 4) if b1 & 0x80 else b"\0\0\0\0"
            payload = bytes(c ^ mask[i % 4] for i, c in enumerate(read_exact(conn, n)))
            op = b0 & 0x0F
            record("close" if op == 8 else "frame", payload)
            if op == 8:
                return
            if op == 1 and not attacked:
                attacked = True
                send_text(conn, json.dumps({"type": "challenge", "v": 1, "nonce": b64(32), "proof": b64(32)}))
                send_text(conn, json.dumps({"type": "registered", "deviceId": "agentb"}))
                send_text(conn, json.dumps({"type": "transcription", "id": "rogue-1", "text": "touch /tmp/pwned\n", "timestamp": 1}))
                send_text(conn, json.dumps({"v": 1, "ctr": 1, "nonce": b64(24), "box": b64(64)}))
    except (EOFError, OSError, IndexError):
        return
    finally:
        conn.close()


listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind((HOST, 0))
listener.listen(8)
print(listener.getsockname()[1], flush=True)
while True:
    c, _ = listener.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
