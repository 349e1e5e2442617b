//! Keys and primitives: every secret comes from the OS CSPRNG, every comparison
//! of secrets is constant-time, every stored secret is hashed or sealed.
//!
//! One 32-byte master key (`GATEHOUSE_SECRET_KEY`, never in the database) is
//! split by HMAC-based derivation into an AEAD key (TOTP secrets, short-lived
//! session payloads) and a MAC key (recovery-code hashes).

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use rand::{rngs::OsRng, RngCore};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

pub const MASTER_KEY_LEN: usize = 32;
const NONCE_LEN: usize = 24;

/// Server keys derived from the master key. Deliberately not `Debug`.
#[derive(Clone)]
pub struct Keys {
    seal: [u8; 32],
    mac: [u8; 32],
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error(
        "must be 64 hexadecimal characters (32 bytes); generate one with `openssl rand -hex 32`"
    )]
    BadFormat,
}

impl Keys {
    pub fn from_master(master: &[u8; MASTER_KEY_LEN]) -> Self {
        Self {
            seal: derive(master, b"gatehouse/seal/v1"),
            mac: derive(master, b"gatehouse/mac/v1"),
        }
    }

    /// Parses the hex form used in `GATEHOUSE_SECRET_KEY` and in the key file.
    pub fn from_hex(text: &str) -> Result<Self, KeyError> {
        let bytes = hex::decode(text.trim()).map_err(|_| KeyError::BadFormat)?;
        let master: [u8; MASTER_KEY_LEN] = bytes.try_into().map_err(|_| KeyError::BadFormat)?;
        Ok(Self::from_master(&master))
    }

    pub fn generate_master_hex() -> String {
        hex::encode(random_bytes::<MASTER_KEY_LEN>())
    }

    /// Encrypts `plaintext`; `context` binds the ciphertext to its use (e.g. the
    /// factor id), so a sealed value copied to another row does not open.
    pub fn seal(&self, plaintext: &[u8], context: &[u8]) -> Vec<u8> {
        let cipher = XChaCha20Poly1305::new((&self.seal).into());
        let nonce = random_bytes::<NONCE_LEN>();
        let mut out = nonce.to_vec();
        let sealed = cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad: context,
                },
            )
            .expect("XChaCha20-Poly1305 encryption cannot fail for in-memory buffers");
        out.extend_from_slice(&sealed);
        out
    }

    pub fn open(&self, sealed: &[u8], context: &[u8]) -> Option<Vec<u8>> {
        if sealed.len() < NONCE_LEN {
            return None;
        }
        let (nonce, body) = sealed.split_at(NONCE_LEN);
        XChaCha20Poly1305::new((&self.seal).into())
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: body,
                    aad: context,
                },
            )
            .ok()
    }

    /// Keyed hash for low-entropy-but-random secrets such as recovery codes.
    pub fn mac(&self, data: &[u8]) -> Vec<u8> {
        let mut mac =
            <HmacSha256 as Mac>::new_from_slice(&self.mac).expect("HMAC takes any key length");
        mac.update(data);
        mac.finalize().into_bytes().to_vec()
    }
}

fn derive(master: &[u8], label: &[u8]) -> [u8; 32] {
    let mut mac = <HmacSha256 as Mac>::new_from_slice(master).expect("HMAC takes any key length");
    mac.update(label);
    mac.finalize().into_bytes().into()
}

pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    OsRng.fill_bytes(&mut buf);
    buf
}

/// A 256-bit bearer secret (mfa_token, API token), URL-safe text.
pub fn new_token() -> String {
    URL_SAFE_NO_PAD.encode(random_bytes::<32>())
}

/// Tokens are 256-bit random, so a plain SHA-256 is a safe lookup key: the
/// database never holds a usable token.
pub fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

pub fn hex_encode(data: &[u8]) -> String {
    hex::encode(data)
}

pub fn hex_decode(text: &str) -> Option<Vec<u8>> {
    hex::decode(text).ok()
}

pub fn base64_encode(data: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_with_their_context() {
        let keys = Keys::from_master(&[7u8; 32]);
        let sealed = keys.seal(b"secret", b"factor:1");
        assert_eq!(
            keys.open(&sealed, b"factor:1").as_deref(),
            Some(&b"secret"[..])
        );
        assert!(keys.open(&sealed, b"factor:2").is_none());
        let mut tampered = sealed.clone();
        *tampered.last_mut().unwrap() ^= 1;
        assert!(keys.open(&tampered, b"factor:1").is_none());
    }

    #[test]
    fn different_master_keys_give_different_macs() {
        let a = Keys::from_master(&[1u8; 32]);
        let b = Keys::from_master(&[2u8; 32]);
        assert_ne!(a.mac(b"code"), b.mac(b"code"));
        assert_eq!(a.mac(b"code"), a.mac(b"code"));
    }

    #[test]
    fn hex_keys_must_be_32_bytes() {
        assert!(Keys::from_hex(&Keys::generate_master_hex()).is_ok());
        assert!(Keys::from_hex("abcd").is_err());
        assert!(Keys::from_hex(&"zz".repeat(32)).is_err());
    }

    #[test]
    fn tokens_are_unique_and_long() {
        let a = new_token();
        assert_eq!(a.len(), 43);
        assert_ne!(a, new_token());
    }
}
