//! What the HLD's git repository says about the run: its `origin` (credentials removed) and the
//! commit generated from. Commit data only, never the clock. Outside a work tree, or with
//! uncommitted changes under the HLD, there is no commit to stamp: a warning says what is
//! stamped instead.

use std::path::{Path, PathBuf};

use crate::diag::Problem;
use crate::fetch::redact_url;
use crate::journey::time;
use crate::localgit;

/// One commit of the HLD.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commit {
    /// Full 40-hex SHA.
    pub sha: String,
    /// Committer time, RFC 3339 (UTC).
    pub time: String,
    /// `Name <email>`.
    pub author: String,
    /// Author time, RFC 3339 (UTC).
    pub author_time: String,
    pub subject: String,
    /// The message after its subject paragraph, without the trailers `references` came from.
    pub body: String,
    /// The source commit the message names in Argo CD's `Argocd-reference-commit-*` trailers.
    pub references: Vec<Reference>,
}

/// A commit another one names: what `hydrator.metadata`'s `references` hold.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct Reference {
    #[serde(rename = "repoURL", skip_serializing_if = "Option::is_none")]
    pub repo_url: Option<String>,
    pub sha: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
}

/// The trailer prefix Argo CD's hydrator reads references from.
const REFERENCE_TRAILER: &str = "Argocd-reference-commit-";

/// Splits a commit body into its text without `Argocd-reference-commit-*` trailers and the
/// reference they name (none without a `sha`).
fn references_of(body: &str) -> (String, Vec<Reference>) {
    let mut reference = Reference::default();
    let mut kept = Vec::new();
    for line in body.lines() {
        let Some((key, value)) = line.strip_prefix(REFERENCE_TRAILER).and_then(|rest| rest.split_once(':')) else {
            kept.push(line);
            continue;
        };
        let value = value.trim();
        // Multi-line values (the body) are written JSON-quoted.
        let value = serde_json::from_str::<String>(value).unwrap_or_else(|_| value.to_string());
        let field = match key.to_ascii_lowercase().as_str() {
            "sha" => {
                reference.sha = value;
                continue;
            }
            "repourl" => &mut reference.repo_url,
            "author" => &mut reference.author,
            "date" => &mut reference.date,
            "subject" => &mut reference.subject,
            "body" => &mut reference.body,
            _ => {
                kept.push(line);
                continue;
            }
        };
        *field = Some(redact_if_url(key, value));
    }
    let body = kept.join("\n").trim_end().to_string();
    (body, if reference.sha.is_empty() { Vec::new() } else { vec![reference] })
}

fn redact_if_url(key: &str, value: String) -> String {
    if key.eq_ignore_ascii_case("repourl") {
        redact_url(&value)
    } else {
        value
    }
}

/// The HLD's repository as a run sees it.
#[derive(Debug, Clone, Default)]
pub struct HldGit {
    /// `origin`, credentials removed.
    pub repo: Option<String>,
    /// The commit generated from; `None` outside a work tree or with uncommitted changes.
    pub commit: Option<Commit>,
    /// Why there is no commit, said once per run.
    pub warning: Option<Problem>,
}

impl HldGit {
    /// Looks at the repository holding `hld_root`. An uncommitted change in any of `read` (the
    /// places the HLD reads: its root, local sources beside it) means no commit holds what is
    /// rendered; changes under `excluded` (hldc's own output directories) do not count.
    pub fn describe(hld_root: &Path, read: &[PathBuf], excluded: &[PathBuf]) -> HldGit {
        let Some(repository) = localgit::discover(hld_root) else {
            return HldGit::without_commit(
                None,
                "the HLD is not in a git work tree",
                "objects are stamped without `hldc.io/hld-repo` and `hldc.io/hld-commit`, and no `hydrator.metadata` is written",
                "generate from a git work tree of the HLD to stamp the commit each object comes from",
            );
        };
        let Some(workdir) = repository.workdir().map(Path::to_path_buf) else {
            return HldGit::without_commit(
                None,
                "the HLD's repository has no work tree",
                "objects are stamped without `hldc.io/hld-repo` and `hldc.io/hld-commit`, and no `hydrator.metadata` is written",
                "generate from a checkout of the HLD",
            );
        };
        let repo = localgit::origin_url(&repository).map(|url| redact_url(&url)).filter(|url| !url.is_empty());
        let head = localgit::head_commit(&repository);
        let Some(head) = head else {
            return HldGit::without_commit(
                repo,
                "the HLD's repository has no commit yet",
                "objects are stamped without `hldc.io/hld-commit`, and no `hydrator.metadata` is written",
                "commit the HLD, then generate again",
            );
        };
        let changed = localgit::uncommitted(&repository, &workdir, read, excluded);
        if !changed.is_empty() {
            let shown: Vec<String> = changed.iter().take(3).map(|path| format!("`{path}`")).collect();
            let more = if changed.len() > 3 { format!(" and {} more", changed.len() - 3) } else { String::new() };
            return HldGit::without_commit(
                repo,
                &format!("the HLD has uncommitted changes ({}{more})", shown.join(", ")),
                "objects whose content changed are stamped without `hldc.io/hld-commit` (no commit holds what they come from), unchanged ones keep their earlier stamps, and no `hydrator.metadata` is written",
                "commit the changes, then generate again",
            );
        }
        let generated_from = localgit::newest_commit_outside(&repository, head, &workdir, excluded);
        HldGit { repo, commit: Some(commit_of(&generated_from)), warning: None }
    }

