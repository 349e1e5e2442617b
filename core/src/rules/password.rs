//! Password policy and hashing (OWASP Password Storage, NIST 800-63B-4 §3.1.1).
//!
//! - 8 to 128 characters, counted as Unicode scalar values, no composition
//!   rules, verified exactly as typed (no trimming, no case folding).
//! - Refused: the 10,000 most common passwords (Mark Burnett's list, shipped in
//!   `core/data/common-passwords.txt`) and anything built on the product's name.
//! - Argon2id m=19456 KiB, t=2, p=1 with a random salt. Hashing is CPU-heavy:
//!   callers run these functions on a blocking thread, never on the executor.

use std::collections::HashSet;
use std::sync::LazyLock;

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::{Algorithm, Argon2, Params, Version};

pub const MIN_CHARS: usize = 8;
pub const MAX_CHARS: usize = 128;

static COMMON: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("../../data/common-passwords.txt")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect()
});

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("Use at least {MIN_CHARS} characters.")]
    TooShort,
    #[error("Use at most {MAX_CHARS} characters.")]
    TooLong,
    #[error("This password is one of the most common passwords; choose another.")]
    Common,
    #[error("Do not use the name of this service in your password.")]
    ProductName,
}

pub fn check_policy(password: &str) -> Result<(), PolicyError> {
    let chars = password.chars().count();
    if chars < MIN_CHARS {
        return Err(PolicyError::TooShort);
    }
    if chars > MAX_CHARS {
        return Err(PolicyError::TooLong);
    }
    let lower = password.to_lowercase();
    if COMMON.contains(lower.as_str()) {
        return Err(PolicyError::Common);
    }
    if lower.contains("gatehouse") {
        return Err(PolicyError::ProductName);
    }
    Ok(())
}

fn argon2() -> Argon2<'static> {
    let params = Params::new(19_456, 2, 1, None).expect("OWASP argon2id parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Blocking: call from `spawn_blocking`.
pub fn hash(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 hashing of a bounded password cannot fail")
        .to_string()
}

/// Blocking: call from `spawn_blocking`. A malformed stored hash never verifies.
pub fn verify(password: &str, stored: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(parsed) => argon2()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_limits_count_characters_not_bytes() {
        assert_eq!(check_policy("short"), Err(PolicyError::TooShort));
        assert_eq!(check_policy("ééééééé"), Err(PolicyError::TooShort));
        assert!(check_policy("éééééééé-x").is_ok());
        assert!(check_policy(&"kq".repeat(64)).is_ok());
        assert_eq!(
            check_policy(&"kq".repeat(64).replace("kqkq", "kqkqz")),
            Err(PolicyError::TooLong)
        );
    }

    #[test]
    fn common_and_product_passwords_are_refused() {
        assert_eq!(check_policy("password"), Err(PolicyError::Common));
        assert_eq!(check_policy("12345678"), Err(PolicyError::Common));
        assert_eq!(check_policy("PassWord1"), Err(PolicyError::Common));
        assert_eq!(
            check_policy("my-GateHouse-pw"),
            Err(PolicyError::ProductName)
        );
        assert!(check_policy("correct horse battery staple").is_ok());
        assert!(COMMON.len() >= 3000);
    }

    #[test]
    fn hashes_are_argon2id_salted_and_exact() {
        let a = hash("Tr0ub4dor&3 ");
        assert!(a.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert_ne!(a, hash("Tr0ub4dor&3 "));
        assert!(verify("Tr0ub4dor&3 ", &a));
        assert!(!verify("Tr0ub4dor&3", &a), "no trimming");
        assert!(!verify("tr0ub4dor&3 ", &a), "no case folding");
        assert!(!verify("x", "not a hash"));
    }
}
