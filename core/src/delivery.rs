//! Delivers the outbox: email over SMTP (lettre), SMS to an HTTP webhook.
//!
//! Rules:
//! - A worker leases one due message at a time (`claimed_until`), so several
//!   app servers on one database never send a message concurrently.
//! - A temporary failure (connection refused, 4xx SMTP reply, webhook 5xx or
//!   unreachable) is retried with exponential backoff from 2 s up to 5 minutes;
//!   a permanent one (5xx SMTP reply, webhook 4xx) marks the message failed.
//! - Delivery is at least once: a worker that dies between sending and
//!   recording it leaves the lease to expire and the message is sent again.
//! - With no SMTP / SMS setting nothing is sent: messages stay in the outbox and
//!   the development mailbox (`/dev/mailbox`) shows them.
//! - A message keeps its body (links, codes) only until it is sent or given up;
//!   the row itself (recipient, subject, times) is deleted after the retention
//!   period, so a copy of the database redeems nothing.
//! - The SMS webhook URL may carry credentials (`user:pass@`, a query string):
//!   errors and logs name its host only.

use std::time::Duration;

use lettre::message::{header::ContentType, Mailbox, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::db::Db;
use crate::store::{self, Channel, OutboxMessage};
use crate::telemetry;
use crate::unix_now;

const LEASE_SECONDS: i64 = 60;
const FIRST_RETRY_SECONDS: i64 = 2;
const MAX_RETRY_SECONDS: i64 = 300;
/// How often a worker deletes the rows past their retention.
const PURGE_EVERY_SECONDS: i64 = 60;

/// Seconds to wait before attempt `attempts + 1`.
pub fn backoff(attempts: i64) -> i64 {
    let doublings = (attempts.max(1) - 1).min(20) as u32;
    (FIRST_RETRY_SECONDS << doublings).min(MAX_RETRY_SECONDS)
}

#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    #[error("{0}")]
    Temporary(String),
    #[error("{0}")]
    Permanent(String),
}

#[derive(Debug, thiserror::Error)]
#[error("{var}: {problem}")]
pub struct DeliveryConfigError {
    pub var: &'static str,
    pub problem: String,
}

/// Where messages go. `None` for a channel keeps its messages in the mailbox.
#[derive(Clone)]
pub struct Delivery {
    smtp: Option<(AsyncSmtpTransport<Tokio1Executor>, Mailbox)>,
    sms_webhook: Option<SmsWebhook>,
    retention_seconds: i64,
}

/// The webhook's URL, and the only part of it that may be shown: its host.
#[derive(Clone)]
struct SmsWebhook {
    url: String,
    host: String,
}

/// `host[:port]` of a URL: never its user, password, path or query.
pub fn redacted_host(url: &url::Url) -> String {
    match (url.host_str(), url.port()) {
        (Some(host), Some(port)) => format!("{host}:{port}"),
        (Some(host), None) => host.to_string(),
        (None, _) => "(no host)".into(),
    }
}

