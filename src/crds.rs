//! CRD files the HLD names in `hldc.yaml` (`crds:`), for custom resources whose
//! CustomResourceDefinition is installed by something else than this HLD (an operator's own
//! release, the platform team): their custom resources are checked against these CRDs'
//! `openAPIV3Schema` as against a CRD in the output, and their scopes are known.
//!
//! An entry is a path (a file, or a directory of `.yaml`/`.yml`/`.json` files) relative to the
//! HLD root and inside its repository, or a source written like a component's
//! (`{source, method: git, path, version | branch}`), fetched and pinned in `hldc.lock` through
//! `Sources` like every other source. Only the named sources are fetched.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_yaml::Value;

use crate::diag::Problem;
use crate::load::read_source;
use crate::model::tree::Declared;
use crate::model::{ComponentSpec, Hooks, Method};
use crate::project::{CrdMethod, CrdSource, Project, PROJECT_FILE};
use crate::sources::Sources;
use crate::yaml::{parse_all, Document, Segment};

/// The CustomResourceDefinitions of every `crds:` entry of `project`, fetching remote ones
/// (all at once) first. A named file that is not a CRD is an error: a typo in a path should not
/// silently check nothing.
pub fn load(project: &Project, sources: &Sources) -> Result<Vec<Document>, Vec<Problem>> {
    let Some(document) = &project.document else { return Ok(Vec::new()) };
    let root = sources.hld_root().to_path_buf();
    let entries: Vec<Declared> =
        project.crds.iter().enumerate().map(|(index, crd)| declared(crd, index, document)).collect();
    let pairs: Vec<(&Declared, &Path)> = entries.iter().map(|entry| (entry, root.as_path())).collect();
    let fetched = sources.prefetch(&pairs);
    if !fetched.is_empty() {
        return Err(fetched);
    }
    let mut crds = Vec::new();
    let mut problems = Vec::new();
    for entry in &entries {
        match sources.locate(entry, &root).and_then(|found| read_crds(&found, entry, sources)) {
            Ok(mut found) => crds.append(&mut found),
            Err(problem) => problems.push(problem),
        }
    }
    if problems.is_empty() {
        Ok(crds)
    } else {
        Err(problems)
    }
}

/// An entry as the component entry `Sources` knows how to locate and fetch.
fn declared(crd: &CrdSource, index: usize, document: &Arc<Document>) -> Declared {
    let mut spec = ComponentSpec {
        name: format!("{PROJECT_FILE}: crds[{index}]"),
        component_type: None,
        generator: None,
        method: None,
        source: None,
        path: None,
        version: None,
        branch: None,
        plain_http: None,
        subcomponents: Vec::new(),
        hooks: Hooks::default(),
        repositories: None,
    };
    match crd {
        CrdSource::Local(path) => spec.path = Some(path.clone()),
        CrdSource::Remote(remote) => {
            spec.method = Some(match remote.method {
                CrdMethod::Git => Method::Git,
            });
            spec.source = Some(remote.source.clone());
            spec.path = remote.path.clone();
            spec.version = remote.version.clone();
            spec.branch = remote.branch.clone();
        }
    }
    Declared { spec, document: document.clone(), at: vec![Segment::Key("crds".into()), Segment::Index(index)] }
}

fn read_crds(found: &Path, entry: &Declared, sources: &Sources) -> Result<Vec<Document>, Problem> {
    let files: Vec<PathBuf> = sources
        .walk(found, "its source")?
        .files
        .into_iter()
        .map(|file| file.path)
        .filter(|path| {
            found == path
                || path.extension().and_then(|e| e.to_str()).is_some_and(|e| matches!(e, "yaml" | "yml" | "json"))
        })
        .collect();
    let mut crds = Vec::new();
    for file in files {
        let text = read_source(sources, &file)?;
        for document in parse_all(&text)? {
            if document.value.is_null() {
                continue;
            }
            if !is_crd(&document.value) {
                return Err(Problem::error(
                    "hldc::project::not-a-crd",
                    format!(
                        "`{}`, named in `{PROJECT_FILE}`, holds something other than an `apiextensions.k8s.io/v1` CustomResourceDefinition",
                        text.name()
                    ),
                )
                .at(document.value_location(&[]))
                .label("not a CustomResourceDefinition")
                .help("name only CRD files under `crds:`; the other objects belong in a component")
                .related(Problem::warning("hldc::project::not-a-crd", "named here").at(entry.location())));
            }
            crds.push(document);
        }
    }
    Ok(crds)
}

fn is_crd(value: &Value) -> bool {
    value.get("apiVersion").and_then(Value::as_str) == Some("apiextensions.k8s.io/v1")
        && value.get("kind").and_then(Value::as_str) == Some("CustomResourceDefinition")
}
