//! The API against its own OpenAPI document: Schemathesis (from PyPI,
//! installed by `scripts/install-tools.sh --test`) generates requests for
//! every operation from the document and checks that nothing answers 5xx
//! and that every answer — status, content type, body — is one the document
//! describes. On SQLite and PostgreSQL.

mod common;

use std::process::Command;

use common::*;

on_both_databases!(the_api_answers_as_its_document_says);

/// The Schemathesis command: `GATEHOUSE_SCHEMATHESIS`, or where
/// `install-tools.sh` puts it.
fn schemathesis() -> String {
    std::env::var("GATEHOUSE_SCHEMATHESIS").unwrap_or_else(|_| {
        let tools = std::env::var("GATEHOUSE_TOOLS").unwrap_or_else(|_| {
            format!("{}/.cache/gatehouse/tools", std::env::var("HOME").unwrap())
        });
        format!("{tools}/schemathesis/bin/schemathesis")
    })
}

fn the_api_answers_as_its_document_says(backend: Backend) {
    let server = Server::start(backend);
    let document = server.get("/api/v1/openapi.json", None);
    assert_eq!(document.status, 200, "{document:?}");
    assert_eq!(document.json["openapi"], "3.1.0");
    assert_eq!(document.header("content-type"), Some("application/json"));

    // A freshly signed-in owner, so the generated calls reach past 401 and
    // the recent-sign-in check; signing out would end the run's token.
    let (_, _, _, token) = server.enrolled_user();
    let schemathesis = schemathesis();
    let run = Command::new(&schemathesis)
        .args([
            "run",
            &server.url("/api/v1/openapi.json"),
            "--url",
            &server.url("/api/v1"),
            "--checks",
            "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
            "--phases",
            "examples,coverage,fuzzing",
            "--max-examples",
            "25",
            "--workers",
            "2",
            "--exclude-path",
            "/auth/logout",
            "--header",
            &format!("Authorization: Bearer {token}"),
            "--seed",
            "20261130",
            "--generation-database",
            "none",
            "--no-color",
        ])
        .current_dir(server.dir())
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run {schemathesis} ({e}): run ./scripts/install-tools.sh --test")
        });
    let report = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "Schemathesis found answers the document does not describe:\n{report}\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(report.contains("passed"), "{report}");
}
