//! The outbound-request guard, against server-side request forgery.
//!
//! A peer's documents name URLs this server then requests (an inbox, a key, a
//! redirect target). Without a guard, anyone who can post to the inbox can make
//! the server connect to its own loopback, the local network or a cloud metadata
//! address. Every request the server makes goes through one client that:
//! - allows only https (http only for pinned peers or with private peers allowed);
//! - resolves names itself and refuses any that resolves to a non-public address,
//!   then connects to the addresses it checked (reqwest connects to what the
//!   resolver returned: there is no second lookup an attacker could race);
//! - refuses literal non-public addresses, which never reach a resolver, both in
//!   the first URL (`check_url`, called before every request) and at every
//!   redirect hop (the redirect policy);
//! - follows at most `MAX_REDIRECTS` redirects.
//!
//! `federation.hosts` pins names to addresses the admin trusts (a closed network,
//! the test suite): those are reachable even when private. `allow_private_peers`
//! switches the address checks off altogether (tests and closed networks only).

use crate::FederationSettings;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::redirect::Policy;
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use url::{Host, Url};

/// Redirects followed for one request; one more is an error.
pub const MAX_REDIRECTS: usize = 3;

/// Why the guard refused a request. Kept as its own error type so that a
/// refusal deep inside reqwest can be told from a network failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused(pub String);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "outbound request refused: {}", self.0)
    }
}

impl std::error::Error for Refused {}

impl Refused {
    /// The guard's refusal somewhere in an error's chain of sources, if any.
    pub fn find_in<'a>(error: &'a (dyn std::error::Error + 'static)) -> Option<&'a Refused> {
        let mut current = Some(error);
        while let Some(err) = current {
            if let Some(refused) = err.downcast_ref::<Refused>() {
                return Some(refused);
            }
            current = err.source();
        }
        None
    }
}

#[derive(Debug, Clone)]
pub struct OutboundGuard {
    allow_private: bool,
    pinned: HashMap<String, IpAddr>,
}

impl OutboundGuard {
    pub fn new(settings: &FederationSettings) -> Arc<Self> {
        Arc::new(Self {
            allow_private: settings.allow_private_peers,
            pinned: settings
                .hosts
                .iter()
                .map(|(name, ip)| (name.to_ascii_lowercase(), *ip))
                .collect(),
        })
    }

    /// Whether `host` is trusted to be reached over plain http.
    pub fn plain_http_allowed(&self, host: &str) -> bool {
        self.allow_private || self.pinned.contains_key(&normalize(host))
    }

    /// Refuses a URL the server must not request. Names are checked again when
    /// they are resolved; this catches what no resolver sees.
    pub fn check_url(&self, url: &Url) -> Result<(), Refused> {
        let host = url.host_str().unwrap_or_default();
        match url.scheme() {
            "https" => {}
            "http" if self.plain_http_allowed(host) => {}
            "http" => return Err(Refused(format!("{url}: plain http is not allowed"))),
            other => return Err(Refused(format!("{url}: the scheme {other} is not allowed"))),
        }
        match url.host() {
            None => Err(Refused(format!("{url}: no host"))),
            Some(Host::Domain(_)) => Ok(()),
            Some(Host::Ipv4(ip)) => self.check_ip(url, IpAddr::V4(ip)),
            Some(Host::Ipv6(ip)) => self.check_ip(url, IpAddr::V6(ip)),
        }
    }

    fn check_ip(&self, url: &Url, ip: IpAddr) -> Result<(), Refused> {
        if self.allow_private || is_public(ip) {
            Ok(())
        } else {
            Err(Refused(format!("{url}: {ip} is not a public address")))
        }
    }

    /// The resolver the client connects through.
    pub fn resolver(self: &Arc<Self>) -> Arc<GuardedResolver> {
        Arc::new(GuardedResolver(self.clone()))
    }

    /// The redirect policy: each hop is checked like a first request.
    pub fn redirect_policy(self: &Arc<Self>) -> Policy {
        let guard = self.clone();
        Policy::custom(move |attempt| {
            if attempt.previous().len() > MAX_REDIRECTS {
                return attempt.error(Refused(format!("more than {MAX_REDIRECTS} redirects")));
            }
            match guard.check_url(attempt.url()) {
                Ok(()) => attempt.follow(),
                Err(refused) => attempt.error(refused),
            }
        })
    }
}

fn normalize(host: &str) -> String {
    host.trim_end_matches('.').to_ascii_lowercase()
}

/// Resolves names for the client: pinned names to their pinned address, others
/// through the system resolver, refusing any name with a non-public address.
pub struct GuardedResolver(Arc<OutboundGuard>);

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let guard = self.0.clone();
        let host = normalize(name.as_str());
        Box::pin(async move {
            if let Some(ip) = guard.pinned.get(&host) {
                // Port 0: reqwest uses the port of the URL.
                let addrs: Addrs = Box::new(std::iter::once(SocketAddr::new(*ip, 0)));
                return Ok(addrs);
            }
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if !guard.allow_private {
                if let Some(bad) = found.iter().find(|addr| !is_public(addr.ip())) {
                    let refused = Refused(format!("{host} resolves to {}", bad.ip()));
                    return Err(refused.into());
                }
            }
            let addrs: Addrs = Box::new(found.into_iter());
            Ok(addrs)
        })
    }
}

