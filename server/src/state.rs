//! What every handler is given: the Leptos options (for the pages and the
//! file fallback) and the services.

use axum::extract::FromRef;
use gatehouse_core::Gatehouse;
use leptos::prelude::LeptosOptions;

use crate::config::Config;

#[derive(Clone)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub gatehouse: Gatehouse,
}

impl AppState {
    pub fn new(config: &Config, gatehouse: Gatehouse) -> Self {
        let leptos_options = LeptosOptions::builder()
            .output_name("gatehouse")
            .site_root(config.site_root.as_str())
            .site_addr(config.site_addr)
            .build();
        Self {
            leptos_options,
            gatehouse,
        }
    }
}

/// Leptos's route handlers and file fallback take their options from the state.
impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}
