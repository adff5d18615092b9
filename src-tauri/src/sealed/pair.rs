//! The pairing exchange: the phone, holding the one-time code from the QR link, and
//! the relay, holding the same code, each make an ephemeral X25519 key pair; each
//! proves knowledge of the code with an HMAC over what it sent; the phone's key
//! comes from the Diffie-Hellman secret, salted with the code and bound to the whole
//! transcript. A passive listener sees two public keys and two HMACs: without the
//! private halves it cannot compute the key, even if it learnt the code later. An
//! active attacker without the code cannot make a proof the other side accepts.

use sha2::{Digest, Sha256};
use x25519_dalek::{PublicKey, StaticSecret};

use super::kdf::{hkdf, hmac, hmac_verify, CodeKeys, CODE_ID_LEN, KEY_LEN};
use super::SealError;

const LABEL: &[u8] = b"saytype-pair-v1";

/// What the phone sends first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhoneHello {
    pub code_id: [u8; CODE_ID_LEN],
    pub phone_pub: [u8; 32],
    /// HMAC(code's mac key, "saytype-pair-v1 phone" ‖ code id ‖ phone public key).
    pub proof: [u8; 32],
}

/// The relay's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PairAnswer {
    pub relay_pub: [u8; 32],
    /// HMAC(code's mac key, "saytype-pair-v1 relay" ‖ transcript hash).
    pub proof: [u8; 32],
    /// HMAC(phone key, "saytype-pair-v1 confirm" ‖ transcript hash): the relay
    /// derived the same key.
    pub confirm: [u8; 32],
}

pub fn phone_hello(code: &CodeKeys, phone_secret: &[u8; 32]) -> PhoneHello {
    let phone_pub = PublicKey::from(&StaticSecret::from(*phone_secret)).to_bytes();
    PhoneHello {
        code_id: code.id,
        phone_pub,
        proof: hmac(&code.mac, &[b"saytype-pair-v1 phone", &code.id, &phone_pub]),
    }
}

/// SHA-256 over everything both sides said, so the key depends on all of it.
fn transcript(
    code: &CodeKeys,
    phone_pub: &[u8; 32],
    relay_pub: &[u8; 32],
    phone_id: &str,
) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(LABEL);
    h.update(code.id);
    h.update(phone_pub);
    h.update(relay_pub);
    h.update(phone_id.as_bytes());
    h.finalize().into()
}

fn phone_key(code: &CodeKeys, shared: &[u8; 32], th: &[u8; 32]) -> [u8; KEY_LEN] {
    hkdf(Some(&code.salt), shared, &[b"saytype-phone-key-v1", th])
}

fn shared_secret(secret: &[u8; 32], public: &[u8; 32]) -> Result<[u8; 32], SealError> {
    let shared = StaticSecret::from(*secret).diffie_hellman(&PublicKey::from(*public));
    // A low-order public key gives an all-zero secret that anyone could compute.
    if !shared.was_contributory() {
        return Err(SealError::BadKey);
    }
    Ok(shared.to_bytes())
}

/// The relay's side: check the phone's proof, then answer, and the phone's key.
pub fn relay_answer(
    code: &CodeKeys,
    hello: &PhoneHello,
    relay_secret: &[u8; 32],
    phone_id: &str,
) -> Result<(PairAnswer, [u8; KEY_LEN]), SealError> {
    hmac_verify(
        &code.mac,
        &[b"saytype-pair-v1 phone", &hello.code_id, &hello.phone_pub],
        &hello.proof,
    )?;
    let relay_pub = PublicKey::from(&StaticSecret::from(*relay_secret)).to_bytes();
    let shared = shared_secret(relay_secret, &hello.phone_pub)?;
    let th = transcript(code, &hello.phone_pub, &relay_pub, phone_id);
    let key = phone_key(code, &shared, &th);
    let answer = PairAnswer {
        relay_pub,
        proof: hmac(&code.mac, &[b"saytype-pair-v1 relay", &th]),
        confirm: hmac(&key, &[b"saytype-pair-v1 confirm", &th]),
    };
    Ok((answer, key))
}

/// The phone's side: check the relay's proof and confirmation; the phone's key.
pub fn phone_finish(
    code: &CodeKeys,
    phone_secret: &[u8; 32],
    answer: &PairAnswer,
    phone_id: &str,
) -> Result<[u8; KEY_LEN], SealError> {
    let phone_pub = PublicKey::from(&StaticSecret::from(*phone_secret)).to_bytes();
    let th = transcript(code, &phone_pub, &answer.relay_pub, phone_id);
    hmac_verify(&code.mac, &[b"saytype-pair-v1 relay", &th], &answer.proof)?;
    let shared = shared_secret(phone_secret, &answer.relay_pub)?;
    let key = phone_key(code, &shared, &th);
    hmac_verify(&key, &[b"saytype-pair-v1 confirm", &th], &answer.confirm)?;
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_sides_agree_and_a_wrong_code_is_refused_either_way() {
        let code = CodeKeys::derive("one-time-code");
        let hello = phone_hello(&code, &[1; 32]);
        let (answer, relay_key) = relay_answer(&code, &hello, &[2; 32], "p1").expect("answer");
        let phone_key = phone_finish(&code, &[1; 32], &answer, "p1").expect("finish");
        assert_eq!(relay_key, phone_key);

        // A phone that guessed the code: the relay refuses it.
        let wrong = CodeKeys::derive("guessed");
        let forged = PhoneHello {
            code_id: code.id,
            ..phone_hello(&wrong, &[1; 32])
        };
        assert_eq!(
            relay_answer(&code, &forged, &[2; 32], "p1").err(),
            Some(SealError::Forged)
        );
        // A relay without the code: the phone refuses its answer.
        let (fake, _) =
            relay_answer(&wrong, &phone_hello(&wrong, &[1; 32]), &[3; 32], "p1").expect("answer");
        assert_eq!(
            phone_finish(&code, &[1; 32], &fake, "p1"),
            Err(SealError::Forged)
        );
        // Another phone id than the relay used: the transcript differs.
        assert_eq!(
            phone_finish(&code, &[1; 32], &answer, "p2"),
            Err(SealError::Forged)
        );
    }

    #[test]
    fn a_low_order_public_key_is_refused() {
        let code = CodeKeys::derive("c");
        let mut hello = phone_hello(&code, &[1; 32]);
        hello.phone_pub = [0; 32];
        hello.proof = hmac(
            &code.mac,
            &[b"saytype-pair-v1 phone", &hello.code_id, &hello.phone_pub],
        );
        assert_eq!(
            relay_answer(&code, &hello, &[2; 32], "p").err(),
            Some(SealError::BadKey)
        );
    }
}
