//! How hldc says who it is to registries and http servers: HTTP basic credentials, and the
//! `WWW-Authenticate` challenge a registry answers a 401 with. Imports nothing of hldc's: the
//! source fetchers (`http.rs`, `oci.rs`) and the shared cache (`registry.rs`, which
//! `FetchOptions` holds) both stand on it.

/// RFC 4648 base64, for a basic `Authorization` header.
pub(crate) fn base64(bytes: &[u8]) -> String {
    const TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        out.push(TABLE[(n >> 18) as usize & 63] as char);
        out.push(TABLE[(n >> 12) as usize & 63] as char);
        out.push(if chunk.len() > 1 { TABLE[(n >> 6) as usize & 63] as char } else { '=' });
        out.push(if chunk.len() > 2 { TABLE[n as usize & 63] as char } else { '=' });
    }
    out
}

/// A `WWW-Authenticate` header: `Bearer realm="…",service="…",scope="…"`.
pub(crate) struct Challenge {
    /// Lower case.
    pub(crate) scheme: String,
    params: Vec<(String, String)>,
}

impl Challenge {
    pub(crate) fn parse(header: &str) -> Challenge {
        let (scheme, rest) = header.trim().split_once(' ').unwrap_or((header.trim(), ""));
        let pattern = regex::Regex::new(r#"([A-Za-z_]+)="([^"]*)""#).expect("a valid pattern");
        let params = pattern.captures_iter(rest).map(|c| (c[1].to_ascii_lowercase(), c[2].to_string())).collect();
        Challenge { scheme: scheme.to_ascii_lowercase(), params }
    }

    pub(crate) fn param(&self, name: &str) -> Option<&str> {
        self.params.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenges_are_parsed() {
        let c =
            Challenge::parse(r#"Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:o/c:pull""#);
        assert_eq!(c.scheme, "bearer");
        assert_eq!(c.param("realm"), Some("https://ghcr.io/token"));
        assert_eq!(c.param("scope"), Some("repository:o/c:pull"));
        assert_eq!(Challenge::parse(r#"Basic realm="Registry Realm""#).scheme, "basic");
    }

    #[test]
    fn base64_matches_rfc4648() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }
}
