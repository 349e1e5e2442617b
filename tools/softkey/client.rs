//! Drives `gatehouse-softkey` (a software passkey) from a test: included
//! by path into the test kits of `core` and `server`, which find the binary
//! beside their own (target/release).

#![allow(dead_code, clippy::new_without_default)] // each kit uses its own part

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use serde_json::{json, Value};

/// A software passkey in its own process (it keeps its keys while it runs).
pub struct SoftKey {
    child: Child,
    input: ChildStdin,
    output: BufReader<ChildStdout>,
}

impl SoftKey {
    pub fn new() -> Self {
        Self::with_args(&[])
    }

    pub fn without_user_verification() -> Self {
        Self::with_args(&["--no-user-verification"])
    }

    fn with_args(args: &[&str]) -> Self {
        // Built beside the test binaries: target/release/gatehouse-softkey.
        let exe = std::env::current_exe().unwrap();
        let path = exe
            .parent()
            .and_then(|deps| deps.parent())
            .unwrap()
            .join("gatehouse-softkey");
        assert!(
            path.exists(),
            "{} is missing: cargo build --release -p gatehouse-softkey",
            path.display()
        );
        let mut child = Command::new(path)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the software passkey");
        let input = child.stdin.take().unwrap();
        let output = BufReader::new(child.stdout.take().unwrap());
        Self {
            child,
            input,
            output,
        }
    }

    pub fn ask(&mut self, op: &str, origin: &str, public_key: &Value, as_browser: bool) -> Value {
        let request = json!({
            "op": op,
            "origin": origin,
            "options": { "publicKey": public_key },
            "as_browser": as_browser,
        });
        writeln!(self.input, "{request}").unwrap();
        let mut line = String::new();
        self.output.read_line(&mut line).unwrap();
        serde_json::from_str(&line).unwrap()
    }

    /// A new credential for the options, as a browser would make it.
    pub fn register(&mut self, origin: &str, public_key: &Value) -> Value {
        let credential = self.ask("register", origin, public_key, true);
        assert!(credential.get("error").is_none(), "{credential}");
        credential
    }

    /// An answer to the options, as a browser would sign it.
    pub fn sign(&mut self, origin: &str, public_key: &Value) -> Value {
        let answer = self.ask("authenticate", origin, public_key, true);
        assert!(answer.get("error").is_none(), "{answer}");
        answer
    }
}

impl Drop for SoftKey {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