impl Delivery {
    /// `retention_seconds`: how long a sent or failed message stays in the outbox.
    pub fn new(
        smtp_url: Option<&str>,
        mail_from: &str,
        sms_webhook: Option<&str>,
        retention_seconds: i64,
    ) -> Result<Self, DeliveryConfigError> {
        let smtp = match smtp_url {
            None => None,
            Some(url) => {
                // `tls=starttls` is the common spelling; lettre calls it `tls=required`.
                let url = url.replace("tls=starttls", "tls=required");
                let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&url)
                    .map_err(|e| DeliveryConfigError {
                        var: "GATEHOUSE_SMTP_URL",
                        problem: format!("not a usable SMTP URL ({e})"),
                    })?
                    .timeout(Some(Duration::from_secs(20)))
                    .build();
                let from = mail_from
                    .parse::<Mailbox>()
                    .map_err(|e| DeliveryConfigError {
                        var: "GATEHOUSE_MAIL_FROM",
                        problem: format!(
                            "must be an address such as \"Gatehouse <mfa@example.com>\" ({e})"
                        ),
                    })?;
                Some((transport, from))
            }
        };
        let sms_webhook = match sms_webhook {
            None => None,
            Some(url) => {
                let parsed = url::Url::parse(url)
                    .ok()
                    .filter(|u| matches!(u.scheme(), "http" | "https"))
                    .ok_or(DeliveryConfigError {
                        var: "GATEHOUSE_SMS_WEBHOOK_URL",
                        problem: "must be an http:// or https:// URL".into(),
                    })?;
                Some(SmsWebhook {
                    url: url.to_string(),
                    host: redacted_host(&parsed),
                })
            }
        };
        Ok(Self {
            smtp,
            sms_webhook,
            retention_seconds,
        })
    }

    /// True when nothing is configured: the development mailbox is the only destination.
    pub fn is_mailbox_only(&self) -> bool {
        self.smtp.is_none() && self.sms_webhook.is_none()
    }

    fn handles(&self, channel: &str) -> bool {
        match Channel::parse(channel) {
            Some(Channel::Email) => self.smtp.is_some(),
            Some(Channel::Sms) => self.sms_webhook.is_some(),
            None => false,
        }
    }

    async fn send(&self, message: &OutboxMessage) -> Result<(), DeliveryError> {
        match Channel::parse(&message.channel) {
            Some(Channel::Email) => self.send_email(message).await,
            Some(Channel::Sms) => self.send_sms(message).await,
            None => Err(DeliveryError::Permanent(format!(
                "unknown channel {}",
                message.channel
            ))),
        }
    }

    async fn send_email(&self, m: &OutboxMessage) -> Result<(), DeliveryError> {
        let (transport, from) = self
            .smtp
            .as_ref()
            .ok_or_else(|| DeliveryError::Temporary("SMTP is not configured".into()))?;
        let to = m
            .recipient
            .parse::<Mailbox>()
            .map_err(|e| DeliveryError::Permanent(format!("bad recipient: {e}")))?;
        let email = Message::builder()
            .from(from.clone())
            .to(to)
            .subject(&m.subject)
            .multipart(
                MultiPart::alternative()
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_PLAIN)
                            .body(m.body_text.clone()),
                    )
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_HTML)
                            .body(m.body_html.clone()),
                    ),
            )
            .map_err(|e| DeliveryError::Permanent(e.to_string()))?;
        transport.send(email).await.map(|_| ()).map_err(|e| {
            if e.is_permanent() {
                DeliveryError::Permanent(e.to_string())
            } else {
                DeliveryError::Temporary(e.to_string())
            }
        })
    }

    async fn send_sms(&self, m: &OutboxMessage) -> Result<(), DeliveryError> {
        let SmsWebhook { url, host } = self
            .sms_webhook
            .clone()
            .ok_or_else(|| DeliveryError::Temporary("no SMS webhook".into()))?;
        let body = serde_json::json!({ "to": m.recipient, "body": m.body_text });
        tokio::task::spawn_blocking(move || {
            let agent = ureq::AgentBuilder::new()
                .timeout(Duration::from_secs(20))
                .build();
            match agent.post(&url).send_json(body) {
                Ok(_) => Ok(()),
                Err(ureq::Error::Status(code, _)) if (400..500).contains(&code) && code != 429 => {
                    Err(DeliveryError::Permanent(format!(
                        "SMS webhook {host} refused the message: HTTP {code}"
                    )))
                }
                Err(ureq::Error::Status(code, _)) => Err(DeliveryError::Temporary(format!(
                    "SMS webhook {host} answered HTTP {code}"
                ))),
                // Not `Display` of the error: it starts with the full URL.
                Err(ureq::Error::Transport(t)) => Err(DeliveryError::Temporary(format!(
                    "SMS webhook {host} unreachable: {}{}",
                    t.kind(),
                    std::error::Error::source(&t)
                        .map(|cause| format!(": {cause}"))
                        .unwrap_or_default()
                ))),
            }
        })
        .await
        .map_err(|e| DeliveryError::Temporary(e.to_string()))?
    }

    /// Sends due messages until none is left; returns how many were handled.
    pub async fn drain(&self, db: &Db) -> Result<usize, sqlx::Error> {
        let mut handled = 0;
        loop {
            let now = unix_now();
            let mut c = db.pool.acquire().await?;
            let Some(message) = store::outbox_claim(&mut c, now, LEASE_SECONDS).await? else {
                return Ok(handled);
            };
            drop(c);
            if !self.handles(&message.channel) {
                // Kept for the mailbox; look again in a minute in case settings change.
                store::outbox_retry_later(
                    &mut *db.pool.acquire().await?,
                    message.id,
                    now + LEASE_SECONDS,
                    "no transport configured",
                )
                .await?;
                continue;
            }
            let result = self.send(&message).await;
            telemetry::delivery(
                &message.channel,
                match &result {
                    Ok(()) => "sent",
                    Err(DeliveryError::Temporary(_)) => "retry",
                    Err(DeliveryError::Permanent(_)) => "failed",
                },
            );
            let mut c = db.pool.acquire().await?;
            match result {
                Ok(()) => store::outbox_sent(&mut c, message.id, unix_now()).await?,
                Err(DeliveryError::Temporary(e)) => {
                    tracing::warn!(id = message.id, attempts = message.attempts, error = %e, "delivery failed; will retry");
                    store::outbox_retry_later(
                        &mut c,
                        message.id,
                        unix_now() + backoff(message.attempts),
                        &e,
                    )
                    .await?
                }
                Err(DeliveryError::Permanent(e)) => {
                    tracing::error!(id = message.id, error = %e, "delivery failed permanently");
                    store::outbox_failed(&mut c, message.id, unix_now(), &e).await?
                }
            }
            handled += 1;
        }
    }

    /// Deletes the messages sent or given up more than the retention period ago.
    pub async fn purge(&self, db: &Db, now: i64) -> Result<u64, sqlx::Error> {
        store::outbox_purge(&mut *db.pool.acquire().await?, now - self.retention_seconds).await
    }

    /// The background worker: drains the outbox every second and purges it
    /// every minute, for ever. With nothing configured nothing is ever sent,
    /// so there is nothing to purge either: the mailbox keeps every message.
    /// Delivers and purges once a second until `stop` turns true; a batch
    /// being delivered is finished first, so no message is sent twice or
    /// left marked as taken.
    pub async fn run(self, db: Db, mut stop: tokio::sync::watch::Receiver<bool>) {
        if self.is_mailbox_only() {
            return;
        }
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        let mut next_purge = 0;
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = stop.wait_for(|stopping| *stopping) => return,
            }
            let now = unix_now();
            if now >= next_purge {
                match self.purge(&db, now).await {
                    Ok(_) => next_purge = now + PURGE_EVERY_SECONDS,
                    Err(e) => {
                        tracing::warn!(error = %e, "outbox worker: could not purge old messages")
                    }
                }
            }
            if let Err(e) = self.drain(&db).await {
                tracing::warn!(error = %e, "outbox worker: database unavailable, retrying");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_two_seconds_to_five_minutes() {
        assert_eq!(backoff(1), 2);
        assert_eq!(backoff(2), 4);
        assert_eq!(backoff(5), 32);
        assert_eq!(backoff(50), 300);
    }

    const WEEK: i64 = 7 * 86_400;

    #[test]
    fn settings_are_checked() {
        assert!(Delivery::new(None, "x", None, WEEK)
            .unwrap()
            .is_mailbox_only());
        assert!(Delivery::new(
            Some("smtp://127.0.0.1:2525"),
            "Gatehouse <mfa@example.com>",
            None,
            WEEK
        )
        .is_ok());
        assert_eq!(
            Delivery::new(Some("smtp://127.0.0.1:2525"), "not an address", None, WEEK)
                .err()
                .unwrap()
                .var,
            "GATEHOUSE_MAIL_FROM"
        );
        assert_eq!(
            Delivery::new(None, "x", Some("ftp://x"), WEEK)
                .err()
                .unwrap()
                .var,
            "GATEHOUSE_SMS_WEBHOOK_URL"
        );
    }

    #[test]
    fn the_sms_webhook_is_named_by_its_host_only() {
        let delivery = Delivery::new(
            None,
            "x",
            Some("https://user:s3cret@sms.example.com:8443/send?api_key=k3y#frag"),
            WEEK,
        )
        .unwrap();
        assert_eq!(delivery.sms_webhook.unwrap().host, "sms.example.com:8443");
        let plain = url::Url::parse("http://sms.example.com/hook?token=t0k3n").unwrap();
        assert_eq!(redacted_host(&plain), "sms.example.com");
    }

    #[tokio::test]
    async fn an_unreachable_webhook_error_carries_no_credentials() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let delivery = Delivery::new(
            None,
            "x",
            Some(&format!(
                "http://user:s3cret@127.0.0.1:{port}/send?api_key=k3y"
            )),
            WEEK,
        )
        .unwrap();
        let message = OutboxMessage {
            id: 1,
            channel: "sms".into(),
            recipient: "+447700900123".into(),
            subject: String::new(),
            body_text: "Your code is 123456".into(),
            body_html: String::new(),
            created_at: 0,
            attempts: 1,
            sent_at: None,
            failed_at: None,
            last_error: None,
        };
        let Err(DeliveryError::Temporary(error)) = delivery.send(&message).await else {
            panic!("a closed port is a temporary failure");
        };
        assert!(error.contains(&format!("127.0.0.1:{port}")), "{error}");
        for secret in ["user", "s3cret", "api_key", "k3y", "/send"] {
            assert!(!error.contains(secret), "{secret} in {error}");
        }
    }
}
