//! `type: static`: every `.yaml`/`.yml` file under `path`, recursively, in path order.

use std::path::Path;

use crate::diag::Problem;
use crate::load::read_source;
use crate::resolve::Planned;
use crate::sources::Sources;
use crate::yaml::{parse_all, Document};

pub fn render(planned: &Planned, sources: &Sources) -> Result<Vec<Document>, Problem> {
    let root = sources.locate(&planned.node.entry, &planned.node.base_dir)?;
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
/// order never depends on the file system.
fn manifest_files(root: &Path, sources: &Sources) -> Result<Vec<std::path::PathBuf>, Problem> {
    if root.is_file() {
        return Ok(vec![root.to_path_buf()]);
    }
    let mut files = Vec::new();
    for entry in walkdir::WalkDir::new(root).sort_by_file_name() {
        let entry = entry.map_err(|e| {
            Problem::error(
                "hldc::io::read",
                format!("cannot read `{}`: {e}", e.path().map(|p| sources.display(p)).unwrap_or_default()),
            )
            .help("check permissions in the static directory")
        })?;
        let path = entry.path();
        if entry.file_type().is_symlink() {
            // Links are followed only when they stay inside the HLD.
            let target = path.canonicalize().ok().filter(|t| t.starts_with(sources.hld_root()));
            match target {
                Some(target) if target.is_file() && is_manifest(path) => files.push(path.to_path_buf()),
                Some(_) => {}
                None => {
                    return Err(Problem::error(
                        "hldc::source::escape",
                        format!("`{}` is a symlink that leads outside the HLD", sources.display(path)),
                    )
                    .path(sources.display(path))
                    .help("replace the link with the file, or point it inside the HLD"))
                }
            }
        } else if entry.file_type().is_file() && is_manifest(path) {
            files.push(path.to_path_buf());
        }
    }
    Ok(files)
}
