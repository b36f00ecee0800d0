//! Sprig's `urlParse` and `urlJoin` over a port of what they use of Go's `net/url`: `Parse`
//! (no normalisation: the scheme lowered, the path and fragment unescaped, the query kept as
//! written, a rootless URL opaque) and `URL.String()` with Go's escaping of each part. The
//! WHATWG parser of the `url` crate normalises where Go does not, so it is not used.
//!
//! Go strings are bytes; the parts are kept as bytes and become template strings at the end
//! (an escape of an invalid UTF-8 byte, `%ff`, is replaced there).

use super::{fixed, go_quote as fmt_quote, map_arg, string_arg, Entry, Value};

pub(super) const FUNCTIONS: &[Entry] = &[("urlParse", url_parse), ("urlJoin", url_join)];

fn url_parse(args: &[Value]) -> Result<Value, String> {
    let [text] = fixed("urlParse", args)?;
    let url = parse(string_arg(text)?.as_bytes()).map_err(|error| format!("unable to parse url: {error}"))?;
    let text = |bytes: &[u8]| Value::string(String::from_utf8_lossy(bytes).as_ref());
    let entries = [
        ("scheme", text(&url.scheme)),
        ("host", text(&url.host)),
        ("hostname", text(hostname(&url.host))),
        ("path", text(&url.path)),
        ("query", text(&url.raw_query)),
        ("opaque", text(&url.opaque)),
        ("fragment", text(&url.fragment)),
        ("userinfo", text(&url.user.as_ref().map(User::text).unwrap_or_default())),
    ];
    Ok(Value::map(entries.into_iter().map(|(key, value)| (key.to_string(), value)).collect()))
}

fn url_join(args: &[Value]) -> Result<Value, String> {
    let [dict] = fixed("urlJoin", args)?;
    let dict = map_arg(dict)?.borrow();
    let part = |key: &str| -> Result<Vec<u8>, String> {
        match dict.get(key) {
            None => Ok(Vec::new()),
            Some(Value::String(text)) => Ok(text.as_bytes().to_vec()),
            // reflect.TypeOf(nil).Kind() dereferences a nil Type.
            Some(Value::Nil) => Err("runtime error: invalid memory address or nil pointer dereference".into()),
            Some(other) => {
                Err(format!("unable to parse {key} key, must be of type string, but {} found", other.kind()))
            }
        }
    };
    let mut url = Url {
        scheme: part("scheme")?,
        host: part("host")?,
        path: part("path")?,
        raw_query: part("query")?,
        opaque: part("opaque")?,
        fragment: part("fragment")?,
        ..Url::default()
    };
    let userinfo = part("userinfo")?;
    if !userinfo.is_empty() {
        let probe = [b"proto://".as_slice(), &userinfo, b"@host"].concat();
        url.user = parse(&probe).map_err(|error| format!("unable to parse userinfo in dict: {error}"))?.user;
    }
    Ok(Value::string(String::from_utf8_lossy(&url.text()).as_ref()))
}

/// Go's `url.URL`, the fields Sprig reads and writes.
#[derive(Default)]
struct Url {
    scheme: Vec<u8>,
    opaque: Vec<u8>,
    user: Option<User>,
    host: Vec<u8>,
    path: Vec<u8>,
    raw_path: Vec<u8>,
    force_query: bool,
    raw_query: Vec<u8>,
    fragment: Vec<u8>,
    raw_fragment: Vec<u8>,
}

/// Go's `url.Userinfo`.
struct User {
    name: Vec<u8>,
    password: Option<Vec<u8>>,
}

impl User {
    /// `Userinfo.String()`: `name[:password]`, each escaped.
    fn text(&self) -> Vec<u8> {
        let mut text = escape(&self.name, Mode::UserPassword);
        if let Some(password) = &self.password {
            text.push(b':');
            text.extend(escape(password, Mode::UserPassword));
        }
        text
    }
}

/// The part of a URL being escaped or unescaped (Go's `encoding` modes).
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Path,
    Host,
    Zone,
    UserPassword,
    Fragment,
}

/// Go's `url.Error` text: `parse "URL": reason`.
fn parse_error(url: &[u8], reason: impl std::fmt::Display) -> String {
    format!("parse {}: {reason}", fmt_quote(&String::from_utf8_lossy(url)))
}

/// Go's `url.Parse`.
fn parse(raw: &[u8]) -> Result<Url, String> {
    let (before, fragment) = match raw.iter().position(|&b| b == b'#') {
        Some(at) => (&raw[..at], Some(&raw[at + 1..])),
        None => (raw, None),
    };
    let mut url = parse_reference(before).map_err(|reason| parse_error(before, reason))?;
    if let Some(fragment) = fragment.filter(|fragment| !fragment.is_empty()) {
        url.fragment = unescape(fragment, Mode::Fragment).map_err(|reason| parse_error(raw, reason))?;
        if escape(&url.fragment, Mode::Fragment) != fragment {
            url.raw_fragment = fragment.to_vec();
        }
    }
    Ok(url)
}

