//! The manifest repository's history as `journey` needs it: every commit reachable from HEAD,
//! oldest first, with its commit time, its `Hld-Commit:` trailer and the trace records under
//! `.hldc/` in that commit; and the records at any other commit a cluster is synced to.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::rc::Rc;

use git2::{Oid, Repository, Sort};

use crate::diag::Problem;
use crate::localgit;
use crate::model::record::{Component, Record, Unreadable, DIRECTORY};

pub struct ManifestCommit {
    pub id: Oid,
    /// Committer time, seconds since the epoch.
    pub time: i64,
    /// The value of its `Hld-Commit:` trailer.
    pub hld_commit: Option<String>,
    pub records: Rc<[Rc<Record>]>,
}

/// An open manifest repository: where its records live and the records read so far.
pub struct ManifestRepo {
    pub repo: Repository,
    /// `.hldc` under the directory `-C` named, relative to the work tree.
    records_dir: String,
    by_blob: HashMap<Oid, Option<Rc<Record>>>,
    by_commit: HashMap<Oid, Rc<[Rc<Record>]>>,
    warnings: Vec<Problem>,
    /// Per record file, the first commit in which it held components without an HLD commit.
    uncommitted: BTreeMap<String, Oid>,
}

impl ManifestRepo {
    pub fn open(dir: &Path) -> Result<ManifestRepo, Problem> {
        let repo = localgit::open(dir).map_err(|e| {
            Problem::error("hldc::journey::not-a-repository", format!("`{}` is not in a git repository", dir.display()))
                .detail(e.message().to_string())
                .help("run journey in the manifest repository, or name it with -C")
        })?;
        let inside = match (repo.workdir(), std::path::absolute(dir)) {
            (Some(workdir), Ok(dir)) => {
                let workdir = workdir.canonicalize().unwrap_or_else(|_| workdir.to_path_buf());
                let dir = dir.canonicalize().unwrap_or(dir);
                dir.strip_prefix(&workdir).map(Path::to_path_buf).unwrap_or_default()
            }
            _ => Default::default(),
        };
        let mut records_dir: Vec<String> =
            inside.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
        records_dir.push(DIRECTORY.to_string());
        Ok(ManifestRepo {
            repo,
            records_dir: records_dir.join("/"),
            by_blob: HashMap::new(),
            by_commit: HashMap::new(),
            warnings: Vec::new(),
            uncommitted: BTreeMap::new(),
        })
    }

    /// Every commit reachable from HEAD, parents before children.
    pub fn history(&mut self) -> Result<Vec<ManifestCommit>, Problem> {
        let walk_error = |e: git2::Error| {
            Problem::error("hldc::journey::history", "cannot read the manifest repository's history")
                .detail(e.message().to_string())
                .help("check that the repository is not corrupt (`git fsck`)")
        };
        let head = self.repo.head().and_then(|h| h.peel_to_commit()).map(|c| c.id()).map_err(|e| {
            Problem::error("hldc::journey::no-history", "the manifest repository has no commits")
                .detail(e.message().to_string())
                .help("commit the generated output with its trace records first")
        })?;
        let mut walk = self.repo.revwalk().map_err(walk_error)?;
        walk.set_sorting(Sort::TOPOLOGICAL | Sort::TIME | Sort::REVERSE).map_err(walk_error)?;
        walk.push(head).map_err(walk_error)?;
        let ids: Vec<Oid> = walk.collect::<Result<_, _>>().map_err(walk_error)?;
        let mut commits = Vec::with_capacity(ids.len());
        for id in ids {
            let commit = self.repo.find_commit(id).map_err(walk_error)?;
            let hld_commit = commit.message_raw().ok().and_then(hld_trailer);
            let time = commit.time().seconds();
            drop(commit);
            commits.push(ManifestCommit { id, time, hld_commit, records: self.records_at(id)? });
        }
        Ok(commits)
    }

    /// The records in the tree of `id`; a record that does not read is a warning, once.
    pub fn records_at(&mut self, id: Oid) -> Result<Rc<[Rc<Record>]>, Problem> {
        if let Some(records) = self.by_commit.get(&id) {
            return Ok(records.clone());
        }
        let read_error = |e: git2::Error| {
            Problem::error("hldc::journey::history", format!("cannot read the trace records of commit `{id}`"))
                .detail(e.message().to_string())
                .help("check that the repository is not corrupt (`git fsck`)")
        };
        let blobs = self.record_blobs(id).map_err(read_error)?;
        let mut records = Vec::new();
        for (name, blob) in blobs {
            if let Some(record) = self.record(id, &name, blob)? {
                if record.components.iter().any(|c| committed(c).is_none()) {
                    self.uncommitted.entry(name).or_insert(id);
                }
                records.push(record);
            }
        }
        let records: Rc<[Rc<Record>]> = records.into();
        self.by_commit.insert(id, records.clone());
        Ok(records)
    }

