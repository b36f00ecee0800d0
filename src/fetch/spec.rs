//! The public description of what to fetch and how.

use std::borrow::Cow;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use crate::model::source::{GitRef, SourceSpec};

/// A source for people: credentials stripped from its URLs.
impl fmt::Display for SourceSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SourceSpec::Git { url, reference } => {
                write!(f, "git {}", redact_url(url))?;
                match reference {
                    GitRef::Default => Ok(()),
                    GitRef::Branch(b) => write!(f, " (branch {b})"),
                    GitRef::Version(v) => write!(f, " (version {v})"),
                }
            }
            SourceSpec::HelmRepo { repository, chart, constraint } => {
                write!(f, "helm chart {chart} from {}", redact_url(repository))?;
                if constraint.is_empty() {
                    Ok(())
                } else {
                    write!(f, " ({constraint})")
                }
            }
            SourceSpec::Oci { reference, constraint, .. } => {
                write!(f, "oci chart {}", redact_url(reference))?;
                if constraint.is_empty() {
                    Ok(())
                } else {
                    write!(f, " ({constraint})")
                }
            }
            SourceSpec::Http { url } => write!(f, "http {}", redact_url(url)),
        }
    }
}

/// How fetch progress is shown on stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Progress {
    /// An `indicatif` progress bar (for terminals).
    Bar,
    /// Plain `fetching <source>` / `fetched <source> <pin>` lines (CI, pipes).
    Lines,
    /// Nothing.
    #[default]
    Quiet,
}

/// Access tokens by URL prefix. The longest matching prefix wins.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct AccessTokens {
    entries: Vec<(String, String)>,
}

impl AccessTokens {
    /// No tokens.
    pub fn new() -> Self {
        Self::default()
    }

    /// Use `token` for every URL starting with `url_prefix`. A later insert
    /// with the same prefix replaces the earlier token.
    pub fn insert(&mut self, url_prefix: impl Into<String>, token: impl Into<String>) {
        let prefix = url_prefix.into();
        let token = token.into();
        if let Some(entry) = self.entries.iter_mut().find(|(p, _)| *p == prefix) {
            entry.1 = token;
        } else {
            self.entries.push((prefix, token));
        }
    }

    /// The token for `url`: the one with the longest prefix of `url` on the same host. None
    /// over plain `http://` to anything but this machine, where anyone on the path could read it.
    pub fn for_url(&self, url: &str) -> Option<&str> {
        if !may_carry_secrets(url) {
            return None;
        }
        self.entries
            .iter()
            .filter(|(prefix, token)| !token.is_empty() && url_within(url, prefix))
            .max_by_key(|(prefix, _)| prefix.len())
            .map(|(_, token)| token.as_str())
    }

    /// Whether no token is configured.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Every token value (to scrub them from messages).
    pub(crate) fn secrets(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|(_, t)| t.as_str()).filter(|t| !t.is_empty())
    }
}

impl fmt::Debug for AccessTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.entries.iter().map(|(p, _)| (p.as_str(), "<redacted>"))).finish()
    }
}

/// Whether `url` starts with `prefix` and names the same host: `https://github.com` is a string
/// prefix of `https://github.com.evil.example/`, which must not get github's token.
pub fn url_within(url: &str, prefix: &str) -> bool {
    if !url.starts_with(prefix) {
        return false;
    }
    let Some(scheme_end) = prefix.find("://") else { return true };
    let authority_len = prefix[scheme_end + 3..].find(['/', '?', '#']);
    match authority_len {
        Some(_) => true,
        // The prefix ends inside the authority: the URL's must end there too.
        None => url[prefix.len()..].chars().next().is_none_or(|c| matches!(c, '/' | '?' | '#')),
    }
}

/// `scheme://host[:port]` of a URL, without user-info: where a request goes.
pub(crate) fn origin(url: &str) -> Option<String> {
    let scheme_end = url.find("://")?;
    let bare = strip_userinfo(url);
    let after = &bare[scheme_end + 3..];
    let authority_end = after.find(['/', '?', '#']).unwrap_or(after.len());
    Some(bare[..scheme_end + 3 + authority_end].to_ascii_lowercase())
}

