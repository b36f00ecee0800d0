//! Where a remote source is: a git repository at a reference, a chart in a Helm repository or an
//! OCI registry, or one file over http(s). `fetch` fetches and pins them; the loaded tree
//! (`tree::Node::fetched_from`) remembers which one a component came from. How one is shown to
//! people, credentials stripped, is `fetch`'s (`impl Display` in `fetch/spec.rs`).

/// One source to fetch.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SourceSpec {
    /// A git repository. `url` is https, ssh (`ssh://` or `user@host:path`),
    /// `file://`, or a plain local path to a repository.
    Git { url: String, reference: GitRef },
    /// A chart from a Helm chart repository (`<repository>/index.yaml`).
    /// `constraint` is a Helm semver constraint; `""` means the latest
    /// non-prerelease version.
    HelmRepo { repository: String, chart: String, constraint: String },
    /// A chart in an OCI registry, `oci://host/path/chart`, or one manifest of it,
    /// `oci://host/path/chart@sha256:<digest>`. `constraint` is a Helm semver constraint,
    /// resolved against the repository's tags; `""` means the latest (as helm picks it).
    /// `plain_http`: the registry speaks plain http (`plainHttp: true`); a loopback registry
    /// may do so without saying it.
    Oci { reference: String, constraint: String, plain_http: bool },
    /// One file (YAML) downloaded over http(s).
    Http { url: String },
}

/// Which commit of a git repository to use.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum GitRef {
    /// The remote's HEAD (its default branch). Recorded as `HEAD` in the lock.
    Default,
    /// A branch name (without `refs/heads/`).
    Branch(String),
    /// A tag name, or a full or abbreviated (at least 4 hex digits) commit sha.
    /// Tags are tried first. Abbreviated shas are pinned as the full sha.
    ///
    /// Note: the lock records only the ref text, so `Branch("x")` and
    /// `Version("x")` of the same URL share one lock entry.
    Version(String),
}

impl GitRef {
    /// The text recorded as `ref:` in the lock file.
    pub fn lock_text(&self) -> &str {
        match self {
            GitRef::Default => "HEAD",
            GitRef::Branch(b) => b,
            GitRef::Version(v) => v,
        }
    }
}
