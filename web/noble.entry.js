// The only crypto the phone page uses, from the audited @noble packages (exact
// versions in package-lock.json), bundled into ui/lib/vendor/noble.js by
// scripts/build-ui.sh. Our scheme on top of it is ui/lib/sealed.js.
export { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
export { equalBytes } from '@noble/ciphers/utils.js';
export { x25519 } from '@noble/curves/ed25519.js';
export { hkdf } from '@noble/hashes/hkdf.js';
export { hmac } from '@noble/hashes/hmac.js';
export { sha256 } from '@noble/hashes/sha2.js';
export { randomBytes } from '@noble/hashes/utils.js';