/// Whether a secret may travel to `url`: not over plain `http://`, unless to this machine.
pub fn may_carry_secrets(url: &str) -> bool {
    match url.get(..7).filter(|s| s.eq_ignore_ascii_case("http://")).map(|_| &url[7..]) {
        Some(rest) => is_loopback_authority(&rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())]),
        None => true,
    }
}

/// Whether `[user@]host[:port]` names this machine (`localhost`, `127.0.0.0/8`, `[::1]`).
pub(crate) fn is_loopback_authority(authority: &str) -> bool {
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
    let host = match host_port.strip_prefix('[') {
        Some(bracketed) => bracketed.split(']').next().unwrap_or(""),
        None => host_port.split(':').next().unwrap_or(""),
    };
    host.eq_ignore_ascii_case("localhost") || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Repository mirrors (`mirrors:` in `hldc.yaml`): a source or chart dependency whose URL starts
/// with a mirrored prefix is fetched from the mirror instead. The lock keeps the URL as written
/// (what was asked) and records the mirror an entry came from; everything that guards a contact
/// (tokens, local repositories, cache proofs) looks at the URL actually contacted.
///
/// URL prefix → the prefix to fetch from instead. The longest matching prefix wins.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mirrors {
    rules: Vec<(String, String)>,
}

impl Mirrors {
    /// Mirrors from `(prefix, mirror)` pairs, as `hldc.yaml` writes them (checked by
    /// [`check_mirror`]); trailing `/` do not matter.
    pub fn new<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Mirrors {
        let rules =
            pairs.into_iter().map(|(from, to)| (trim_prefix(from).to_string(), trim_prefix(to).to_string())).collect();
        Mirrors { rules }
    }

    /// The URL to contact for `url`: its mirror when a prefix matches on a path boundary
    /// (`https://h/stable` covers `https://h/stable/x`, not `https://h/stable2`), compared
    /// without user-info; the credentials of `url` are not carried to the mirror.
    pub fn apply(&self, url: &str) -> Option<String> {
        let bare = strip_userinfo(url.trim());
        self.rules
            .iter()
            .filter(|(from, _)| covers(from, &bare))
            .max_by_key(|(from, _)| from.len())
            .map(|(from, to)| format!("{to}{}", &bare[from.len()..]))
    }

    /// `url`, or its mirror.
    pub(crate) fn contacted<'a>(&self, url: &'a str) -> Cow<'a, str> {
        self.apply(url).map_or(Cow::Borrowed(url), Cow::Owned)
    }

    /// The mirror `url` is fetched from, as the lock records it (no credentials).
    pub(crate) fn recorded(&self, url: &str) -> Option<String> {
        self.apply(url).map(|mirror| strip_userinfo(&mirror).trim_end_matches('/').to_string())
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }
}

fn trim_prefix(url: &str) -> &str {
    url.trim().trim_end_matches('/')
}

/// Whether `prefix` (no trailing `/`) covers `url`: equal, or followed by a path, query or
/// fragment separator.
pub(crate) fn covers(prefix: &str, url: &str) -> bool {
    let url = url.trim_end_matches('/');
    match url.strip_prefix(prefix) {
        Some(rest) => rest.is_empty() || rest.starts_with(['/', '?', '#']),
        None => false,
    }
}

/// What is wrong with one `mirrors:` entry, if anything: both sides must be URLs
/// (`scheme://…`), and an `oci://` registry is mirrored by a registry.
pub fn check_mirror(from: &str, to: &str) -> Result<(), String> {
    for (side, url) in [("the mirrored prefix", from), ("the mirror", to)] {
        let scheme = url.trim().split_once("://").map(|(scheme, _)| scheme);
        if !scheme.is_some_and(|s| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c))) {
            return Err(format!("{side} `{url}` is not a URL (`scheme://host/path`)"));
        }
    }
    let is_oci = |url: &str| url.trim().get(..6).is_some_and(|s| s.eq_ignore_ascii_case("oci://"));
    if is_oci(from) != is_oci(to) {
        return Err(format!("`{from}` and `{to}` are not the same kind of repository: an oci:// registry is mirrored by an oci:// registry"));
    }
    Ok(())
}

