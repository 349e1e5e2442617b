//! `/dev/mailbox`: the development mailbox. Exists only when no SMTP server is
//! configured on a loopback deployment (a plain http public URL on this machine,
//! and a loopback listen address), and says so: it shows every queued message,
//! newest first, to anyone who can reach the server.

use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{Html, IntoResponse, Response};
use gatehouse_core::notify::escape_html;
use gatehouse_core::{format_time, store::OutboxMessage};

use crate::api::ApiError;
use crate::state::AppState;

/// Escapes the text and turns http(s) URLs into links.
fn linkify(text: &str) -> String {
    let mut out = String::new();
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let words: Vec<String> = line
            .split(' ')
            .map(|word| {
                let safe = escape_html(word);
                if word.starts_with("http://") || word.starts_with("https://") {
                    format!("<a href=\"{safe}\">{safe}</a>")
                } else {
                    safe
                }
            })
            .collect();
        out.push_str(&words.join(" "));
    }
    out
}

fn render(messages: &[OutboxMessage]) -> String {
    let mut items = String::new();
    for m in messages {
        let status = match (m.sent_at, m.failed_at) {
            (Some(_), _) => "sent",
            (_, Some(_)) => "failed",
            _ => "held here",
        };
        items.push_str(&format!(
            "<article class=\"card mail\" aria-labelledby=\"mail-{id}\"><h2 id=\"mail-{id}\">{subject}</h2>\
             <dl class=\"facts\"><dt>To</dt><dd>{to}</dd><dt>Channel</dt><dd>{channel}</dd><dt>Queued</dt><dd>{when}</dd><dt>Status</dt><dd>{status}</dd></dl>\
             <pre class=\"mail-body\">{body}</pre></article>",
            id = m.id,
            subject = escape_html(&m.subject),
            to = escape_html(&m.recipient),
            channel = escape_html(&m.channel),
            when = format_time(m.created_at),
            body = linkify(&m.body_text),
        ));
    }
    if messages.is_empty() {
        items.push_str("<p class=\"card\">No messages yet.</p>");
    }
    format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Development mailbox · Gatehouse</title><link rel=\"stylesheet\" href=\"/style/gatehouse.css\"></head><body><main id=\"main\">\
         <header class=\"topbar\"><a href=\"/\" class=\"brand\">◆ Gatehouse</a></header>\
         <h1>Development mailbox</h1>\
         <p class=\"alert warning\">No SMTP server is configured (<code>GATEHOUSE_SMTP_URL</code>), so Gatehouse sends no email: \
         every message it would send is kept here instead, newest first. This page exists only in that mode.</p>\
         {items}</main></body></html>"
    )
}

/// The page itself, with a CSP that lets it load the stylesheet and nothing else.
pub async fn page(State(state): State<AppState>) -> Response {
    match state.gatehouse.recent_messages(100).await {
        Ok(messages) => {
            let mut response = Html(render(&messages)).into_response();
            response.headers_mut().insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(
                    "default-src 'none'; style-src 'self'; frame-ancestors 'none'; base-uri 'none'",
                ),
            );
            response
        }
        Err(e) => ApiError::from(e).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_become_clickable_and_text_stays_escaped() {
        let html = linkify("Open http://127.0.0.1:3000/login?a=1&b=2 now <b>");
        assert!(html.contains("<a href=\"http://127.0.0.1:3000/login?a=1&amp;b=2\">"));
        assert!(html.contains("&lt;b&gt;"));
    }
}
