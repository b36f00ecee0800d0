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
/// order never depends on the file system: the repository's files (`Sources::walk`), symlinks
/// followed while they stay inside the tree the component comes from.
fn manifest_files(root: &Path, sources: &Sources) -> Result<(Vec<PathBuf>, Vec<PathBuf>), Problem> {
    let mut others = Vec::new();
    let mut files = Vec::new();
    for file in sources.walk(root, "its source")?.files {
        // A path naming a file names a manifest, whatever its name (an http source's is a digest).
        if file.relative.as_os_str().is_empty() || is_manifest(&file.path) {
            files.push(file.path);
        } else if !file.path.file_name().is_some_and(|name| name.to_string_lossy().starts_with('.')) {
            // Dot files (.gitkeep, .helmignore) are never manifests, not even by mistake.
            others.push(file.path);
        }
    }
    Ok((files, others))
}