/// Go's `parse(rawURL, viaRequest=false)`.
fn parse_reference(raw: &[u8]) -> Result<Url, String> {
    if raw.iter().any(|&b| b < b' ' || b == 0x7f) {
        return Err("net/url: invalid control character in URL".into());
    }
    let mut url = Url::default();
    if raw == b"*" {
        url.path = b"*".to_vec();
        return Ok(url);
    }
    let (scheme, rest) = split_scheme(raw)?;
    url.scheme = scheme.to_ascii_lowercase();
    let mut rest = rest;
    if rest.ends_with(b"?") && rest.iter().filter(|&&b| b == b'?').count() == 1 {
        url.force_query = true;
        rest = &rest[..rest.len() - 1];
    } else if let Some(at) = rest.iter().position(|&b| b == b'?') {
        url.raw_query = rest[at + 1..].to_vec();
        rest = &rest[..at];
    }
    if !rest.starts_with(b"/") {
        if !url.scheme.is_empty() {
            url.opaque = rest.to_vec();
            return Ok(url);
        }
        let segment = rest.split(|&b| b == b'/').next().unwrap_or_default();
        if segment.contains(&b':') {
            return Err("first path segment in URL cannot contain colon".into());
        }
    }
    if (!url.scheme.is_empty() || !rest.starts_with(b"///")) && rest.starts_with(b"//") {
        let authority = &rest[2..];
        let (authority, path) = match authority.iter().position(|&b| b == b'/') {
            Some(at) => (&authority[..at], &authority[at..]),
            None => (authority, &b""[..]),
        };
        (url.user, url.host) = parse_authority(authority)?;
        rest = path;
    }
    url.path = unescape(rest, Mode::Path)?;
    if escape(&url.path, Mode::Path) != rest {
        url.raw_path = rest.to_vec();
    }
    Ok(url)
}

/// Go's `getScheme`: `[a-zA-Z][a-zA-Z0-9+-.]*:`, or no scheme.
fn split_scheme(raw: &[u8]) -> Result<(&[u8], &[u8]), String> {
    for (at, &b) in raw.iter().enumerate() {
        match b {
            b'a'..=b'z' | b'A'..=b'Z' => {}
            b'0'..=b'9' | b'+' | b'-' | b'.' if at > 0 => {}
            b':' if at == 0 => return Err("missing protocol scheme".into()),
            b':' => return Ok((&raw[..at], &raw[at + 1..])),
            _ => return Ok((&[], raw)),
        }
    }
    Ok((&[], raw))
}

fn parse_authority(authority: &[u8]) -> Result<(Option<User>, Vec<u8>), String> {
    let at = authority.iter().rposition(|&b| b == b'@');
    let host = parse_host(&authority[at.map_or(0, |at| at + 1)..])?;
    let Some(at) = at else { return Ok((None, host)) };
    let userinfo = &authority[..at];
    if !userinfo.iter().all(|&b| b.is_ascii_alphanumeric() || b"-._:~!$&'()*+,;=%@".contains(&b)) {
        return Err("net/url: invalid userinfo".into());
    }
    let user = match userinfo.iter().position(|&b| b == b':') {
        None => User { name: unescape(userinfo, Mode::UserPassword)?, password: None },
        Some(colon) => User {
            name: unescape(&userinfo[..colon], Mode::UserPassword)?,
            password: Some(unescape(&userinfo[colon + 1..], Mode::UserPassword)?),
        },
    };
    Ok((Some(user), host))
}

/// Go's `parseHost`: `host[:port]` or `[ipv6%25zone]:port`, unescaped.
fn parse_host(host: &[u8]) -> Result<Vec<u8>, String> {
    if host.starts_with(b"[") {
        let Some(close) = host.iter().rposition(|&b| b == b']') else {
            return Err("missing ']' in host".into());
        };
        check_port(&host[close + 1..])?;
        if let Some(zone) = find(&host[..close], b"%25") {
            let mut unescaped = unescape(&host[..zone], Mode::Host)?;
            unescaped.extend(unescape(&host[zone..close], Mode::Zone)?);
            unescaped.extend(unescape(&host[close..], Mode::Host)?);
            return Ok(unescaped);
        }
    } else if let Some(colon) = host.iter().rposition(|&b| b == b':') {
        check_port(&host[colon..])?;
    }
    unescape(host, Mode::Host)
}

fn check_port(port: &[u8]) -> Result<(), String> {
    if valid_optional_port(port) {
        return Ok(());
    }
    Err(format!("invalid port {} after host", fmt_quote(&String::from_utf8_lossy(port))))
}

/// `""` or `:` followed by digits.
fn valid_optional_port(port: &[u8]) -> bool {
    port.is_empty() || (port[0] == b':' && port[1..].iter().all(u8::is_ascii_digit))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|window| window == needle)
}

/// `URL.Hostname()`: the host without a valid port, an IPv6 literal without its brackets.
fn hostname(host: &[u8]) -> &[u8] {
    let mut name = host;
    if let Some(colon) = host.iter().rposition(|&b| b == b':') {
        if valid_optional_port(&host[colon..]) {
            name = &host[..colon];
        }
    }
    match name.strip_prefix(b"[").and_then(|inner| inner.strip_suffix(b"]")) {
        Some(inner) => inner,
        None => name,
    }
}

