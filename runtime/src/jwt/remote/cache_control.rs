//! How long a response may be used, from its `Cache-Control` (RFC 9111 §5.2.2).

use std::time::Duration;

/// The `max-age` of a `Cache-Control` value; `Some(0)` for `no-cache` or `no-store` (fetch as
/// often as allowed); `None` when it says nothing about freshness or does not parse.
pub(super) fn max_age(cache_control: Option<&str>) -> Option<Duration> {
    let mut found = None;
    for directive in cache_control?.split(',') {
        let directive = directive.trim();
        let (name, value) = directive.split_once('=').unwrap_or((directive, ""));
        let name = name.trim();
        if name.eq_ignore_ascii_case("no-cache") || name.eq_ignore_ascii_case("no-store") {
            return Some(Duration::ZERO);
        }
        if name.eq_ignore_ascii_case("max-age") {
            let seconds = value.trim().trim_matches('"');
            // Two `max-age`s, or one that is not a number: the value is invalid (§4.2.1).
            if found.is_some() || seconds.is_empty() || !seconds.bytes().all(|b| b.is_ascii_digit())
            {
                return None;
            }
            // A number too large for u64 is "a very long time", which the upper bound caps.
            found = Some(Duration::from_secs(seconds.parse().unwrap_or(u64::MAX)));
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_max_age() {
        let secs = |v: &str| max_age(Some(v)).map(|d| d.as_secs());
        assert_eq!(
            secs("public, max-age=15, stale-while-revalidate=15"),
            Some(15)
        );
        assert_eq!(secs("MAX-AGE=\"300\""), Some(300));
        assert_eq!(secs("public, max-age=23712, must-revalidate"), Some(23712));
        assert_eq!(secs("no-store"), Some(0));
        assert_eq!(secs("max-age=60, no-cache"), Some(0));
        assert_eq!(secs("max-age=99999999999999999999999"), Some(u64::MAX));
        assert_eq!(secs("public"), None);
        assert_eq!(secs("max-age=-1"), None);
        assert_eq!(secs("max-age=1e3"), None);
        assert_eq!(secs("max-age=10, max-age=20"), None);
        assert_eq!(max_age(None), None);
    }
}
