//! Sealing and opening: XChaCha20-Poly1305 with a random 24-byte nonce per message
//! (random nonces of that size never repeat in practice, so no nonce state has to
//! survive a reload of the phone page). The associated data binds each box to the
//! protocol version, the one sealed route, the phone and the request's counter, so a
//! box cannot be moved to another phone, another counter, or from an answer to a
//! request (the directions also have separate keys).

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};

use super::kdf::KEY_LEN;
use super::SealError;

pub const NONCE_LEN: usize = 24;

/// Associated data of a request: version, method and path of the sealed route, the
/// phone and the counter.
pub fn request_aad(phone_id: &str, counter: u64) -> Vec<u8> {
    format!("saytype-sealed-v1\nPOST /phone/v1/sealed\n{phone_id}\n{counter}").into_bytes()
}

/// Associated data of an answer: bound to the request it answers.
pub fn response_aad(phone_id: &str, counter: u64) -> Vec<u8> {
    format!("saytype-sealed-v1 response\n{phone_id}\n{counter}").into_bytes()
}

pub(super) fn seal_with(
    key: &[u8; KEY_LEN],
    nonce: &[u8; NONCE_LEN],
    aad: &[u8],
    plain: &[u8],
) -> Vec<u8> {
    let cipher = XChaCha20Poly1305::new(Key::from_slice(key));
    // Encryption fails only for plaintexts over 256 GiB.
    cipher
        .encrypt(XNonce::from_slice(nonce), Payload { msg: plain, aad })
        .unwrap_or_default()
}

pub(super) fn open_with(
    key: &[u8; KEY_LEN],
    nonce: &[u8; NONCE_LEN],
    aad: &[u8],
    sealed: &[u8],
) -> Result<Vec<u8>, SealError> {
    let cipher = XChaCha20Poly1305::new(Key::from_slice(key));
    cipher
        .decrypt(XNonce::from_slice(nonce), Payload { msg: sealed, aad })
        .map_err(|_| SealError::Forged)
}

pub fn seal_request(
    key: &[u8; KEY_LEN],
    phone_id: &str,
    counter: u64,
    nonce: &[u8; NONCE_LEN],
    plain: &[u8],
) -> Vec<u8> {
    seal_with(key, nonce, &request_aad(phone_id, counter), plain)
}

pub fn open_request(
    key: &[u8; KEY_LEN],
    phone_id: &str,
    counter: u64,
    nonce: &[u8; NONCE_LEN],
    sealed: &[u8],
) -> Result<Vec<u8>, SealError> {
    open_with(key, nonce, &request_aad(phone_id, counter), sealed)
}

pub fn seal_response(
    key: &[u8; KEY_LEN],
    phone_id: &str,
    counter: u64,
    nonce: &[u8; NONCE_LEN],
    plain: &[u8],
) -> Vec<u8> {
    seal_with(key, nonce, &response_aad(phone_id, counter), plain)
}

pub fn open_response(
    key: &[u8; KEY_LEN],
    phone_id: &str,
    counter: u64,
    nonce: &[u8; NONCE_LEN],
    sealed: &[u8],
) -> Result<Vec<u8>, SealError> {
    open_with(key, nonce, &response_aad(phone_id, counter), sealed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_box_opens_only_where_it_was_sealed() {
        let (k, n) = ([9; KEY_LEN], [4; NONCE_LEN]);
        let boxed = seal_request(&k, "p1", 5, &n, b"hello");
        assert_eq!(
            open_request(&k, "p1", 5, &n, &boxed).expect("opens"),
            b"hello"
        );
        assert!(!boxed.windows(5).any(|w| w == b"hello"));
        assert_eq!(
            open_request(&k, "p1", 6, &n, &boxed),
            Err(SealError::Forged)
        );
        assert_eq!(
            open_request(&k, "p2", 5, &n, &boxed),
            Err(SealError::Forged)
        );
        assert_eq!(
            open_response(&k, "p1", 5, &n, &boxed),
            Err(SealError::Forged)
        );
        assert_eq!(
            open_request(&[8; KEY_LEN], "p1", 5, &n, &boxed),
            Err(SealError::Forged)
        );
        let mut flipped = boxed.clone();
        flipped[0] ^= 1;
        assert_eq!(
            open_request(&k, "p1", 5, &n, &flipped),
            Err(SealError::Forged)
        );
        assert_eq!(
            open_request(&k, "p1", 5, &n, &boxed[..3]),
            Err(SealError::Forged)
        );
    }
}
