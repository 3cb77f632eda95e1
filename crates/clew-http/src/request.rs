//! What the layers read from a request: the method as a span name, the protocol version,
//! host and port, and URLs with their credentials and signatures masked.

use std::borrow::Cow;

/// What replaces a credential or a signature in a recorded URL, as the HTTP conventions ask.
pub(crate) const REDACTED: &str = "REDACTED";

/// Query parameters whose values the conventions ask to redact in `url.full` and
/// `url.query`: request signatures that grant access by themselves.
const SIGNATURE_PARAMETERS: [&str; 4] = ["AWSAccessKeyId", "Signature", "sig", "X-Goog-Signature"];

/// The methods the conventions name, which a span name may carry.
const KNOWN_METHODS: [&str; 9] = ["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"];

/// The method as it goes into a span name: one of the nine well-known methods, or `HTTP`
/// for any other (the conventions' rule, so that made-up methods do not make new names).
/// Compared without regard to case, as `clew::semconv::http` records the attribute.
pub(crate) fn span_method(method: &http::Method) -> &'static str {
    let text = method.as_str();
    KNOWN_METHODS.iter().find(|known| known.eq_ignore_ascii_case(text)).copied().unwrap_or("HTTP")
}

/// `network.protocol.version` of an HTTP version.
pub(crate) fn protocol_version(version: http::Version) -> Option<&'static str> {
    match version {
        http::Version::HTTP_09 => Some("0.9"),
        http::Version::HTTP_10 => Some("1.0"),
        http::Version::HTTP_11 => Some("1.1"),
        http::Version::HTTP_2 => Some("2"),
        http::Version::HTTP_3 => Some("3"),
        _ => None,
    }
}

/// The host and port of an authority (`host`, `host:port`, `[v6]:port`, with or without
/// `user@` in front). An IPv6 address comes back without its brackets; a port that is not
/// a number is left out.
pub(crate) fn split_host_port(authority: &str) -> (&str, Option<u16>) {
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, rest)| rest);
    if let Some(bracketed) = host_port.strip_prefix('[') {
        let Some((host, rest)) = bracketed.split_once(']') else {
            return (host_port, None);
        };
        let port = rest.strip_prefix(':').and_then(|port| port.parse().ok());
        return (host, port);
    }
    match host_port.split_once(':') {
        // One colon: `host:port`. More than one is a bare IPv6 address, which has no port.
        Some((host, port)) if !port.contains(':') => (host, port.parse().ok()),
        _ => (host_port, None),
    }
}

/// The port a scheme implies when the URL names none.
pub(crate) fn default_port(scheme: &str) -> Option<u16> {
    if scheme.eq_ignore_ascii_case("http") {
        Some(80)
    } else if scheme.eq_ignore_ascii_case("https") {
        Some(443)
    } else {
        None
    }
}

/// `url` as `url.full` may hold it: a user name and password replaced by `REDACTED`, and
/// the values of signature parameters in the query too.
pub(crate) fn redact_url(url: &str) -> Cow<'_, str> {
    let (before_query, query_and_fragment) = match url.find('?') {
        Some(at) => url.split_at(at),
        None => (url, ""),
    };
    let credentials = userinfo_range(before_query);
    let query = query_and_fragment.strip_prefix('?').map(|rest| rest.split_once('#').map_or(rest, |(query, _)| query));
    let redacted_query = query.map(redact_query);
    let query_changed = matches!(redacted_query, Some(Cow::Owned(_)));
    if credentials.is_none() && !query_changed {
        return Cow::Borrowed(url);
    }
    let mut redacted = String::with_capacity(url.len());
    match credentials {
        Some((start, end, has_password)) => {
            redacted.push_str(&before_query[..start]);
            redacted.push_str(REDACTED);
            if has_password {
                redacted.push(':');
                redacted.push_str(REDACTED);
            }
            redacted.push_str(&before_query[end..]);
        }
        None => redacted.push_str(before_query),
    }
    match (query, redacted_query) {
        (Some(query), Some(new_query)) => {
            redacted.push('?');
            redacted.push_str(&new_query);
            redacted.push_str(&query_and_fragment[1 + query.len()..]);
        }
        _ => redacted.push_str(query_and_fragment),
    }
    Cow::Owned(redacted)
}

