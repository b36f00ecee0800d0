//! Repository mirrors (`mirrors:` in `hldc.yaml`): a source or chart dependency whose URL
//! starts with a mirrored prefix is fetched from the mirror instead. The lock keeps the URL as
//! written (what was asked) and records the mirror an entry came from; everything that guards
//! a contact (tokens, local repositories, cache proofs) looks at the URL actually contacted.

use std::borrow::Cow;

use crate::fetch::error::FetchErrorKind;
use crate::fetch::spec::strip_userinfo;

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
fn covers(prefix: &str, url: &str) -> bool {
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

/// A Helm repository that no longer serves what old HLDs ask of it.
struct Retired {
    /// Host and path, without the scheme (HLDs write both http:// and https://).
    at: &'static str,
    /// Where its charts are kept now.
    mirror: &'static str,
    what: &'static str,
    /// Gone entirely (any failure), or only trimmed (a chart version not found).
    gone: bool,
}

const RETIRED: &[Retired] = &[
    Retired {
        at: "kubernetes-charts.storage.googleapis.com",
        mirror: "https://charts.helm.sh/stable",
        what: "has been gone since November 2020",
        gone: true,
    },
    Retired {
        at: "kubernetes-charts-incubator.storage.googleapis.com",
        mirror: "https://charts.helm.sh/incubator",
        what: "has been gone since November 2020",
        gone: true,
    },
    Retired {
        at: "storage.googleapis.com/kubernetes-charts",
        mirror: "https://charts.helm.sh/stable",
        what: "has been gone since November 2020",
        gone: true,
    },
    Retired {
        at: "storage.googleapis.com/kubernetes-charts-incubator",
        mirror: "https://charts.helm.sh/incubator",
        what: "has been gone since November 2020",
        gone: true,
    },
    Retired {
        at: "charts.bitnami.com/bitnami",
        mirror: "https://raw.githubusercontent.com/bitnami/charts/archive-full-index/bitnami",
        what: "has listed only its last six months of chart versions since 2022",
        gone: false,
    },
];

/// What to do about a failed fetch, when fetch knows better than the failure's kind tells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hint {
    pub help: String,
    /// Lines to add to a file, shown verbatim (never wrapped, so they can be copied).
    pub lines: String,
}

/// The `mirrors:` line to suggest when a fetch from `repository` (not mirrored) failed with
/// `kind` and it is a Helm repository known to be gone (or trimmed): what became of it, and
/// the line.
pub(crate) fn dead_repository_hint(repository: &str, kind: FetchErrorKind) -> Option<Hint> {
    if matches!(kind, FetchErrorKind::LockMismatch | FetchErrorKind::LockOutdated | FetchErrorKind::Invalid) {
        return None;
    }
    let bare = strip_userinfo(repository.trim());
    let (scheme, rest) = bare.split_once("://")?;
    let rest = rest.trim_end_matches('/');
    let Retired { at: gone, mirror, what, .. } = RETIRED
        .iter()
        .find(|retired| covers(retired.at, rest) && (retired.gone || kind == FetchErrorKind::NotFound))?;
    let prefix = format!("{scheme}://{gone}");
    Some(Hint {
        help: format!("`{prefix}` {what}; its charts are kept at `{mirror}`: add the lines above to hldc.yaml (only the second under a `mirrors:` it has)"),
        lines: format!("mirrors:\n  \"{prefix}\": \"{mirror}\"\n"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn dead_repositories_suggest_their_mirror_line() {
        let hint =
            dead_repository_hint("https://kubernetes-charts.storage.googleapis.com/", FetchErrorKind::Network).unwrap();
        assert_eq!(
            hint.lines,
            "mirrors:\n  \"https://kubernetes-charts.storage.googleapis.com\": \"https://charts.helm.sh/stable\"\n"
        );
        let hint =
            dead_repository_hint("http://storage.googleapis.com/kubernetes-charts-incubator", FetchErrorKind::NotFound)
                .unwrap();
        assert!(
            hint.lines.contains(
                "\"http://storage.googleapis.com/kubernetes-charts-incubator\": \"https://charts.helm.sh/incubator\""
            ),
            "{hint:?}"
        );
        assert!(dead_repository_hint("https://charts.helm.sh/stable", FetchErrorKind::Network).is_none());
        assert!(dead_repository_hint("https://charts.bitnami.com/bitnami", FetchErrorKind::Network).is_none());
        assert!(dead_repository_hint("https://charts.bitnami.com/bitnami", FetchErrorKind::NotFound).is_some());
    }
}