/// Whether `ip` is an address on the public internet: not loopback, private,
/// link-local, shared, multicast, broadcast, unspecified, documentation or
/// reserved, in any of the IPv6 forms that embed an IPv4 address.
pub fn is_public(ip: IpAddr) -> bool {
    match ip.to_canonical() {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    let special = ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local() // 169.254/16, cloud metadata services among them
        || ip.is_multicast()
        || ip.is_broadcast()
        || ip.is_unspecified()
        || ip.is_documentation()
        || a == 0 // "this network"
        || (a == 100 && (64..128).contains(&b)) // carrier-grade NAT, 100.64/10
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (18..20).contains(&b)) // benchmarking, 198.18/15
        || a >= 240; // reserved
    !special
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let segments = ip.segments();
    // Forms that carry an IPv4 address are judged by that address:
    // IPv4-compatible (::a.b.c.d), NAT64 (64:ff9b::/96) and 6to4 (2002::/16).
    let embedded_v4 =
        |hi: u16, lo: u16| Ipv4Addr::new((hi >> 8) as u8, hi as u8, (lo >> 8) as u8, lo as u8);
    if segments[..6] == [0; 6] && !ip.is_loopback() && !ip.is_unspecified() {
        return is_public_v4(embedded_v4(segments[6], segments[7]));
    }
    if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return is_public_v4(embedded_v4(segments[6], segments[7]));
    }
    if segments[0] == 0x2002 {
        return is_public_v4(embedded_v4(segments[1], segments[2]));
    }
    let special = ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (segments[0] & 0xfe00) == 0xfc00 // unique local, fc00::/7
        || (segments[0] & 0xffc0) == 0xfe80 // link-local, fe80::/10
        || (segments[0] & 0xffc0) == 0xfec0 // site-local (deprecated), fec0::/10
        || (segments[0] == 0x2001 && segments[1] == 0x0db8) // documentation
        || (segments[0] == 0x0100 && segments[1..4] == [0; 3]); // discard-only
    !special
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guard(allow_private: bool, pinned: &[(&str, &str)]) -> OutboundGuard {
        OutboundGuard {
            allow_private,
            pinned: pinned
                .iter()
                .map(|(n, ip)| (n.to_string(), ip.parse().unwrap()))
                .collect(),
        }
    }

    #[test]
    fn only_public_addresses_are_public() {
        for ip in [
            "127.0.0.1",
            "127.8.9.10",
            "10.0.0.1",
            "172.16.5.4",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "0.1.2.3",
            "255.255.255.255",
            "224.0.0.1",
            "192.0.2.7",
            "198.18.0.1",
            "240.0.0.1",
            "::1",
            "::",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::ffff:10.0.0.1",
            "::127.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "2002:7f00:1::",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "fec0::1",
            "ff02::1",
            "2001:db8::1",
        ] {
            assert!(!is_public(ip.parse().unwrap()), "{ip} counted as public");
        }
        for ip in [
            "1.1.1.1",
            "93.184.216.34",
            "100.128.0.1",
            "::ffff:93.184.216.34",
            "2606:4700:4700::1111",
            "2002:5db8:d822::",
        ] {
            assert!(is_public(ip.parse().unwrap()), "{ip} counted as private");
        }
    }

    #[test]
    fn urls_are_refused_for_scheme_and_literal_address() {
        let g = guard(false, &[("peer.test", "127.0.0.2")]);
        let ok = |u: &str| g.check_url(&Url::parse(u).unwrap()).is_ok();
        assert!(ok("https://example.org/inbox"));
        assert!(ok("https://93.184.216.34/inbox"));
        assert!(
            ok("http://peer.test:8080/inbox"),
            "pinned peers may use http"
        );
        assert!(!ok("http://example.org/inbox"));
        assert!(!ok("ftp://example.org/x"));
        assert!(!ok("file:///etc/passwd"));
        assert!(!ok("https://127.0.0.1/inbox"));
        assert!(!ok("https://[::1]:8443/inbox"));
        assert!(!ok("https://[::ffff:7f00:1]/inbox"));
        assert!(!ok("https://169.254.169.254/latest/meta-data/"));
        assert!(!ok("https://10.0.0.1/"));
        // Names are left to the resolver, which sees every connection.
        assert!(ok("https://localhost/"));
        let open = guard(true, &[]);
        assert!(open
            .check_url(&Url::parse("http://127.0.0.1/").unwrap())
            .is_ok());
    }

    #[tokio::test]
    async fn the_resolver_refuses_names_of_private_addresses_and_keeps_pins() {
        let g = Arc::new(guard(false, &[("peer.test", "127.0.0.2")]));
        let resolver = g.resolver();
        let pinned: Vec<_> = resolver
            .resolve("peer.test".parse().unwrap())
            .await
            .unwrap()
            .collect();
        assert_eq!(pinned, vec!["127.0.0.2:0".parse().unwrap()]);
        let error = match resolver.resolve("localhost".parse().unwrap()).await {
            Ok(_) => panic!("localhost resolved"),
            Err(error) => error,
        };
        assert!(Refused::find_in(error.as_ref()).is_some(), "{error}");
    }
}
