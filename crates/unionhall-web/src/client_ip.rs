//! Who is asking: the address limits count requests by.
//!
//! The connection's peer, unless that peer is one of `http.trusted_proxies`:
//! then X-Forwarded-For is read from the right (the entry the nearest proxy
//! added), passing over the trusted proxies themselves, to the first address
//! that is not one. A client that is not a trusted proxy cannot choose its
//! address by sending the header itself.

use axum::extract::ConnectInfo;
use axum::http::{Extensions, HeaderMap};
use std::net::{IpAddr, SocketAddr};

/// An address block, `192.0.2.0/24`, `::1/128`, or one address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// A block as written in the settings; the reason if it is not one.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let (addr, prefix) = match text.split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (text, None),
        };
        let addr: IpAddr = addr
            .parse()
            .map_err(|_| format!("{text:?} is not an address or an address block"))?;
        let most = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => most,
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= most)
                .ok_or_else(|| format!("{text:?}: the prefix must be 0 to {most}"))?,
        };
        Ok(Self { addr, prefix })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match (self.addr, ip) {
            (IpAddr::V4(_), IpAddr::V6(v6)) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            _ => ip,
        };
        let bits = |ip: IpAddr| -> Option<(u128, u32)> {
            match ip {
                IpAddr::V4(v4) => Some((u128::from(u32::from(v4)), 32)),
                IpAddr::V6(v6) => Some((u128::from(v6), 128)),
            }
        };
        match (bits(self.addr), bits(ip)) {
            (Some((block, width)), Some((ip, same))) if width == same => {
                let shift = width - u32::from(self.prefix);
                shift >= width || (block >> shift) == (ip >> shift)
            }
            _ => false,
        }
    }
}

/// The client's address (see the module's comment).
pub(crate) fn client_ip(
    extensions: &Extensions,
    headers: &HeaderMap,
    trusted: &[Cidr],
) -> Option<IpAddr> {
    let peer = extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0.ip())?;
    let is_trusted = |ip: IpAddr| trusted.iter().any(|block| block.contains(ip));
    if !is_trusted(peer) {
        return Some(peer);
    }
    let forwarded: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|ip| ip.trim().parse().ok())
        .collect();
    let client = forwarded
        .iter()
        .rev()
        .find(|ip| !is_trusted(**ip))
        .or(forwarded.first());
    Some(client.copied().unwrap_or(peer))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn blocks_hold_their_addresses_only() {
        let block = Cidr::parse("10.88.0.0/16").unwrap();
        assert!(block.contains(ip("10.88.3.4")));
        assert!(!block.contains(ip("10.89.0.1")));
        assert!(Cidr::parse("::1").unwrap().contains(ip("::1")));
        assert!(Cidr::parse("0.0.0.0/0")
            .unwrap()
            .contains(ip("203.0.113.9")));
        assert!(Cidr::parse("127.0.0.0/8")
            .unwrap()
            .contains(ip("::ffff:127.0.0.1")));
        assert!(Cidr::parse("10.0.0.0/33").is_err());
        assert!(Cidr::parse("proxy.local").is_err());
    }

    #[test]
    fn the_header_counts_only_from_a_trusted_proxy() {
        let trusted = [Cidr::parse("10.88.0.0/16").unwrap()];
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-forwarded-for",
            "198.51.100.1, 203.0.113.5, 10.88.0.7".parse().unwrap(),
        );
        let from = |peer: &str| {
            let mut extensions = Extensions::new();
            extensions.insert(ConnectInfo(SocketAddr::new(ip(peer), 4000)));
            client_ip(&extensions, &headers, &trusted)
        };
        // Through the proxy: the first address left of the trusted ones.
        assert_eq!(from("10.88.0.2"), Some(ip("203.0.113.5")));
        // Straight from a client that sends the header itself: its own address.
        assert_eq!(from("192.0.2.44"), Some(ip("192.0.2.44")));
    }
}
