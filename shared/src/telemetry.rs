//! Logging and metrics, set up the same way in every process. Logs never carry tokens,
//! passwords or message contents; metrics are served on the admin port only.

use crate::config::{LogFormat, TelemetryConfig};
use prometheus::{Encoder, TextEncoder};
use tracing_subscriber::{EnvFilter, fmt, prelude::*};

/// Installs the global tracing subscriber. Calling it again (tests) does nothing.
pub fn init(config: &TelemetryConfig) {
    let filter = EnvFilter::try_new(&config.log_filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let registry = tracing_subscriber::registry().with(filter);
    let _ = match config.log_format {
        LogFormat::Json => registry
            .with(fmt::layer().json().flatten_event(true))
            .try_init(),
        LogFormat::Pretty => registry.with(fmt::layer()).try_init(),
    };
}

/// Installs a subscriber for tests: silent unless `TEST_LOG` is set.
pub fn init_for_tests() {
    if std::env::var_os("TEST_LOG").is_some() {
        let filter = EnvFilter::try_from_env("TEST_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
        let _ = tracing_subscriber::registry()
            .with(filter)
            .with(fmt::layer().with_test_writer())
            .try_init();
    }
}

/// Every metric of this process in the Prometheus text format.
pub fn render_metrics() -> String {
    let mut buffer = Vec::new();
    if let Err(err) = TextEncoder::new().encode(&prometheus::gather(), &mut buffer) {
        tracing::warn!(error = %err, "encoding metrics");
    }
    String::from_utf8(buffer).unwrap_or_default()
}
