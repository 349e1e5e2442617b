//! Time-based one-time passwords (RFC 6238) and the otpauth URI.
//!
//! Rules:
//! - The server clock only; a code is checked against the previous, current and
//!   next 30-second step (`skew` = 1) and nothing wider.
//! - `verify` reports *which* step matched so storage can accept each step once
//!   per factor (replay block, RFC 6238 §5.2) with an atomic
//!   `last_step < step` update.
//! - Candidates are compared in constant time and all are computed, whatever
//!   matches first.

use subtle::ConstantTimeEq;
use totp_rs::{Algorithm, TOTP};

use crate::crypto::random_bytes;

pub const SECRET_LEN: usize = 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TotpParams {
    pub algorithm: Algorithm,
    pub digits: usize,
    pub step_seconds: u64,
    pub skew: u64,
}

impl Default for TotpParams {
    /// SHA-1, 6 digits, 30 s, ±1 step: what every authenticator app supports.
    fn default() -> Self {
        Self {
            algorithm: Algorithm::SHA1,
            digits: 6,
            step_seconds: 30,
            skew: 1,
        }
    }
}

impl TotpParams {
    fn engine(&self, secret: &[u8]) -> TOTP {
        // `new_unchecked`: RFC test seeds are shorter than totp-rs's 128-bit floor;
        // our own secrets are always SECRET_LEN bytes.
        TOTP::new_unchecked(
            self.algorithm,
            self.digits,
            0,
            self.step_seconds,
            secret.to_vec(),
        )
    }

    pub fn generate(&self, secret: &[u8], unix_time: u64) -> String {
        self.engine(secret).generate(unix_time)
    }

    pub fn step_of(&self, unix_time: u64) -> i64 {
        (unix_time / self.step_seconds) as i64
    }

    /// Returns the time step the code belongs to, if it is within the window.
    pub fn verify(&self, secret: &[u8], code: &str, unix_time: u64) -> Option<i64> {
        let code = normalize_code(code);
        if code.len() != self.digits || !code.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let engine = self.engine(secret);
        let current = self.step_of(unix_time);
        let mut matched = None;
        for offset in -(self.skew as i64)..=(self.skew as i64) {
            let step = current + offset;
            if step < 0 {
                continue;
            }
            let candidate = engine.generate(step as u64 * self.step_seconds);
            if bool::from(candidate.as_bytes().ct_eq(code.as_bytes())) && matched.is_none() {
                matched = Some(step);
            }
        }
        matched
    }

    /// The otpauth URI of the Google Authenticator Key Uri Format.
    pub fn otpauth_uri(&self, issuer: &str, account: &str, secret: &[u8]) -> String {
        let issuer = label_part(issuer);
        let account = label_part(account);
        let algorithm = match self.algorithm {
            Algorithm::SHA1 => "SHA1",
            Algorithm::SHA256 => "SHA256",
            Algorithm::SHA512 => "SHA512",
        };
        format!(
            "otpauth://totp/{issuer}:{account}?secret={}&issuer={issuer}&algorithm={algorithm}&digits={}&period={}",
            secret_base32(secret),
            self.digits,
            self.step_seconds
        )
    }
}

/// People type codes with spaces ("123 456") or paste them with dashes.
pub fn normalize_code(code: &str) -> String {
    code.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect()
}

pub fn new_secret() -> [u8; SECRET_LEN] {
    random_bytes::<SECRET_LEN>()
}

/// Base32 (RFC 4648) without padding, as authenticator apps expect.
pub fn secret_base32(secret: &[u8]) -> String {
    TOTP::new_unchecked(Algorithm::SHA1, 6, 0, 30, secret.to_vec()).get_secret_base32()
}

