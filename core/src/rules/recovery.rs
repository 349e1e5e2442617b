//! Recovery codes: 10 per set, 12 Crockford base32 characters (60 bits) shown
//! as `XXXX-XXXX-XXXX`, stored only as keyed hashes (HMAC-SHA-256), each usable
//! once (enforced by storage with a conditional update).
//!
//! Input is forgiving the way Crockford base32 intends: case-insensitive,
//! dashes and spaces ignored, `O` read as `0`, `I`/`L` read as `1`.

use rand::{rngs::OsRng, Rng};

use crate::crypto::Keys;

pub const CODES_PER_SET: usize = 10;
pub const CODE_CHARS: usize = 12;
/// At or below this many unused codes the user is warned.
pub const LOW_WATERMARK: i64 = 3;

const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

pub fn generate_set() -> Vec<String> {
    (0..CODES_PER_SET).map(|_| generate_one()).collect()
}

fn generate_one() -> String {
    let raw: String = (0..CODE_CHARS)
        .map(|_| ALPHABET[OsRng.gen_range(0..ALPHABET.len())] as char)
        .collect();
    format!("{}-{}-{}", &raw[0..4], &raw[4..8], &raw[8..12])
}

/// The canonical 12-character form, or `None` if it cannot be a code.
pub fn normalize(input: &str) -> Option<String> {
    let mut out = String::with_capacity(CODE_CHARS);
    for c in input.chars() {
        let c = match c.to_ascii_uppercase() {
            '-' | ' ' => continue,
            'O' => '0',
            'I' | 'L' => '1',
            c => c,
        };
        if !ALPHABET.contains(&(c as u8)) || !c.is_ascii() {
            return None;
        }
        out.push(c);
    }
    (out.len() == CODE_CHARS).then_some(out)
}

/// Keyed hash of a code as stored; equal codes hash equally for a lookup.
pub fn hash(keys: &Keys, code: &str) -> Option<Vec<u8>> {
    normalize(code).map(|c| keys.mac(format!("recovery:{c}").as_bytes()))
}

/// The text file offered by "Download".
pub fn download_text(codes: &[String], account: &str) -> String {
    let mut text = format!(
        "Gatehouse recovery codes for {account}\n\nEach code works once. Keep them somewhere safe, away from your phone.\n\n"
    );
    for code in codes {
        text.push_str(code);
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_is_ten_distinct_well_formed_codes() {
        let set = generate_set();
        assert_eq!(set.len(), 10);
        let unique: std::collections::HashSet<_> = set.iter().collect();
        assert_eq!(unique.len(), 10);
        for code in &set {
            assert_eq!(code.len(), 14);
            assert_eq!(code.as_bytes()[4], b'-');
            assert_eq!(code.as_bytes()[9], b'-');
            assert!(normalize(code).is_some(), "{code}");
        }
    }

    #[test]
    fn codes_carry_sixty_bits() {
        assert_eq!(ALPHABET.len().trailing_zeros() as usize * CODE_CHARS, 60);
    }

    #[test]
    fn normalization_forgives_case_dashes_and_lookalikes() {
        assert_eq!(normalize("abcd-efgh-jkmn").as_deref(), Some("ABCDEFGHJKMN"));
        assert_eq!(normalize("ABCD EFGH JKMN").as_deref(), Some("ABCDEFGHJKMN"));
        assert_eq!(normalize("O0IL-0000-0000").as_deref(), Some("001100000000"));
        assert_eq!(normalize("ABCD-EFGH-JKM"), None);
        assert_eq!(normalize("ABCD-EFGH-JKMNP"), None);
        assert_eq!(normalize("ABCD-EFGH-JKMU"), None);
        assert_eq!(normalize("ÀBCD-EFGH-JKMN"), None);
    }

    #[test]
    fn hashes_match_for_equivalent_inputs_only() {
        let keys = Keys::from_master(&[3u8; 32]);
        let code = "7K2M-9QXA-P4TB";
        assert_eq!(hash(&keys, code), hash(&keys, "7k2m9qxap4tb"));
        assert_ne!(hash(&keys, code), hash(&keys, "7K2M-9QXA-P4TC"));
        assert_eq!(hash(&keys, "nope"), None);
        assert_ne!(hash(&keys, code).unwrap(), code.as_bytes());
    }

    #[test]
    fn download_lists_every_code() {
        let codes = generate_set();
        let text = download_text(&codes, "ada@example.com");
        assert!(text.contains("ada@example.com"));
        assert!(codes.iter().all(|c| text.contains(c.as_str())));
    }
}
