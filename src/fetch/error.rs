//! Fetch errors.

use std::fmt;

use crate::fetch::spec::AccessTokens;
use crate::model::source::SourceSpec;

/// The class of a fetch failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub enum FetchErrorKind {
    /// Credentials missing or refused.
    Auth,
    /// The repository, chart, chart version or file does not exist.
    NotFound,
    /// The git branch, tag or commit does not exist.
    NoSuchRef,
    /// Downloaded bytes do not match the expected digest (index or lock).
    DigestMismatch,
    /// Offline, and the source is not in the cache (or not pinned).
    NotCached,
    /// `locked`, and the spec (or a chart dependency) has no lock entry.
    LockOutdated,
    /// A path in an archive or tree would escape its directory.
    PathEscape,
    /// Connection, TLS, protocol or server errors.
    Network,
    /// Local file system errors.
    Io,
    /// A download larger than `FetchOptions::max_download`.
    TooLarge,
    /// A download or git fetch that outlived `FetchOptions::fetch_timeout`.
    Timeout,
    /// A local repository outside the HLD's, without `FetchOptions::allow_local_sources`.
    LocalSource,
    /// A lock pin the source's declared version, branch or constraint does not name.
    LockMismatch,
    /// Malformed input: a bad URL, constraint, index, chart or archive.
    Invalid,
}

impl FetchErrorKind {
    /// A short description used in messages.
    pub fn describe(self) -> &'static str {
        match self {
            FetchErrorKind::Auth => "authentication failed",
            FetchErrorKind::NotFound => "not found",
            FetchErrorKind::NoSuchRef => "no such ref",
            FetchErrorKind::DigestMismatch => "digest mismatch",
            FetchErrorKind::NotCached => "not in the cache (offline)",
            FetchErrorKind::LockOutdated => "lock file out of date (locked)",
            FetchErrorKind::PathEscape => "path escapes its directory",
            FetchErrorKind::Network => "network error",
            FetchErrorKind::Io => "i/o error",
            FetchErrorKind::TooLarge => "download too large",
            FetchErrorKind::Timeout => "timed out",
            FetchErrorKind::LocalSource => "local repository not allowed",
            FetchErrorKind::LockMismatch => "lock pin does not match the component",
            FetchErrorKind::Invalid => "invalid source",
        }
    }
}

impl fmt::Display for FetchErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

/// What to do about a failed fetch, when fetch knows better than the failure's kind tells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hint {
    pub help: String,
    /// Lines to add to a file, shown verbatim (never wrapped, so they can be copied).
    pub lines: String,
}

/// A failed fetch of one spec.
///
/// Display: `cannot fetch <source, credentials stripped>: <kind>: <reason>`.
/// The message never contains a token or URL credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchError {
    pub spec: SourceSpec,
    pub kind: FetchErrorKind,
    pub message: String,
    /// What to do about it, when fetch knows better than the kind tells (a retired repository's
    /// `mirrors:` line); boxed, as errors travel by value and it is rarely there.
    pub hint: Option<Box<Hint>>,
    /// The field of the component entry the failure is about, when it is not `source`: the
    /// `version` no published version satisfies, the chart `path` a repository does not list.
    pub field: Option<EntryField>,
}

/// A field of a component entry that a fetch failure can be about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryField {
    Version,
    Path,
}

impl EntryField {
    pub fn name(self) -> &'static str {
        match self {
            EntryField::Version => "version",
            EntryField::Path => "path",
        }
    }
}

impl fmt::Display for FetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot fetch {}: {}: {}", self.spec, self.kind, self.message)
    }
}

impl std::error::Error for FetchError {}

impl FetchError {
    /// Attach the spec to an internal failure, scrubbing every secret (tokens,
    /// URL passwords) from the message.
    pub(crate) fn from_failure(spec: &SourceSpec, failure: Failure, tokens: &AccessTokens) -> Self {
        let mut message = failure.message;
        let mut secrets: Vec<String> = tokens.secrets().map(str::to_string).collect();
        let url = match spec {
            SourceSpec::Git { url, .. } => url,
            SourceSpec::HelmRepo { repository, .. } => repository,
            SourceSpec::Oci { reference, .. } => reference,
            SourceSpec::Http { url } => url,
        };
        if let Some((user, password)) = crate::fetch::spec::userinfo(url) {
            if !password.is_empty() {
                secrets.push(password);
            } else if !user.is_empty() && url.starts_with("http") {
                // `https://<token>@host` form: the user part is the secret.
                secrets.push(user);
            }
        }
        message = scrub(&message, &secrets);
        FetchError {
            spec: spec.clone(),
            kind: failure.kind,
            message,
            hint: failure.hint.map(Box::new),
            field: failure.field,
        }
    }
}

/// Replace every secret in `text` by `***`. Longer secrets first so that a
/// secret containing another is fully removed.
pub(crate) fn scrub(text: &str, secrets: &[String]) -> String {
    let mut sorted: Vec<&String> = secrets.iter().filter(|s| s.len() >= 3).collect();
    sorted.sort_by_key(|s| std::cmp::Reverse(s.len()));
    let mut out = text.to_string();
    for secret in sorted {
        out = out.replace(secret.as_str(), "***");
    }
    out
}

/// An internal failure, before the spec is attached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Failure {
    pub(crate) kind: FetchErrorKind,
    pub(crate) message: String,
    pub(crate) hint: Option<Hint>,
    pub(crate) field: Option<EntryField>,
}

impl Failure {
    pub(crate) fn new(kind: FetchErrorKind, message: impl Into<String>) -> Self {
        Failure { kind, message: message.into(), hint: None, field: None }
    }

    /// Names the component entry's field the failure is about.
    pub(crate) fn about(mut self, field: EntryField) -> Self {
        self.field = Some(field);
        self
    }

    /// Adds what to do about it, unless a deeper failure already said.
    pub(crate) fn hint(mut self, hint: Option<Hint>) -> Self {
        self.hint = self.hint.or(hint);
        self
    }

    pub(crate) fn io(context: impl fmt::Display, err: std::io::Error) -> Self {
        Failure::new(FetchErrorKind::Io, format!("{context}: {err}"))
    }

    /// Prefix the message with more context.
    pub(crate) fn context(mut self, context: impl fmt::Display) -> Self {
        self.message = format!("{context}: {}", self.message);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_has_source_kind_and_reason_without_secrets() {
        let mut tokens = AccessTokens::new();
        tokens.insert("https://h/", "s3cr3t-token");
        let spec = SourceSpec::Http { url: "https://user:pa55word@h/x.yaml".into() };
        let f =
            Failure::new(FetchErrorKind::Auth, "server said 401 for https://user:pa55word@h/x.yaml with s3cr3t-token");
        let e = FetchError::from_failure(&spec, f, &tokens);
        let text = e.to_string();
        assert!(text.starts_with("cannot fetch http https://h/x.yaml: authentication failed: "));
        assert!(!text.contains("s3cr3t-token"));
        assert!(!text.contains("pa55word"));
        assert!(text.contains("401"));
    }
}
