// The pairing card in words. Pure (no DOM): unit-tested.

/** The relay's QR code (an SVG document) as an image URL, or null when it is not one. */
export function qrImage(svg) {
  if (typeof svg !== 'string' || !/<svg[\s>]/.test(svg)) return null;
  return `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
}

/** The hint under the link: no network address, or the other addresses to try; '' for none. */
export function addressNote({ host, lanAddresses, otherAddresses, unreachable }) {
  if (unreachable) return '';
  if (host === '127.0.0.1' || host === '::1') {
    return 'This computer has no network address right now: phones cannot reach it.';
  }
  if (otherAddresses && otherAddresses.length) {
    const list = otherAddresses.map((a) => `${a.ip} (${a.reason})`).join('; ');
    return `If the phone cannot open it, replace ${host} in the link with another address of this computer: ${list}.`;
  }
  const others = (lanAddresses || []).filter((a) => a !== host);
  if (others.length) {
    return `If the phone cannot open it, replace ${host} with another address of this computer: ${others.join(', ')}.`;
  }
  return '';
}