/// The SSH agent the pipeline lets git use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshAgent {
    pub socket: PathBuf,
    /// The user's home, whose `.ssh/known_hosts` says which host keys to trust.
    pub home: Option<PathBuf>,
}

/// `--max-download`'s default: 1 GiB.
pub const DEFAULT_MAX_DOWNLOAD: u64 = 1 << 30;

/// How to fetch.
#[derive(Debug, Clone)]
pub struct FetchOptions {
    /// Root of the content-addressed cache, e.g. `~/.cache/hldc`.
    pub cache_dir: PathBuf,
    /// Never touch the network; fail with `NotCached` when something is missing.
    pub offline: bool,
    /// Fail with `LockOutdated` when the lock would change (a spec has no entry).
    pub locked: bool,
    /// The helm binary; only needed for `oci://` sources.
    pub helm: Option<PathBuf>,
    /// How long one `helm pull` or `helm registry login` may run (`--helm-timeout`).
    pub helm_timeout: Duration,
    /// The CA certificates (PEM) that oci:// registries' TLS certificates are checked against
    /// instead of the system's trust store (`--ca-file`).
    pub oci_ca_file: Option<PathBuf>,
    /// URL prefix -> token, chosen by the URL actually contacted (a mirror's, when one applies).
    pub tokens: AccessTokens,
    /// Where to fetch instead (`mirrors:` in hldc.yaml): sources and chart dependencies.
    pub mirrors: Mirrors,
    /// How progress is shown.
    pub progress: Progress,
    /// Where a relative local git path (`../repo`) is resolved: the HLD root. The lock keeps
    /// the path as written, so it holds in every checkout.
    pub base_dir: Option<PathBuf>,
    /// The HLD's own repository (the git work tree holding it, else the HLD): a local git
    /// source inside it is part of the HLD; any other local repository needs
    /// `allow_local_sources`.
    pub local_boundary: Option<PathBuf>,
    /// Whether git sources may be any repository on this machine (`file://`, absolute paths,
    /// paths leaving the HLD's repository): `--allow-local-sources`.
    pub allow_local_sources: bool,
    /// The most bytes one download (a file, an index, a chart, a git fetch) may bring.
    pub max_download: u64,
    /// How long one http request or one git fetch may take.
    pub fetch_timeout: Duration,
    /// The SSH agent git may use, when the pipeline allowed it (`--allow-token SSH_AUTH_SOCK`).
    pub ssh_agent: Option<SshAgent>,
    /// The hldc binary that runs git fetches in a child process (cut off from the user's git
    /// setup and killed at `fetch_timeout`, which libgit2 alone cannot do while a server
    /// drips its refs). `None` fetches in this process: for library callers only.
    pub git_fetcher: Option<PathBuf>,
    /// The variables the git fetcher's otherwise empty environment keeps: where the
    /// machine's CA certificates are (`SSL_CERT_FILE`, `SSL_CERT_DIR`).
    pub git_environment: Vec<(String, std::ffi::OsString)>,
    /// The cache shared with other runners (`--cache-remote`): a chart archive or git commit
    /// the lock pins is pulled from it before its origin is asked, and pushed to it once
    /// fetched from there.
    pub shared_cache: Option<std::sync::Arc<crate::fetch::registry::RemoteCache>>,
}

impl FetchOptions {
    /// Options with the given cache directory: online, not locked, no helm (given
    /// 5 minutes when set), the system's trust store, no tokens, quiet, no local repositories outside `local_boundary`,
    /// 1 GiB and 5 minutes per download, git in this process.
    pub fn new(cache_dir: impl Into<PathBuf>) -> Self {
        FetchOptions {
            cache_dir: cache_dir.into(),
            offline: false,
            locked: false,
            helm: None,
            helm_timeout: Duration::from_secs(5 * 60),
            oci_ca_file: None,
            tokens: AccessTokens::new(),
            mirrors: Mirrors::default(),
            progress: Progress::Quiet,
            base_dir: None,
            local_boundary: None,
            allow_local_sources: false,
            max_download: DEFAULT_MAX_DOWNLOAD,
            fetch_timeout: Duration::from_secs(5 * 60),
            ssh_agent: None,
            git_fetcher: None,
            git_environment: Vec::new(),
            shared_cache: None,
        }
    }
}