/// Where the user information of `scheme://user:password@host/…` is: its start and end
/// (the `@` excluded) and whether it has a password.
fn userinfo_range(url: &str) -> Option<(usize, usize, bool)> {
    let start = url.find("://")? + 3;
    let authority_end = url[start..].find(['/', '#']).map_or(url.len(), |end| start + end);
    let at = url[start..authority_end].rfind('@')? + start;
    Some((start, at, url[start..at].contains(':')))
}

/// A query (without `?`) with the values of signature parameters replaced by `REDACTED`.
pub(crate) fn redact_query(query: &str) -> Cow<'_, str> {
    let is_signature = |pair: &str| {
        let name = pair.split_once('=').map_or(pair, |(name, _)| name);
        SIGNATURE_PARAMETERS.contains(&name)
    };
    if !query.split('&').any(|pair| is_signature(pair) && pair.contains('=')) {
        return Cow::Borrowed(query);
    }
    let pairs: Vec<Cow<'_, str>> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, _)) if SIGNATURE_PARAMETERS.contains(&name) => Cow::Owned(format!("{name}={REDACTED}")),
            _ => Cow::Borrowed(pair),
        })
        .collect();
    Cow::Owned(pairs.join("&"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn well_known_methods_name_spans_and_others_are_http() {
        assert_eq!(span_method(&http::Method::GET), "GET");
        assert_eq!(span_method(&http::Method::from_bytes(b"patch").unwrap()), "PATCH");
        assert_eq!(span_method(&http::Method::from_bytes(b"PURGE").unwrap()), "HTTP");
    }

    #[test]
    fn hosts_and_ports_are_split_for_names_addresses_and_bracketed_ipv6() {
        assert_eq!(split_host_port("shop.example"), ("shop.example", None));
        assert_eq!(split_host_port("shop.example:8080"), ("shop.example", Some(8080)));
        assert_eq!(split_host_port("10.0.0.1:80"), ("10.0.0.1", Some(80)));
        assert_eq!(split_host_port("[::1]:3000"), ("::1", Some(3000)));
        assert_eq!(split_host_port("[::1]"), ("::1", None));
        assert_eq!(split_host_port("::1"), ("::1", None));
        assert_eq!(split_host_port("user:secret@db:5432"), ("db", Some(5432)));
        assert_eq!(split_host_port("host:http"), ("host", None));
    }

    #[test]
    fn credentials_and_signatures_are_redacted_and_everything_else_kept() {
        assert_eq!(redact_url("https://shop.example/cart?id=7"), "https://shop.example/cart?id=7");
        assert!(matches!(redact_url("https://shop.example/cart?id=7"), Cow::Borrowed(_)));
        assert_eq!(redact_url("https://user:pw@shop.example:8443/a"), "https://REDACTED:REDACTED@shop.example:8443/a");
        assert_eq!(redact_url("http://token@shop.example/"), "http://REDACTED@shop.example/");
        assert_eq!(
            redact_url("https://s3.example/o?X-Goog-Signature=abc&id=1&Signature=def#frag"),
            "https://s3.example/o?X-Goog-Signature=REDACTED&id=1&Signature=REDACTED#frag"
        );
        assert_eq!(redact_url("https://shop.example/a@b"), "https://shop.example/a@b");
        assert_eq!(redact_url("https://shop.example/?email=a@b"), "https://shop.example/?email=a@b");
        assert_eq!(redact_query("sig=1&sig"), "sig=REDACTED&sig");
        assert_eq!(redact_query("signature=1"), "signature=1");
    }
}