    /// The repository holding `hld_root` at `reference`: its commit, as a run on a clean
    /// checkout of that ref would stamp it (`excluded` as for `describe`).
    pub fn at_ref(hld_root: &Path, reference: &str, excluded: &[PathBuf]) -> HldGit {
        let Some(repository) = localgit::discover(hld_root) else { return HldGit::default() };
        let repo = localgit::origin_url(&repository).map(|url| redact_url(&url)).filter(|url| !url.is_empty());
        let commit = repository.revparse_single(reference).and_then(|object| object.peel_to_commit()).ok();
        let commit = match (commit, repository.workdir()) {
            (Some(commit), Some(workdir)) => {
                Some(localgit::newest_commit_outside(&repository, commit, workdir, excluded))
            }
            (commit, _) => commit,
        };
        HldGit { repo, commit: commit.as_ref().map(commit_of), warning: None }
    }

    fn without_commit(repo: Option<String>, what: &str, instead: &str, help: &str) -> HldGit {
        let warning = Problem::warning("hldc::trace::no-commit", format!("{what}: {instead}")).help(help);
        HldGit { repo, commit: None, warning: Some(warning) }
    }
}

fn commit_of(commit: &git2::Commit) -> Commit {
    let person = |signature: git2::Signature| {
        format!(
            "{} <{}>",
            String::from_utf8_lossy(signature.name_bytes()),
            String::from_utf8_lossy(signature.email_bytes())
        )
    };
    let (body, references) = references_of(commit.body().ok().flatten().unwrap_or_default());
    Commit {
        sha: commit.id().to_string(),
        time: time::format(commit.committer().when().seconds()),
        author: person(commit.author()),
        author_time: time::format(commit.author().when().seconds()),
        subject: commit.summary().ok().flatten().unwrap_or_default().to_string(),
        body,
        references,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_of_commit_times() {
        assert_eq!(time::format(0), "1970-01-01T00:00:00Z");
        assert_eq!(time::format(1_705_314_600), "2024-01-15T10:30:00Z");
    }

    #[test]
    fn argo_reference_trailers_become_a_reference_and_leave_the_body() {
        let body = "Built by CI.\n\nArgocd-reference-commit-sha: abc123\nArgocd-reference-commit-repourl: https://u:p@h/app\nArgocd-reference-commit-body: \"line one\\n\\nline two\"\nSigned-off-by: D <d@e>";
        let (kept, references) = references_of(body);
        assert_eq!(kept, "Built by CI.\n\nSigned-off-by: D <d@e>");
        assert_eq!(
            references,
            [Reference {
                sha: "abc123".into(),
                repo_url: Some("https://h/app".into()),
                body: Some("line one\n\nline two".into()),
                ..Reference::default()
            }]
        );
        assert_eq!(references_of("no trailers").1, []);
    }

    #[test]
    fn outside_a_work_tree_there_is_no_commit_and_one_warning() {
        let dir = tempfile::tempdir().unwrap();
        let git = HldGit::describe(dir.path(), &[dir.path().to_path_buf()], &[]);
        assert!(git.commit.is_none() && git.repo.is_none());
        let warning = git.warning.unwrap();
        assert!(warning.message.contains("not in a git work tree"), "{}", warning.message);
        assert!(warning.message.contains("without `hldc.io/hld-repo` and `hldc.io/hld-commit`"));
    }

    #[test]
    fn an_hld_the_repository_ignores_is_uncommitted() {
        let dir = tempfile::tempdir().unwrap();
        let repository = git2::Repository::init(dir.path()).unwrap();
        std::fs::write(dir.path().join(".gitignore"), "hld/\n").unwrap();
        std::fs::create_dir(dir.path().join("hld")).unwrap();
        std::fs::write(dir.path().join("hld/component.yaml"), "name: a\n").unwrap();
        let mut index = repository.index().unwrap();
        index.add_path(Path::new(".gitignore")).unwrap();
        index.write().unwrap();
        let tree = repository.find_tree(index.write_tree().unwrap()).unwrap();
        let signature = git2::Signature::new("t", "t@e", &git2::Time::new(0, 0)).unwrap();
        repository.commit(Some("HEAD"), &signature, &signature, "init", &tree, &[]).unwrap();
        let git = HldGit::describe(&dir.path().join("hld"), &[dir.path().join("hld")], &[]);
        assert!(git.commit.is_none(), "HEAD holds no file of the HLD");
        assert!(git.warning.unwrap().message.contains("uncommitted changes (`hld`)"));
        assert!(
            HldGit::describe(dir.path(), &[dir.path().to_path_buf()], &[]).commit.is_some(),
            "the root itself is committed"
        );
    }
}
