//! The transport guard: what no request may carry, whatever it is for. A body
//! over [`BODY_LIMIT`] is refused with 413; a control character in the query
//! string or a server function's form with 400, before any handler runs.

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::response::Response;

use gatehouse_core::rules::text;

use crate::api::{error_response, rejected};

/// No request needs more than a few fields; a larger body is refused with 413.
pub const BODY_LIMIT: usize = 64 * 1024;

/// True when a decoded name or value of an `application/x-www-form-urlencoded`
/// text holds a character no request may carry (core's
/// [`gatehouse_core::rules::text`]); `in_body` for a form body, where a
/// multi-line field may hold line breaks, not for a query string.
pub fn has_control_char(form: &[u8], in_body: bool) -> bool {
    url::form_urlencoded::parse(form)
        .any(|(name, value)| text::has_forbidden_char(&name, &value, in_body))
}

pub fn bad_request(message: &str) -> Response {
    error_response(StatusCode::BAD_REQUEST, "invalid_request", message)
}

/// A server function's arguments, checked before it runs: within
/// [`BODY_LIMIT`] (else 413) and free of control characters (else 400). They
/// are read as a URL-encoded form whatever the content type says, as server
/// functions read them.
pub async fn checked_server_fn_request(request: Request<Body>) -> Result<Request<Body>, Response> {
    let (parts, body) = request.into_parts();
    let bytes = Bytes::from_request(Request::from_parts(parts.clone(), body), &())
        .await
        .map_err(|r| rejected(r.status(), &r.body_text()))?;
    if has_control_char(&bytes, true) {
        return Err(bad_request("A form field contains a control character."));
    }
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_found_once_decoded() {
        assert!(!has_control_char(
            b"token=abc&next=%2Fadmin%3Fq%3Da+b",
            false
        ));
        for bad in [
            &b"token=abc%0A"[..],
            b"next=/%09/evil.example",
            b"email=a%00@example.com",
            b"back=%0D%0ALocation:x",
            b"x%7F=1",
            b"token=%C2%85",
        ] {
            assert!(
                has_control_char(bad, false),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
        assert!(!has_control_char(b"reason=line+one%0D%0Aline%09two", true));
        assert!(has_control_char(b"reason=line+one%0D%0Atwo", false));
        assert!(has_control_char(b"name=line+one%0D%0Atwo", true));
    }
}
