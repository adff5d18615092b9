# Lets root's clients in: `xhost +si:localuser:root` over the raw X11 protocol.
import os, socket, struct, sys
n = os.environ["DISPLAY"].lstrip(":").split(".")[0]
s = socket.socket(socket.AF_UNIX)
s.connect("/tmp/.X11-unix/X" + n)
s.sendall(struct.pack("<BxHHHHxx", 0x6C, 11, 0, 0, 0))
head = s.recv(8, socket.MSG_WAITALL)
rest = struct.unpack("<H", head[6:8])[0] * 4
s.recv(rest, socket.MSG_WAITALL)
if head[0] != 1:
    sys.exit("X setup refused")
addr = b"localuser\0root"
pad = (4 - len(addr) % 4) % 4
s.sendall(struct.pack("<BBHBxH", 109, 0, 2 + (len(addr) + pad) // 4, 5, len(addr)) + addr + b"\0" * pad)
s.sendall(struct.pack("<BxH", 43, 1))
reply = s.recv(32, socket.MSG_WAITALL)
sys.exit(0 if reply[0] == 1 else "ChangeHosts failed")
