//! Browser endpoints outside the Leptos app: plain responses a page links
//! to, where a server function cannot answer (a file download, a page with
//! no app around it).

pub mod export;
pub mod mailbox;
pub mod support_export;
