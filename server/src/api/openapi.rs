//! The API described: an OpenAPI 3.1 document generated from the handlers'
//! own annotations and types (utoipa), served at `/api/v1/openapi.json`.
//! The router and the document come from the same `routes!` lists, so a
//! route cannot exist without its description; a test holds README's API
//! tables to the same list.

use axum::http::header;
use axum::response::IntoResponse;
use serde::Serialize;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::OpenApi as Document;
use utoipa::{IntoResponses, Modify, OpenApi, ToSchema};

/// Every refusal of the API: `{"error": CODE, "message": TEXT}`, plus
/// `tries_left` after a wrong code.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    /// A stable code: `invalid_request`, `unauthorized`, `step_up_required`, `rate_limited`, …
    pub error: String,
    /// What happened and what to do, for a person.
    pub message: String,
    /// After a wrong code: codes that may still be tried.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tries_left: Option<i64>,
}

/// What any call may answer besides its own outcomes.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum Refusals {
    /// `invalid_request`: a malformed body, query string or path, a control character in a value.
    #[response(status = 400)]
    Invalid(#[to_schema] ErrorBody),
    /// `forbidden`: a cross-origin request from a browser.
    #[response(status = 403)]
    Forbidden(ErrorBody),
    /// `payload_too_large`: a body over 64 KiB.
    #[response(status = 413)]
    TooLarge(ErrorBody),
    /// `unavailable` + `Retry-After`: password hashing at capacity, or the database not answering.
    #[response(status = 503)]
    Unavailable(ErrorBody),
}

/// What a call with a bearer token may also answer.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum SignedRefusals {
    /// `unauthorized`: no bearer token, or one that ended.
    #[response(status = 401)]
    Unauthorized(ErrorBody),
    /// `forbidden` (the caller may not), `step_up_required` (sign in again: the token is older than the step-up window), or a cross-origin request.
    #[response(status = 403)]
    Forbidden(ErrorBody),
}

/// `not_found`: nothing of that id among what the caller may see.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum NotFound {
    /// `not_found`: no such thing, or not one the caller may see.
    #[response(status = 404)]
    NotFound(ErrorBody),
}

/// What a call that asks for the password again may also answer.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum PasswordAgain {
    /// `invalid_password` (or `unauthorized`: no valid bearer token).
    #[response(status = 401)]
    Wrong(ErrorBody),
    /// `rate_limited` + `Retry-After`: the password was wrong too often.
    #[response(status = 429)]
    TooOften(ErrorBody),
}

/// The bearer token scheme every signed-in call names.
struct BearerToken;

impl Modify for BearerToken {
    fn modify(&self, openapi: &mut Document) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Gatehouse API",
        description = "Multi-factor authentication for an MSP and its customers: the JSON API for the mobile app and scripts. Bearer tokens come from a completed sign-in (`POST /auth/login`, then `POST /auth/mfa`), are opaque and last 12 hours.",
    ),
    servers((url = "/api/v1")),
    modifiers(&BearerToken),
    components(schemas(ErrorBody)),
)]
pub struct ApiDoc;

/// `GET /api/v1/openapi.json`: the document, written out once.
pub fn serve(document: &Document) -> axum::routing::MethodRouter<crate::state::AppState> {
    let text = document.to_json().expect("the document is JSON");
    axum::routing::get(move || {
        let text = text.clone();
        async move { ([(header::CONTENT_TYPE, "application/json")], text).into_response() }
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    /// The operations of the document, as `METHOD /path`.
    fn documented() -> BTreeSet<String> {
        let (_, document) = super::super::routes();
        let document = serde_json::to_value(&document).unwrap();
        let paths = document["paths"].as_object().expect("paths");
        paths
            .iter()
            .flat_map(|(path, item)| {
                let methods = item.as_object().expect("a path item");
                methods
                    .keys()
                    .filter(|m| ["get", "post", "put", "patch", "delete"].contains(&m.as_str()))
                    .map(move |m| format!("{} {path}", m.to_uppercase()))
            })
            .collect()
    }

    /// The calls README's JSON API section names, as `METHOD /path`.
    fn in_readme() -> BTreeSet<String> {
        let readme = include_str!("../../../README.md");
        let start = readme
            .find("## JSON API")
            .expect("README has a JSON API section");
        let section = &readme[start..];
        let section = &section[..section[3..]
            .find("\n## ")
            .map_or(section.len(), |end| end + 3)];
        section
            .split('`')
            .skip(1)
            .step_by(2)
            .filter_map(|code| {
                let (method, rest) = code.split_once(' ')?;
                if !["GET", "POST", "PUT", "PATCH", "DELETE"].contains(&method)
                    || !rest.starts_with('/')
                {
                    return None;
                }
                let path = rest.split(['?', ' ']).next()?;
                Some(format!("{method} {path}"))
            })
            .collect()
    }

    #[test]
    fn readme_and_the_document_name_the_same_calls() {
        let documented = documented();
        let readme = in_readme();
        assert!(documented.len() >= 40, "{documented:?}");
        let undocumented: Vec<_> = readme.difference(&documented).collect();
        let unlisted: Vec<_> = documented.difference(&readme).collect();
        assert!(
            undocumented.is_empty(),
            "README names calls the API does not have: {undocumented:?}"
        );
        assert!(
            unlisted.is_empty(),
            "calls README does not list: {unlisted:?}"
        );
    }

    #[test]
    fn every_operation_says_what_it_answers_and_refuses() {
        let (_, document) = super::super::routes();
        let document = serde_json::to_value(&document).unwrap();
        assert_eq!(document["openapi"], "3.1.0");
        for (path, item) in document["paths"].as_object().unwrap() {
            for (method, operation) in item.as_object().unwrap() {
                let responses = operation["responses"].as_object().expect("responses");
                let success = responses.keys().any(|status| status.starts_with('2'));
                assert!(success, "{method} {path} documents no success");
                for refusal in ["400", "413", "503"] {
                    assert!(
                        responses.contains_key(refusal),
                        "{method} {path} lacks {refusal}"
                    );
                }
                let signed = operation
                    .get("security")
                    .is_some_and(|s| s.to_string().contains("bearer"));
                if signed {
                    assert!(responses.contains_key("401"), "{method} {path} lacks 401");
                }
                assert!(
                    operation["description"].is_string() || operation["summary"].is_string(),
                    "{method} {path} is not described"
                );
            }
        }
    }
}

/// A sentence for a person, where the outcome must not say more.
#[derive(Serialize, ToSchema)]
pub struct Message {
    pub message: String,
}

impl Message {
    pub fn new(text: &str) -> Self {
        Self {
            message: text.into(),
        }
    }
}

/// `{"id": …}` of something just made.
#[derive(Serialize, ToSchema)]
pub struct Created {
    pub id: i64,
}

/// An organization as answers name it.
#[derive(Serialize, ToSchema)]
pub struct OrgRef {
    pub id: i64,
    pub name: String,
}
