//! `type: static`: every `.yaml`/`.yml`/`.json` file under `path`, recursively, in path order.
//! Other files are not manifests; they are named in a warning rather than skipped silently.

use std::path::{Path, PathBuf};

use crate::diag::Problem;
use crate::load::read_source;
use crate::model::plan::Planned;
use crate::sources::Sources;
use crate::yaml::{self, Document};

/// The documents of the component's manifests, and a warning naming the files left out.
pub fn render(planned: &Planned, sources: &Sources) -> Result<(Vec<Document>, Option<Problem>), Problem> {
    let root = sources.locate(&planned.node.definition, &planned.node.dir)?;
    let (manifests, others) = manifest_files(&root, sources)?;
    let mut documents = Vec::new();
    for path in manifests {
        let file = read_source(sources, &path)?;
        documents.extend(yaml::manifests::parse(&file)?);
    }
    let skipped = (!others.is_empty()).then(|| {
        let names: Vec<String> = others.iter().map(|path| format!("`{}`", sources.display(path))).collect();
        Problem::warning(
            "hldc::render::not-a-manifest",
            format!("component `{}` leaves out {}: not .yaml, .yml or .json", planned.node.path, names.join(", ")),
        )
        .at(planned.node.definition.field_location("path"))
        .label("static path")
        .help("rename manifests to .yaml; move other files out of the static path")
    });
    Ok((documents, skipped))
}

fn is_manifest(path: &Path) -> bool {
    matches!(path.extension().and_then(|e| e.to_str()), Some("yaml" | "yml" | "json"))
}

/// The manifest files under `root` (or `root` itself when it is a file), sorted by path so the
/// order never depends on the file system. Symlinks are followed when they stay inside the tree
/// the component comes from (the HLD, or the fetched source).
fn manifest_files(root: &Path, sources: &Sources) -> Result<(Vec<PathBuf>, Vec<PathBuf>), Problem> {
    if root.is_file() {
        return Ok((vec![root.to_path_buf()], Vec::new()));
    }
    let mut others = Vec::new();
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
        if !entry.file_type().is_file() {
            continue;
        }
        if !is_manifest(path) {
            // Dot files (.gitkeep, .helmignore) are never manifests, not even by mistake.
            if !entry.file_name().to_string_lossy().starts_with('.') {
                others.push(path.to_path_buf());
            }
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
    Ok((files, others))
}
