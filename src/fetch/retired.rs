//! Helm repositories known to be gone (or trimmed), and the `mirrors:` lines that bring their
//! charts back: suggested when a fetch from one of them fails.

use crate::fetch::error::{FetchErrorKind, Hint};
use crate::fetch::spec::{covers, strip_userinfo};

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
