//! Reaching the target: which gateway and which local source address the n-th connection or
//! request uses ([`Endpoints`]), the REST API ([`api`]) and the WebSocket protocol ([`ws`]).

pub mod api;
pub mod ws;

use crate::Target;
use anyhow::{Context, bail};
use std::{
    net::{IpAddr, Ipv4Addr, SocketAddr},
    time::Duration,
};

/// One gateway as the bench reaches it.
#[derive(Debug, Clone)]
pub struct Gateway {
    /// `http://host:port`, without a trailing slash.
    pub base: String,
    /// `ws://host:port/ws`.
    pub ws_url: String,
    /// The resolved address WebSocket connections go to.
    pub addr: SocketAddr,
}

/// The gateways and source addresses of a run, with one HTTP client per source address.
/// Everything is picked round-robin by an index, so work spreads evenly and deterministically.
#[derive(Debug, Clone)]
pub struct Endpoints {
    pub gateways: Vec<Gateway>,
    sources: Vec<Option<Ipv4Addr>>,
    http: Vec<reqwest::Client>,
}

impl Endpoints {
    /// Resolves every URL of `target` and builds the HTTP clients.
    pub async fn resolve(target: &Target) -> anyhow::Result<Self> {
        if target.urls.is_empty() {
            bail!("no gateway URL given (--url)");
        }
        let mut gateways = Vec::with_capacity(target.urls.len());
        for url in &target.urls {
            gateways.push(resolve_gateway(url).await?);
        }
        let sources: Vec<Option<Ipv4Addr>> = if target.source_ips.is_empty() {
            vec![None]
        } else {
            target.source_ips.iter().copied().map(Some).collect()
        };
        let mut http = Vec::with_capacity(sources.len());
        for source in &sources {
            let mut builder = reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .user_agent("chatalot-bench/1")
                .pool_max_idle_per_host(256);
            if let Some(ip) = source {
                builder = builder.local_address(IpAddr::V4(*ip));
            }
            http.push(builder.build().context("building the HTTP client")?);
        }
        Ok(Self {
            gateways,
            sources,
            http,
        })
    }

    /// The gateway the `n`-th connection or request goes to.
    pub fn gateway(&self, n: usize) -> &Gateway {
        &self.gateways[n % self.gateways.len()]
    }

    /// The source address of the `n`-th connection (`None`: the system picks). Cycles through
    /// the sources once per round of gateways, so every gateway sees every source.
    pub fn source(&self, n: usize) -> Option<Ipv4Addr> {
        self.sources[(n / self.gateways.len()) % self.sources.len()]
    }

    /// The REST API as the `n`-th caller reaches it.
    pub fn api(&self, n: usize) -> api::Api {
        let http = &self.http[(n / self.gateways.len()) % self.http.len()];
        api::Api::new(http.clone(), self.gateway(n).base.clone())
    }
}

async fn resolve_gateway(url: &str) -> anyhow::Result<Gateway> {
    let parsed = reqwest::Url::parse(url).with_context(|| format!("--url {url}"))?;
    if parsed.scheme() != "http" {
        bail!(
            "--url {url}: only plain http:// gateways (a local or private address) are supported"
        );
    }
    let host = parsed
        .host_str()
        .with_context(|| format!("--url {url} has no host"))?;
    let port = parsed
        .port_or_known_default()
        .with_context(|| format!("--url {url} has no port"))?;
    let addr = tokio::net::lookup_host((host, port))
        .await
        .with_context(|| format!("resolving {url}"))?
        .next()
        .with_context(|| format!("{url} resolves to no address"))?;
    let base = format!("http://{host}:{port}");
    Ok(Gateway {
        ws_url: format!("ws://{host}:{port}/ws"),
        base,
        addr,
    })
}
