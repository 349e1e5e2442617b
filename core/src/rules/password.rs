//! Password policy and hashing (OWASP Password Storage, NIST 800-63B-4 §3.1.1).
//!
//! - 8 to 128 characters, counted as Unicode scalar values, no composition
//!   rules, verified exactly as typed (no trimming, no case folding).
//! - Refused: the 10,000 most common passwords (Mark Burnett's list, shipped in
//!   `core/data/common-passwords.txt`) and anything built on the product's name.
//! - Argon2id m=19456 KiB, t=2, p=1 with a random salt. Hashing is CPU-heavy:
//!   callers run these functions on a blocking thread, never on the executor.

use std::cell::RefCell;
use std::collections::HashSet;
use std::sync::LazyLock;

use argon2::password_hash::{
    self, rand_core::OsRng, Decimal, Ident, Output, ParamsString, PasswordHash, PasswordHasher,
    PasswordVerifier, Salt, SaltString,
};
use argon2::{Algorithm, Argon2, Block, Params, Version};

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

/// OWASP's argon2id parameters: 19 MiB, 2 passes, 1 lane.
fn our_params() -> Params {
    Params::new(19_456, 2, 1, None).expect("OWASP argon2id parameters are valid")
}

thread_local! {
    /// This thread's argon2 memory, kept for its next hash.
    static MEMORY: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

/// Argon2 that reuses each thread's memory: a hashing thread allocates its
/// 19 MiB once instead of mapping, zeroing and returning it for every
/// password — page faults took a third of a sign-in's CPU. (The first pass
/// of argon2 overwrites every block, so what a block held before does not
/// matter.) Memory for parameters larger than ours (an old hash) is
/// allocated for that hash only, so a thread keeps at most our 19 MiB.
struct ReusedMemory;

impl PasswordHasher for ReusedMemory {
    type Params = Params;

    fn hash_password<'a>(
        &self,
        password: &[u8],
        salt: impl Into<Salt<'a>>,
    ) -> password_hash::Result<PasswordHash<'a>> {
        self.hash_password_customized(password, None, None, our_params(), salt)
    }

    fn hash_password_customized<'a>(
        &self,
        password: &[u8],
        algorithm: Option<Ident<'a>>,
        version: Option<Decimal>,
        params: Params,
        salt: impl Into<Salt<'a>>,
    ) -> password_hash::Result<PasswordHash<'a>> {
        let algorithm = algorithm
            .map(Algorithm::try_from)
            .transpose()?
            .unwrap_or(Algorithm::Argon2id);
        let version = version
            .map(Version::try_from)
            .transpose()?
            .unwrap_or(Version::V0x13);
        let salt = salt.into();
        let mut salt_bytes = [0u8; 64];
        let salt_bytes = salt.decode_b64(&mut salt_bytes)?;
        let argon2 = Argon2::new(algorithm, version, params.clone());
        let blocks = params.block_count();
        let output_len = params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN);
        let output = Output::init_with(output_len, |out| {
            let mut run = |memory: &mut [Block]| {
                argon2
                    .hash_password_into_with_memory(password, salt_bytes, out, memory)
                    .map_err(password_hash::Error::from)
            };
            if blocks > our_params().block_count() {
                return run(&mut vec![Block::default(); blocks]);
            }
            MEMORY.with_borrow_mut(|memory| {
                if memory.len() < blocks {
                    memory.resize(blocks, Block::default());
                }
                run(&mut memory[..blocks])
            })
        })?;
        Ok(PasswordHash {
            algorithm: algorithm.ident(),
            version: Some(version.into()),
            params: ParamsString::try_from(&params)?,
            salt: Some(salt),
            hash: Some(output),
        })
    }
}

/// Blocking: call from a hashing thread.
pub fn hash(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    ReusedMemory
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 hashing of a bounded password cannot fail")
        .to_string()
}

/// Blocking: call from a hashing thread. A malformed stored hash never
/// verifies, nor one whose cost is out of bounds (a tampered database or a
/// foreign backup must not make a hashing thread allocate terabytes or run
/// for hours); the comparison is `Output`'s, in constant time.
pub fn verify(password: &str, stored: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    let within_bounds = parsed.algorithm == argon2::ARGON2ID_IDENT
        && Params::try_from(&parsed).is_ok_and(|p| {
            p.m_cost() <= MAX_STORED_M_COST
                && p.t_cost() <= MAX_STORED_T_COST
                && p.p_cost() <= MAX_STORED_P_COST
        });
    if !within_bounds {
        tracing::warn!("a stored password hash is not argon2id within bounds; it never verifies");
        return false;
    }
    ReusedMemory
        .verify_password(password.as_bytes(), &parsed)
        .is_ok()
}

/// The most a stored hash may cost: 64 MiB, 10 passes, 4 lanes.
const MAX_STORED_M_COST: u32 = 65_536;
const MAX_STORED_T_COST: u32 = 10;
const MAX_STORED_P_COST: u32 = 4;

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

    /// The reused memory gives the argon2 crate's own answers: for our
    /// parameters, for an older hash with less memory (a slice of the kept
    /// memory, holding a previous hash's blocks) and with more (its own).
    #[test]
    fn reused_memory_agrees_with_the_argon2_crate() {
        let password = "correct horse battery staple";
        let library = |params: Params| {
            let salt = SaltString::generate(&mut OsRng);
            Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
                .hash_password(password.as_bytes(), &salt)
                .unwrap()
                .to_string()
        };
        for params in [
            our_params(),
            Params::new(8_192, 3, 1, None).unwrap(),
            Params::new(32_768, 1, 2, None).unwrap(),
        ] {
            let theirs = library(params);
            assert!(verify(password, &theirs), "{theirs}");
            assert!(verify(password, &theirs), "again, on the memory just used");
            assert!(!verify("correct horse battery stapler", &theirs));
        }
        let costly = library(Params::new(65_544, 1, 1, None).unwrap());
        assert!(
            !verify(password, &costly),
            "more memory than any hash of ours"
        );
        let argon2i = Argon2::new(Algorithm::Argon2i, Version::V0x13, our_params())
            .hash_password(password.as_bytes(), &SaltString::generate(&mut OsRng))
            .unwrap()
            .to_string();
        assert!(!verify(password, &argon2i), "argon2id only");
        let ours = PasswordHash::new(&hash(password)).unwrap().to_string();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok());
    }
}