/// Groups of four for people who type the secret by hand.
pub fn secret_for_display(secret: &[u8]) -> String {
    let b32 = secret_base32(secret);
    b32.as_bytes()
        .chunks(4)
        .map(|c| std::str::from_utf8(c).expect("base32 is ASCII"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A `:` would split the label; everything else is percent-encoded (`%20` for spaces).
fn label_part(text: &str) -> String {
    let cleaned: String = text.chars().filter(|c| *c != ':').collect();
    url::form_urlencoded::byte_serialize(cleaned.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

/// The QR code of an otpauth URI as an SVG document (rendered on the server,
/// so the `qrcode` crate never reaches the browser bundle).
pub fn qr_svg(uri: &str) -> String {
    let code = qrcode::QrCode::with_error_correction_level(uri.as_bytes(), qrcode::EcLevel::M)
        .expect("an otpauth URI fits in a QR code");
    code.render::<qrcode::render::svg::Color>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED20: &[u8] = b"12345678901234567890";
    const SEED32: &[u8] = b"12345678901234567890123456789012";
    const SEED64: &[u8] = b"1234567890123456789012345678901234567890123456789012345678901234";

    fn params(algorithm: Algorithm, digits: usize, step: u64) -> TotpParams {
        TotpParams {
            algorithm,
            digits,
            step_seconds: step,
            skew: 1,
        }
    }

    #[test]
    fn rfc6238_appendix_b_vectors() {
        let table: [(u64, &str, &str, &str); 6] = [
            (59, "94287082", "46119246", "90693936"),
            (1111111109, "07081804", "68084774", "25091201"),
            (1111111111, "14050471", "67062674", "99943326"),
            (1234567890, "89005924", "91819424", "93441116"),
            (2000000000, "69279037", "90698825", "38618901"),
            (20000000000, "65353130", "77737706", "47863826"),
        ];
        for (time, sha1, sha256, sha512) in table {
            assert_eq!(
                params(Algorithm::SHA1, 8, 30).generate(SEED20, time),
                sha1,
                "SHA1 at {time}"
            );
            assert_eq!(
                params(Algorithm::SHA256, 8, 30).generate(SEED32, time),
                sha256,
                "SHA256 at {time}"
            );
            assert_eq!(
                params(Algorithm::SHA512, 8, 30).generate(SEED64, time),
                sha512,
                "SHA512 at {time}"
            );
        }
    }

    #[test]
    fn rfc4226_appendix_d_vectors() {
        let expected = [
            "755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583",
            "399871", "520489",
        ];
        let hotp = params(Algorithm::SHA1, 6, 1);
        for (count, code) in expected.iter().enumerate() {
            assert_eq!(hotp.generate(SEED20, count as u64), *code, "count {count}");
        }
    }

    #[test]
    fn verify_accepts_one_step_either_side_and_names_it() {
        let p = TotpParams::default();
        let now = 1_700_000_000u64;
        let step = p.step_of(now);
        for offset in [-1i64, 0, 1] {
            let t = (now as i64 + offset * 30) as u64;
            assert_eq!(
                p.verify(SEED20, &p.generate(SEED20, t), now),
                Some(step + offset)
            );
        }
        assert_eq!(p.verify(SEED20, &p.generate(SEED20, now - 60), now), None);
        assert_eq!(p.verify(SEED20, &p.generate(SEED20, now + 60), now), None);
    }

    #[test]
    fn verify_rejects_malformed_codes_and_tolerates_spacing() {
        let p = TotpParams::default();
        let now = 1_700_000_000u64;
        let code = p.generate(SEED20, now);
        let spaced = format!("{} {}", &code[..3], &code[3..]);
        assert!(p.verify(SEED20, &spaced, now).is_some());
        assert_eq!(p.verify(SEED20, "12345", now), None);
        assert_eq!(p.verify(SEED20, "abcdef", now), None);
        assert_eq!(p.verify(SEED20, "", now), None);
    }

    #[test]
    fn otpauth_uri_follows_the_key_uri_format() {
        let uri = TotpParams::default().otpauth_uri("Gatehouse", "ada@example.com", SEED20);
        assert_eq!(
            uri,
            "otpauth://totp/Gatehouse:ada%40example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Gatehouse&algorithm=SHA1&digits=6&period=30"
        );
        let spaced = TotpParams::default().otpauth_uri("Acme Corp", "a:b c", SEED20);
        assert!(
            spaced.starts_with("otpauth://totp/Acme%20Corp:ab%20c?"),
            "{spaced}"
        );
        assert!(spaced.contains("&issuer=Acme%20Corp&"));
    }

    #[test]
    fn secrets_are_20_random_bytes_shown_in_groups() {
        assert_ne!(new_secret(), new_secret());
        assert_eq!(secret_base32(&new_secret()).len(), 32);
        assert_eq!(
            secret_for_display(SEED20),
            "GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ"
        );
    }

    #[test]
    fn qr_is_an_svg() {
        let svg = qr_svg("otpauth://totp/A:b?secret=AAAA");
        assert!(svg.contains("<svg"));
    }
}