/// What a fetch produced.
///
/// - git: the checked-out tree of the pinned commit (`<cache>/git/trees/<commit>`),
///   shared and read-only by convention;
/// - helm/oci: the unpacked chart directory (the one holding `Chart.yaml`),
///   with dependencies present under `charts/`;
/// - http: the downloaded file (`<cache>/http/<sha256>`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Fetched {
    pub root: PathBuf,
}

/// `url` with credentials removed, for messages: the user-info part of
/// `scheme://user:password@host/...` is dropped (for `ssh://` only the
/// password), and a query string is replaced by `?<redacted>`.
pub fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        // scp-like `user@host:path` or a local path: nothing secret but the
        // (unusual) `user:password@` form.
        if let Some(at) = url.find('@') {
            let (user, rest) = url.split_at(at);
            if let Some(colon) = user.find(':') {
                return format!("{}{}", &user[..colon], rest);
            }
        }
        return url.to_string();
    };
    let scheme = &url[..scheme_end];
    let after = &url[scheme_end + 3..];
    let authority_end = after.find(['/', '?', '#']).unwrap_or(after.len());
    let authority = &after[..authority_end];
    let mut rest = after[authority_end..].to_string();
    let host = match authority.rfind('@') {
        Some(at) => {
            let userinfo = &authority[..at];
            let host = &authority[at + 1..];
            if scheme.eq_ignore_ascii_case("ssh") || scheme.eq_ignore_ascii_case("git+ssh") {
                let user = userinfo.split(':').next().unwrap_or("");
                format!("{user}@{host}")
            } else {
                host.to_string()
            }
        }
        None => authority.to_string(),
    };
    if let Some(q) = rest.find('?') {
        let fragment = rest[q..].find('#').map(|h| rest[q + h..].to_string());
        rest.truncate(q);
        rest.push_str("?<redacted>");
        if let Some(fragment) = fragment {
            rest.push_str(&fragment);
        }
    }
    format!("{scheme}://{host}{rest}")
}

/// `url` with only the user-info removed (what the lock file records).
pub(crate) fn strip_userinfo(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_string();
    };
    let after = &url[scheme_end + 3..];
    let authority_end = after.find(['/', '?', '#']).unwrap_or(after.len());
    let authority = &after[..authority_end];
    match authority.rfind('@') {
        Some(at) => {
            let scheme = &url[..scheme_end];
            if scheme.eq_ignore_ascii_case("ssh") || scheme.eq_ignore_ascii_case("git+ssh") {
                let userinfo = &authority[..at];
                let user = userinfo.split(':').next().unwrap_or("");
                format!("{scheme}://{user}@{}{}", &authority[at + 1..], &after[authority_end..])
            } else {
                format!("{scheme}://{}{}", &authority[at + 1..], &after[authority_end..])
            }
        }
        None => url.to_string(),
    }
}

