//! Per-IP rate limits (GCRA through the `governor` crate), and the client address extractor.

use std::convert::Infallible;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// Allows each IP address a number of actions per minute or per hour, in bursts of up to that
/// many.
#[derive(Clone)]
pub struct IpLimiter {
    inner: Arc<DefaultKeyedRateLimiter<IpAddr>>,
}

impl IpLimiter {
    /// A limiter of `per_minute` actions per IP (at least 1).
    pub fn per_minute(per_minute: u32) -> IpLimiter {
        IpLimiter::with(Quota::per_minute(at_least_one(per_minute)))
    }

    /// A limiter of `per_hour` actions per IP (at least 1).
    pub fn per_hour(per_hour: u32) -> IpLimiter {
        IpLimiter::with(Quota::per_hour(at_least_one(per_hour)))
    }

    fn with(quota: Quota) -> IpLimiter {
        IpLimiter { inner: Arc::new(RateLimiter::keyed(quota)) }
    }

    /// Whether `ip` may act now (and counts the action).
    pub fn check(&self, ip: IpAddr) -> bool {
        let ok = self.inner.check_key(&ip).is_ok();
        // Keep memory bounded: forget addresses whose allowance is full again.
        if self.inner.len() > 10_000 {
            self.inner.retain_recent();
        }
        ok
    }
}

fn at_least_one(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN)
}

/// The address of the client, as the TCP connection gives it (behind a reverse proxy: the
/// proxy's address, so the limits then apply to the whole site; see docs/PRIVACY.md).
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let ip = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip());
        Ok(ClientIp(ip))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_address_has_its_own_allowance() {
        let l = IpLimiter::per_minute(3);
        let a = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
        let b = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2));
        assert_eq!((0..5).map(|_| l.check(a)).collect::<Vec<_>>(), [true, true, true, false, false]);
        assert!(l.check(b));
    }
}
