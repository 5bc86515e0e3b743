//! The compact serialization: the length cap, three segments, strict base64url.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::error::{TokenCode, TokenError};

/// The three segments of a compact JWS, still encoded.
pub(crate) struct Parts<'t> {
    pub header: &'t str,
    pub payload: &'t str,
    pub signature: &'t str,
    /// `header.payload`: the bytes the signature covers.
    pub signing_input: &'t [u8],
}

/// Splits `token` into its segments after the length cap, before any decoding.
///
/// Only the base64url alphabet may appear inside a segment: padding, `+`, `/`, whitespace or a
/// byte-order mark refuse the token here (RFC 7515 §2 forbids them), so no decoder downstream
/// gets to be lenient about them.
pub(crate) fn split(token: &str, max_len: usize) -> Result<Parts<'_>, TokenError> {
    if token.len() > max_len {
        return Err(TokenError::new(TokenCode::TooLong));
    }
    let bytes = token.as_bytes();
    if !bytes.iter().all(|&b| b == b'.' || is_base64url(b)) {
        return Err(TokenError::new(TokenCode::Malformed));
    }
    let mut segments = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) = (
        segments.next(),
        segments.next(),
        segments.next(),
        segments.next(),
    ) else {
        return Err(TokenError::new(TokenCode::Malformed));
    };
    // An empty payload is a valid JWS (the claims check refuses it later); an empty header or
    // signature never is.
    if header.is_empty() || signature.is_empty() {
        return Err(TokenError::new(TokenCode::Malformed));
    }
    Ok(Parts {
        header,
        payload,
        signature,
        signing_input: &bytes[..header.len() + 1 + payload.len()],
    })
}

/// Decodes one segment: base64url, no padding, canonical trailing bits.
pub(crate) fn decode_segment(segment: &str) -> Result<Vec<u8>, TokenError> {
    URL_SAFE_NO_PAD
        .decode(segment)
        .map_err(|_| TokenError::new(TokenCode::Malformed))
}

const fn is_base64url(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_segments_only() {
        assert!(split("a.b.c", 100).is_ok());
        assert!(split("a..c", 100).is_ok());
        for bad in ["a.b", "a.b.c.d", ".b.c", "a.b.", "", "a.b.c."] {
            assert_eq!(
                split(bad, 100).err().map(|e| e.code()),
                Some("malformed"),
                "{bad}"
            );
        }
    }

    #[test]
    fn alphabet_is_base64url() {
        for bad in [
            "a=.b.c",
            "a+.b.c",
            "a/.b.c",
            "a .b.c",
            "\u{feff}a.b.c",
            "a.b.c\n",
        ] {
            assert!(split(bad, 100).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn cap_applies_first() {
        assert_eq!(split("a=.b.c", 3).err().map(|e| e.code()), Some("too_long"));
    }

    #[test]
    fn non_canonical_trailing_bits_refused() {
        assert!(decode_segment("AA").is_ok());
        assert!(decode_segment("AB").is_err());
    }
}
