// Just enough of a pcap reader to replay what a listener on the Wi-Fi captured:
// Ethernet / IPv4 / TCP packets to `port`, each connection's bytes in sequence order
// (retransmissions counted once), split into HTTP/1.1 requests. Pure.

/** The TCP payloads of a classic pcap file (Ethernet link type), with their flow. */
export function tcpPackets(buf) {
  const magic = buf.readUInt32LE(0);
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  if (!le && buf.readUInt32BE(0) !== 0xa1b2c3d4 && buf.readUInt32BE(0) !== 0xa1b23c4d) throw new Error('not a pcap file');
  const u32 = (at) => (le ? buf.readUInt32LE(at) : buf.readUInt32BE(at));
  if (u32(20) !== 1) throw new Error(`link type ${u32(20)}, not Ethernet`);
  const packets = [];
  for (let at = 24; at + 16 <= buf.length;) {
    const len = u32(at + 8);
    const frame = buf.subarray(at + 16, at + 16 + len);
    at += 16 + len;
    if (frame.length < 34 || frame.readUInt16BE(12) !== 0x0800) continue; // IPv4 only
    const ip = frame.subarray(14);
    if (ip[9] !== 6) continue; // TCP
    const ihl = (ip[0] & 0x0f) * 4;
    const total = ip.readUInt16BE(2);
    const tcp = ip.subarray(ihl, total);
    const dataAt = (tcp[12] >> 4) * 4;
    const payload = tcp.subarray(dataAt);
    const src = `${ip.subarray(12, 16).join('.')}:${tcp.readUInt16BE(0)}`;
    const dst = `${ip.subarray(16, 20).join('.')}:${tcp.readUInt16BE(2)}`;
    packets.push({ src, dst, seq: tcp.readUInt32BE(4), payload });
  }
  return packets;
}

/** Every byte that crossed, both directions, as one buffer (to search for secrets). */
export function allPayload(buf) {
  return Buffer.concat(tcpPackets(buf).map((p) => p.payload));
}

/** The HTTP requests sent to `port`: [{method, path, headers, body}]. */
export function httpRequests(buf, port) {
  const flows = new Map();
  for (const p of tcpPackets(buf)) {
    if (!p.dst.endsWith(`:${port}`) || p.payload.length === 0) continue;
    const flow = flows.get(p.src) || new Map();
    flow.set(p.seq, p.payload); // a retransmission has the same seq
    flows.set(p.src, flow);
  }
  const requests = [];
  for (const flow of flows.values()) {
    // Sequence numbers of one connection: sorted relative to the first (no wrap on a short test).
    const stream = Buffer.concat([...flow.entries()].sort((x, y) => x[0] - y[0]).map(([, b]) => b));
    let at = 0;
    while (at < stream.length) {
      const end = stream.indexOf('\r\n\r\n', at);
      if (end < 0) break;
      const head = stream.subarray(at, end).toString('latin1').split('\r\n');
      const [method, path] = head[0].split(' ');
      const headers = Object.fromEntries(head.slice(1).map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
      const length = Number(headers['content-length'] || 0);
      const body = stream.subarray(end + 4, end + 4 + length);
      requests.push({ method, path, headers, body });
      at = end + 4 + length;
    }
  }
  return requests;
}
