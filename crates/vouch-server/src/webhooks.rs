//! Sending webhooks over HTTP: reqwest with a 10 s timeout and no redirects, behind an
//! address guard. The host is resolved first; unless the operator allowed private
//! networks, every address must be public (not loopback, private, link-local (which
//! holds the cloud metadata address), CGNAT, unspecified, multicast or documentation),
//! and the connection goes to the address that was checked, so a second DNS answer
//! cannot point it elsewhere.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use vouch_app::webhooks::delivery::{Sender, Sent};

const TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Default)]
pub struct HttpSender {
    /// Deliver to private and loopback addresses too (`--webhook-allow-private`).
    pub allow_private: bool,
    /// Clients by host and the address it was checked to resolve to: each keeps its
    /// connections open for the next message to that endpoint.
    clients: std::sync::Mutex<std::collections::HashMap<(String, SocketAddr), reqwest::Client>>,
}

/// Clients kept at most (forgotten all at once beyond it).
const MAX_CLIENTS: usize = 256;

impl HttpSender {
    pub fn new(allow_private: bool) -> Self {
        Self {
            allow_private,
            ..Self::default()
        }
    }

    /// The client pinned to `addr` for `host`, made once.
    fn client(&self, host: &str, addr: SocketAddr) -> Result<reqwest::Client, String> {
        let key = (host.to_owned(), addr);
        let mut clients = self.clients.lock().map_err(|_| "client cache poisoned")?;
        if let Some(c) = clients.get(&key) {
            return Ok(c.clone());
        }
        let c = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(TIMEOUT)
            .user_agent(concat!("Vouch-Webhooks/", env!("CARGO_PKG_VERSION")))
            .resolve(host, addr)
            .build()
            .map_err(|e| format!("client: {e}"))?;
        if clients.len() >= MAX_CLIENTS {
            clients.clear();
        }
        clients.insert(key, c.clone());
        Ok(c)
    }
}

/// Whether `ip` is an address on the public internet.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => public_v4(v4),
            None => public_v6(v6),
        },
    }
}

fn public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        // CGNAT 100.64.0.0/10
        || (a == 100 && (64..128).contains(&b))
        // IETF protocol assignments 192.0.0.0/24, benchmarking 198.18.0.0/15
        || (a == 192 && b == 0 && c == 0)
        || (a == 198 && (b == 18 || b == 19))
        || a >= 240)
}

fn public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        // unique local fc00::/7, link-local fe80::/10, documentation 2001:db8::/32
        || (first & 0xfe00) == 0xfc00
        || (first & 0xffc0) == 0xfe80
        || (first == 0x2001 && ip.segments()[1] == 0x0db8)
        // IPv4-compatible and NAT64 forms that can carry a private IPv4 address
        || ip.segments()[..6].iter().all(|s| *s == 0)
        || (first == 0x64 && ip.segments()[1] == 0xff9b))
}

impl HttpSender {
    /// The address to connect to, checked.
    async fn resolve(&self, url: &url::Url) -> Result<SocketAddr, String> {
        let host = url.host_str().ok_or("the URL has no host")?;
        let port = url.port_or_known_default().ok_or("the URL has no port")?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
            .await
            .map_err(|e| format!("cannot resolve {host}: {e}"))?
            .collect();
        if addrs.is_empty() {
            return Err(format!("{host} has no address"));
        }
        if !self.allow_private {
            if let Some(bad) = addrs.iter().find(|a| !is_public(a.ip())) {
                return Err(format!(
                    "{host} resolves to {}, a private or reserved address: refused",
                    bad.ip()
                ));
            }
        }
        Ok(addrs[0])
    }
}

#[async_trait]
impl Sender for HttpSender {
    async fn send(
        &self,
        url: &str,
        headers: Vec<(&'static str, String)>,
        body: String,
        timeout: Duration,
    ) -> Sent {
        let started = Instant::now();
        let elapsed = |s: Instant| i64::try_from(s.elapsed().as_millis()).unwrap_or(i64::MAX);
        let failed = |error: String| Sent::Failed {
            error,
            duration_ms: elapsed(started),
        };
        let Ok(parsed) = url::Url::parse(url) else {
            return failed("the endpoint URL does not parse".into());
        };
        let addr = match self.resolve(&parsed).await {
            Ok(a) => a,
            Err(e) => return failed(e),
        };
        let host = parsed.host_str().unwrap_or_default().to_owned();
        let client = match self.client(&host, addr) {
            Ok(c) => c,
            Err(e) => return failed(e),
        };
        let mut req = client.post(parsed).body(body).timeout(timeout.min(TIMEOUT));
        for (k, v) in headers {
            req = req.header(k, v);
        }
        match req.send().await {
            Ok(resp) => {
                let status = resp.status().as_u16();
                let body = resp.text().await.unwrap_or_default();
                Sent::Answered {
                    status,
                    body: body.chars().take(1024).collect(),
                    duration_ms: elapsed(started),
                }
            }
            Err(e) if e.is_timeout() => failed(format!(
                "no answer within {} ms",
                timeout.min(TIMEOUT).as_millis()
            )),
            Err(e) => failed(format!("{e}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_reserved_addresses_are_not_public() {
        for bad in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "192.0.2.1",
            "198.18.0.1",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "2001:db8::1",
            "64:ff9b::a00:1",
            "::127.0.0.1",
        ] {
            assert!(!is_public(bad.parse().unwrap()), "{bad}");
        }
        for good in [
            "93.184.216.34",
            "8.8.8.8",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
        ] {
            assert!(is_public(good.parse().unwrap()), "{good}");
        }
    }
}