    /// The `.json` files of the records directory in commit `id` and one level below, sorted.
    fn record_blobs(&self, id: Oid) -> Result<Vec<(String, Oid)>, git2::Error> {
        let tree = self.repo.find_commit(id)?.tree()?;
        let mut blobs = Vec::new();
        if let Ok(entry) = tree.get_path(Path::new(&self.records_dir)) {
            if let Ok(dir) = self.repo.find_tree(entry.id()) {
                for entry in dir.iter() {
                    let name = entry.name().unwrap_or_default().to_string();
                    match entry.kind() {
                        Some(git2::ObjectType::Blob) if name.ends_with(".json") => blobs.push((name, entry.id())),
                        Some(git2::ObjectType::Tree) => {
                            let sub = self.repo.find_tree(entry.id())?;
                            for inner in sub.iter().filter(|e| e.kind() == Some(git2::ObjectType::Blob)) {
                                let inner_name = inner.name().unwrap_or_default();
                                if inner_name.ends_with(".json") {
                                    blobs.push((format!("{name}/{inner_name}"), inner.id()));
                                }
                            }
                        }
                        _ => {}
                    }
                }
            }
        }
        Ok(blobs)
    }

    fn record(&mut self, commit: Oid, name: &str, blob: Oid) -> Result<Option<Rc<Record>>, Problem> {
        if let Some(known) = self.by_blob.get(&blob) {
            return Ok(known.clone());
        }
        let content = self.repo.find_blob(blob).map_err(|e| {
            Problem::error("hldc::journey::history", format!("cannot read `{}/{name}`", self.records_dir))
                .detail(e.message().to_string())
                .help("check that the repository is not corrupt (`git fsck`)")
        })?;
        let parsed = match Record::parse(content.content()) {
            Ok(record) => Some(Rc::new(record)),
            Err(e) => {
                let at = format!("`{}/{name}` in commit `{}`", self.records_dir, short(&commit.to_string()));
                self.warnings.push(match e {
                    Unreadable::Version(version) => Problem::warning(
                        "hldc::journey::record-version",
                        format!("{at} is a version {version} trace record; it is left out"),
                    )
                    .help("use an hldc that knows this record version"),
                    Unreadable::Malformed(e) => Problem::warning(
                        "hldc::journey::bad-record",
                        format!("{at} is not a trace record; it is left out"),
                    )
                    .detail(e.to_string())
                    .help("regenerate and commit the output with hldc generate"),
                });
                None
            }
        };
        self.by_blob.insert(blob, parsed.clone());
        Ok(parsed)
    }

    /// The warnings of reading so far: records left out, and one per record file that held
    /// components without an HLD commit (a generate outside git or with uncommitted changes).
    pub fn take_warnings(&mut self) -> Vec<Problem> {
        let mut warnings = std::mem::take(&mut self.warnings);
        for (name, first) in std::mem::take(&mut self.uncommitted) {
            warnings.push(
                Problem::warning(
                    "hldc::journey::no-hld-commit",
                    format!(
                        "`{}/{name}` names no HLD commit for some components (from commit `{}` on); they are left out",
                        self.records_dir,
                        short(&first.to_string())
                    ),
                )
                .help("generate from a committed HLD (a git work tree without uncommitted changes) so each change has a commit to trace"),
            );
        }
        warnings
    }

    /// The commits reachable from `id` (itself included).
    pub fn reachable(&self, id: Oid) -> Result<std::collections::HashSet<Oid>, Problem> {
        let error = |e: git2::Error| {
            Problem::error("hldc::journey::history", format!("cannot walk the history of commit `{id}`"))
                .detail(e.message().to_string())
                .help("check that the repository is not corrupt (`git fsck`)")
        };
        let mut walk = self.repo.revwalk().map_err(error)?;
        walk.push(id).map_err(error)?;
        walk.collect::<Result<_, _>>().map_err(error)
    }
}

/// The HLD commit that last changed a component and its time; `None` in a record written
/// outside git or with uncommitted changes, which `journey` cannot place in history.
pub fn committed(component: &Component) -> Option<(&str, &str)> {
    Some((component.hld_commit.as_deref()?, component.hld_commit_time.as_deref()?))
}

/// The `Hld-Commit:` trailer of a commit message.
fn hld_trailer(message: &str) -> Option<String> {
    let trailers = git2::message_trailers_strs(message).ok()?;
    let value = trailers.iter().find(|(key, _)| key.eq_ignore_ascii_case("Hld-Commit")).map(|(_, v)| v.trim());
    value.map(str::to_string)
}

/// The first 7 characters of a commit id, as people read them.
pub fn short(id: &str) -> &str {
    id.get(..7).unwrap_or(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_trailer() {
        let sha = "0123456789abcdef0123456789abcdef01234567";
        assert_eq!(hld_trailer(&format!("generate prod\n\nbody\n\nHld-Commit: {sha}\n")).as_deref(), Some(sha));
        assert_eq!(hld_trailer(&format!("x\n\nhld-commit: {sha}\nSigned-off-by: a <a@b>\n")).as_deref(), Some(sha));
        assert_eq!(hld_trailer("generate prod\n\nno trailers here\n"), None);
    }
}
