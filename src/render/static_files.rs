//! `type: static`: every `.yaml`/`.yml` file under `path`, recursively, in path order.

use std::path::Path;

use crate::diag::Problem;
use crate::load::read_source;
use crate::resolve::Planned;
use crate::sources::Sources;
use crate::yaml::{parse_all, Document};

pub fn render(planned: &Planned, sources: &Sources) -> Result<Vec<Document>, Problem> {
    let root = sources.locate(&planned.node.definition, &planned.node.dir)?;
    let mut documents = Vec::new();
    for path in manifest_files(&root, sources)? {
        let file = read_source(sources, &path)?;
        documents.extend(parse_all(&file)?);
    }
    Ok(documents)
}

fn is_manifest(path: &Path) -> bool {
    matches!(path.extension().and_then(|e| e.to_str()), Some("yaml" | "yml"))
}

/// The manifest files under `root` (or `root` itself when it is a file), sorted by path so the
/// order never depends on the file system. Symlinks are followed when they stay inside the tree
/// the component comes from (the HLD, or the fetched source).
fn manifest_files(root: &Path, sources: &Sources) -> Result<Vec<std::path::PathBuf>, Problem> {
    if root.is_file() {
        return Ok(vec![root.to_path_buf()]);
    }
    let boundary = sources.boundary_of(root);
    let mut files = Vec::new();
    for entry in walkdir::WalkDir::new(root).follow_links(true).sort_by_file_name() {
        let entry = entry.map_err(|e| {
            let path = e.path().map(|p| sources.display(p)).unwrap_or_default();
            let reason = if e.loop_ancestor().is_some() {
                "a symlink loops back to a directory above it".to_string()
            } else if e.path().is_some_and(|p| p.is_symlink() && !p.exists()) {
                "a symlink points to nothing".to_string()
            } else {
                e.to_string()
            };
            Problem::error("hldc::io::read", format!("cannot read `{path}`: {reason}"))
                .path(path)
                .help("fix or remove the link")
        })?;
        let path = entry.path();
        if !(entry.file_type().is_file() && is_manifest(path)) {
            continue;
        }
        if !path.canonicalize().is_ok_and(|target| target.starts_with(&boundary)) {
            return Err(Problem::error(
                "hldc::source::escape",
                format!("`{}` is reached through a symlink that leads outside its source", sources.display(path)),
            )
            .path(sources.display(path))
            .help("replace the link with the file, or point it inside the HLD"));
        }
        files.push(path.to_path_buf());
    }
    Ok(files)
}
