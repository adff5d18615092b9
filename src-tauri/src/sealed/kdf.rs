//! Key derivation (HKDF-SHA256 throughout): from the pairing code, the keys that
//! prove knowledge of it; from the phone's key, one key per direction.

use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::SealError;

pub const KEY_LEN: usize = 32;
/// Length of the code's public identifier.
pub const CODE_ID_LEN: usize = 16;
const CODE_SALT: &[u8] = b"saytype-pair-v1";

/// HKDF-SHA256 expand of `ikm` (with `salt`) into `N` bytes labelled `info`.
pub(super) fn hkdf<const N: usize>(salt: Option<&[u8]>, ikm: &[u8], info: &[&[u8]]) -> [u8; N] {
    let mut out = [0u8; N];
    // `expand_multi_info` fails only for outputs over 255 hash lengths; N is small.
    let ok = Hkdf::<Sha256>::new(salt, ikm)
        .expand_multi_info(info, &mut out)
        .is_ok();
    debug_assert!(ok);
    out
}

pub(super) fn hmac(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    // HMAC takes keys of any length: `new_from_slice` cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

/// Constant-time check of an HMAC tag.
pub(super) fn hmac_verify(key: &[u8], parts: &[&[u8]], tag: &[u8]) -> Result<(), SealError> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    for part in parts {
        mac.update(part);
    }
    mac.verify_slice(tag).map_err(|_| SealError::Forged)
}

/// What the one-time pairing code gives each side: a public id to find the code by
/// (which tells nothing about the code), a key to prove knowledge of the code, and
/// the salt that ties the phone's key to it.
#[derive(Clone, PartialEq, Eq)]
pub struct CodeKeys {
    pub id: [u8; CODE_ID_LEN],
    pub mac: [u8; KEY_LEN],
    pub salt: [u8; KEY_LEN],
}

impl CodeKeys {
    pub fn derive(code: &str) -> CodeKeys {
        let ikm = code.as_bytes();
        CodeKeys {
            id: hkdf(Some(CODE_SALT), ikm, &[b"code-id"]),
            mac: hkdf(Some(CODE_SALT), ikm, &[b"mac"]),
            salt: hkdf(Some(CODE_SALT), ikm, &[b"salt"]),
        }
    }
}

impl std::fmt::Debug for CodeKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CodeKeys(..)")
    }
}

/// One key per direction, so that no answer can be passed off as a request.
#[derive(Clone, PartialEq, Eq)]
pub struct DirectionKeys {
    pub request: [u8; KEY_LEN],
    pub response: [u8; KEY_LEN],
}

impl DirectionKeys {
    pub fn derive(phone_key: &[u8; KEY_LEN]) -> DirectionKeys {
        DirectionKeys {
            request: hkdf(None, phone_key, &[b"saytype-sealed-v1 request"]),
            response: hkdf(None, phone_key, &[b"saytype-sealed-v1 response"]),
        }
    }
}

impl std::fmt::Debug for DirectionKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DirectionKeys(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_differ_by_label_and_by_code() {
        let a = CodeKeys::derive("code-a");
        let b = CodeKeys::derive("code-b");
        assert_ne!(a.mac, b.mac);
        assert_ne!(a.mac, a.salt);
        assert_ne!(&a.id[..], &a.mac[..CODE_ID_LEN]);
        let d = DirectionKeys::derive(&[7; KEY_LEN]);
        assert_ne!(d.request, d.response);
    }

    #[test]
    fn hmac_verifies_only_its_own_tag() {
        let tag = hmac(b"k", &[b"a", b"b"]);
        assert!(hmac_verify(b"k", &[b"ab"], &tag).is_ok());
        assert_eq!(hmac_verify(b"k", &[b"ac"], &tag), Err(SealError::Forged));
        assert_eq!(
            hmac_verify(b"k", &[b"ab"], &tag[..31]),
            Err(SealError::Forged)
        );
    }
}