impl Url {
    /// Go's `URL.String()`.
    fn text(&self) -> Vec<u8> {
        let mut out = Vec::new();
        if !self.scheme.is_empty() {
            out.extend(&self.scheme);
            out.push(b':');
        }
        if !self.opaque.is_empty() {
            out.extend(&self.opaque);
        } else {
            if !self.scheme.is_empty() || !self.host.is_empty() || self.user.is_some() {
                if !self.host.is_empty() || !self.path.is_empty() || self.user.is_some() {
                    out.extend(b"//");
                }
                if let Some(user) = &self.user {
                    out.extend(user.text());
                    out.push(b'@');
                }
                out.extend(escape(&self.host, Mode::Host));
            }
            let path = self.escaped(&self.path, &self.raw_path, Mode::Path);
            if path.first().is_some_and(|&b| b != b'/') && !self.host.is_empty() {
                out.push(b'/');
            }
            if out.is_empty() && path.split(|&b| b == b'/').next().is_some_and(|segment| segment.contains(&b':')) {
                out.extend(b"./");
            }
            out.extend(path);
        }
        if self.force_query || !self.raw_query.is_empty() {
            out.push(b'?');
            out.extend(&self.raw_query);
        }
        if !self.fragment.is_empty() {
            out.push(b'#');
            out.extend(self.escaped(&self.fragment, &self.raw_fragment, Mode::Fragment));
        }
        out
    }

    /// `EscapedPath`/`EscapedFragment`: the raw form when it is a valid escaping of the
    /// decoded one, else Go's escaping of it.
    fn escaped(&self, decoded: &[u8], raw: &[u8], mode: Mode) -> Vec<u8> {
        if !raw.is_empty() && valid_encoded(raw, mode) && unescape(raw, mode).is_ok_and(|text| text == decoded) {
            return raw.to_vec();
        }
        if mode == Mode::Path && decoded == b"*" {
            return decoded.to_vec();
        }
        escape(decoded, mode)
    }
}

fn valid_encoded(text: &[u8], mode: Mode) -> bool {
    text.iter().all(|&b| b"!$&'()*+,;=:@[]%".contains(&b) || !should_escape(b, mode))
}

/// Go's `shouldEscape`.
fn should_escape(b: u8, mode: Mode) -> bool {
    if b.is_ascii_alphanumeric() {
        return false;
    }
    if matches!(mode, Mode::Host | Mode::Zone) && b"!$&'()*+,;=:[]<>\"".contains(&b) {
        return false;
    }
    match b {
        b'-' | b'_' | b'.' | b'~' => false,
        b'$' | b'&' | b'+' | b',' | b'/' | b':' | b';' | b'=' | b'?' | b'@' => match mode {
            Mode::Path => b == b'?',
            Mode::UserPassword => matches!(b, b'@' | b'/' | b'?' | b':'),
            Mode::Fragment => false,
            Mode::Host | Mode::Zone => true,
        },
        b'!' | b'(' | b')' | b'*' if mode == Mode::Fragment => false,
        _ => true,
    }
}

/// Go's `escape` (no query mode here: `+` for a space is the query's alone).
fn escape(text: &[u8], mode: Mode) -> Vec<u8> {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = Vec::with_capacity(text.len());
    for &b in text {
        if should_escape(b, mode) {
            out.extend([b'%', HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]]);
        } else {
            out.push(b);
        }
    }
    out
}

/// Go's `unescape`, with its checks: well-formed `%XX`, in a host only non-ASCII bytes
/// escaped (and `%25`), in a zone only what a host could hold.
fn unescape(text: &[u8], mode: Mode) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(text.len());
    let mut at = 0;
    while at < text.len() {
        let b = text[at];
        if b == b'%' {
            let digits = text.get(at + 1..at + 3).filter(|digits| digits.iter().all(u8::is_ascii_hexdigit));
            let Some(digits) = digits else {
                return Err(escape_error(&text[at..(at + 3).min(text.len())]));
            };
            let value = hex(digits[0]) << 4 | hex(digits[1]);
            let sequence = &text[at..at + 3];
            if mode == Mode::Host && hex(digits[0]) < 8 && sequence != b"%25" {
                return Err(escape_error(sequence));
            }
            if mode == Mode::Zone && sequence != b"%25" && value != b' ' && should_escape(value, Mode::Host) {
                return Err(escape_error(sequence));
            }
            out.push(value);
            at += 3;
            continue;
        }
        if matches!(mode, Mode::Host | Mode::Zone) && b < 0x80 && should_escape(b, mode) {
            return Err(format!("invalid character {} in host name", fmt_quote(&char::from(b).to_string())));
        }
        out.push(b);
        at += 1;
    }
    Ok(out)
}

fn hex(digit: u8) -> u8 {
    match digit {
        b'0'..=b'9' => digit - b'0',
        b'a'..=b'f' => digit - b'a' + 10,
        _ => digit - b'A' + 10,
    }
}

fn escape_error(sequence: &[u8]) -> String {
    format!("invalid URL escape {}", fmt_quote(&String::from_utf8_lossy(sequence)))
}