/// The user-info (`user`, `password`) of an http(s) URL, if any.
pub(crate) fn userinfo(url: &str) -> Option<(String, String)> {
    let scheme_end = url.find("://")?;
    let after = &url[scheme_end + 3..];
    let authority_end = after.find(['/', '?', '#']).unwrap_or(after.len());
    let authority = &after[..authority_end];
    let at = authority.rfind('@')?;
    let info = &authority[..at];
    match info.split_once(':') {
        Some((u, p)) => Some((u.to_string(), p.to_string())),
        None => Some((info.to_string(), String::new())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_credentials() {
        assert_eq!(redact_url("https://user:secret@example.com/x.yaml"), "https://example.com/x.yaml");
        assert_eq!(redact_url("https://tok@example.com"), "https://example.com");
        assert_eq!(redact_url("ssh://git:pw@host/repo"), "ssh://git@host/repo");
        assert_eq!(redact_url("git@github.com:org/repo"), "git@github.com:org/repo");
        assert_eq!(redact_url("https://example.com/a?sig=abc#frag"), "https://example.com/a?<redacted>#frag");
        assert_eq!(redact_url("/tmp/repo"), "/tmp/repo");
        assert_eq!(strip_userinfo("https://u:p@h/x?y=1"), "https://h/x?y=1");
        assert_eq!(userinfo("https://u:p@h/x"), Some(("u".into(), "p".into())));
        assert_eq!(userinfo("https://h/x"), None);
    }

    #[test]
    fn longest_token_prefix_wins() {
        let mut t = AccessTokens::new();
        t.insert("https://github.com/", "short");
        t.insert("https://github.com/org/", "long");
        assert_eq!(t.for_url("https://github.com/org/repo"), Some("long"));
        assert_eq!(t.for_url("https://github.com/other/repo"), Some("short"));
        assert_eq!(t.for_url("https://gitlab.com/x"), None);
        assert!(!format!("{t:?}").contains("long"));
    }

    #[test]
    fn tokens_stay_on_their_host_and_off_plain_http() {
        let mut t = AccessTokens::new();
        t.insert("https://github.com", "gh");
        t.insert("http://127.0.0.1:8080/", "local");
        t.insert("http://charts.example/", "plain");
        assert_eq!(t.for_url("https://github.com/org/repo"), Some("gh"));
        assert_eq!(t.for_url("https://github.com.evil.example/x"), None);
        assert_eq!(t.for_url("https://github.com:444/x"), None);
        assert_eq!(t.for_url("http://127.0.0.1:8080/index.yaml"), Some("local"));
        assert_eq!(t.for_url("http://charts.example/index.yaml"), None);
        assert!(may_carry_secrets("http://localhost:1/x"));
        assert!(may_carry_secrets("http://[::1]:1/x"));
        assert!(!may_carry_secrets("http://127.0.0.1.evil.example/x"));
        assert!(may_carry_secrets("ssh://git@host/x"));
        assert_eq!(origin("https://u:p@Git.Example:8443/org/repo?x").as_deref(), Some("https://git.example:8443"));
        assert_eq!(origin("git@host:org/repo"), None);
    }

    #[test]
    fn the_longest_prefix_on_a_path_boundary_wins() {
        let mirrors = Mirrors::new([
            ("https://kubernetes-charts.storage.googleapis.com/", "https://charts.helm.sh/stable"),
            ("https://github.com/org", "https://git.example/mirror"),
            ("https://github.com/org/special", "https://other.example/special"),
        ]);
        assert_eq!(
            mirrors.apply("https://kubernetes-charts.storage.googleapis.com/").as_deref(),
            Some("https://charts.helm.sh/stable/")
        );
        assert_eq!(mirrors.apply("https://github.com/org/repo").as_deref(), Some("https://git.example/mirror/repo"));
        assert_eq!(mirrors.apply("https://github.com/org/special").as_deref(), Some("https://other.example/special"));
        assert_eq!(mirrors.apply("https://github.com/organ/repo"), None);
        assert_eq!(mirrors.apply("https://kubernetes-charts.storage.googleapis.com.evil/x"), None);
        // The credentials of the source stay with it.
        assert_eq!(mirrors.apply("https://u:secret@github.com/org/r").as_deref(), Some("https://git.example/mirror/r"));
    }

    #[test]
    fn mirrors_are_urls_of_the_same_kind() {
        assert!(check_mirror("https://a", "https://b/c").is_ok());
        assert!(check_mirror("https://github.com/x", "ssh://git@mirror/x").is_ok());
        assert!(check_mirror("oci://a/b", "oci://c/d").is_ok());
        assert!(check_mirror("oci://a/b", "https://c/d").is_err());
        assert!(check_mirror("charts.example", "https://c/d").is_err());
        assert!(check_mirror("https://a", "/srv/mirror").is_err());
    }

    #[test]
    fn display_strips_credentials() {
        let s = SourceSpec::Http { url: "https://u:hunter2@h/x.yaml".into() };
        assert_eq!(s.to_string(), "http https://h/x.yaml");
    }
}
