//! `type: kustomize`: a directory holding a `kustomization.yaml`, built by the real kustomize
//! (`kustomize build`, or `kubectl kustomize`), isolated like helm and bounded by the same
//! timeout. kustomize fetches remote bases itself, outside hldc's lock and cache, so they are
//! refused before it runs: a remote base must become a git source of the HLD.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_yaml::Value;

use crate::diag::{Problem, SourceFile};
use crate::load::read_source;
use crate::model::plan::Planned;
use crate::model::tree::Declared;
use crate::process::{self, Failure};
use crate::sources::Sources;
use crate::yaml::{manifests, parse_one, Document, Segment};

use super::{HelmSettings, Kustomize};

/// The names kustomize looks for in a directory, in its order.
const KUSTOMIZATION_FILES: [&str; 3] = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// The fields of a kustomization that name other files or directories.
const REFERENCES: [&str; 3] = ["resources", "bases", "components"];

/// How deep local bases may nest before the walk stops looking (kustomize refuses cycles itself).
const MAX_DEPTH: usize = 32;

pub fn render(planned: &Planned, sources: &Sources, settings: &HelmSettings) -> Result<Vec<Document>, Problem> {
    let name = planned.node.name();
    let entry = &planned.node.definition;
    let dir = sources.locate(entry, &planned.node.dir)?;
    let display = sources.display(&dir);
    check_directory(entry, &planned.node.path, &dir, sources)?;
    let Some(program) = &settings.kustomize else {
        return Err(Problem::error(
            "hldc::kustomize::missing",
            format!("component `{name}` is a kustomize component, but neither `kustomize` nor `kubectl` was found"),
        )
        .at(entry.field_location("type"))
        .help("install kubectl or kustomize (`scripts/install-tools` puts kubectl in .tools/bin), then put it on PATH, pass `--kustomize PATH`, or set HLDC_KUSTOMIZE"));
    };
    let home = tempfile::tempdir().map_err(|e| {
        Problem::error("hldc::io::temp", format!("cannot create a temporary directory for kustomize: {e}"))
    })?;
    let (binary, mut command) = match program {
        Kustomize::Standalone(binary) => {
            let mut command = process::isolated_command(binary, home.path());
            command.arg("build");
            (binary, command)
        }
        Kustomize::Kubectl(binary) => {
            let mut command = process::isolated_command(binary, home.path());
            command.arg("kustomize");
            (binary, command)
        }
    };
    command.arg(&dir).current_dir(sources.hld_root());
    let failed = |reason: String| {
        Problem::error(
            "hldc::kustomize::failed",
            format!("kustomize failed to build component `{name}` (`{display}`): {reason}"),
        )
        .at(entry.location())
        .label("this component")
    };
    let output = process::run(command, &[], settings.timeout).map_err(|failure| match &failure {
        Failure::Spawn(e) => {
            Problem::error("hldc::kustomize::spawn", format!("cannot run kustomize at `{}`: {e}", binary.display()))
                .at(entry.location())
                .help("check the path given by `--kustomize` or HLDC_KUSTOMIZE, or put kustomize or kubectl on PATH")
        }
        Failure::Timeout(_) => failed(failure.to_string()).help("raise `--helm-timeout`, which bounds kustomize too"),
        Failure::Exit { stderr, .. } => failed(failure.to_string())
            .detail(stderr.clone())
            .help("read kustomize's message above; check the kustomization and the files it names"),
        Failure::Input(_) | Failure::Output(_) | Failure::Wait(_) => {
            Problem::error("hldc::kustomize::io", format!("cannot run kustomize for component `{name}`: {failure}"))
                .at(entry.location())
                .help("this is a problem of the machine (pipes, processes), not of the HLD; run again")
        }
    })?;
    let output = String::from_utf8(output)
        .map_err(|_| failed("its output is not UTF-8".to_string()).help("check the manifests for binary content"))?;
    let file = SourceFile::new(format!("kustomize build {display}"), output);
    manifests::parse(&file)
}

/// What can be known of a kustomize component without running kustomize (`validate` checks it
/// too): `dir` holds a kustomization, and neither it nor the local bases it names is remote.
pub fn check_directory(entry: &Declared, component: &str, dir: &Path, sources: &Sources) -> Result<(), Problem> {
    if kustomization_in(dir).is_none() {
        let field = if entry.spec.path.is_some() { "path" } else { "source" };
        return Err(Problem::error(
            "hldc::kustomize::no-kustomization",
            format!(
                "`{}` (the directory of kustomize component `{component}`) holds no kustomization.yaml",
                sources.display(dir)
            ),
        )
        .at(entry.field_location(field))
        .label("kustomize directory")
        .help("point `path` at the directory holding kustomization.yaml, or use `type: static` for plain manifests"));
    }
    refuse_remote(dir, sources, &mut BTreeSet::new(), 0)
}

fn kustomization_in(dir: &Path) -> Option<PathBuf> {
    KUSTOMIZATION_FILES.iter().map(|name| dir.join(name)).find(|path| path.is_file())
}

/// Refuses remote references in the kustomization of `dir` and of the local directories it
/// names, before kustomize would fetch them.
fn refuse_remote(dir: &Path, sources: &Sources, seen: &mut BTreeSet<PathBuf>, depth: usize) -> Result<(), Problem> {
    let Some(path) = kustomization_in(dir) else { return Ok(()) };
    if depth > MAX_DEPTH || !seen.insert(path.clone()) {
        return Ok(());
    }
    let document = parse_one(&read_source(sources, &path)?)?;
    if document.value.get("helmCharts").is_some() || document.value.get("helmChartInflationGenerator").is_some() {
        let field =
            if document.value.get("helmCharts").is_some() { "helmCharts" } else { "helmChartInflationGenerator" };
        return Err(Problem::error(
            "hldc::kustomize::helm",
            format!("`{}` inflates helm charts, which kustomize would fetch itself", sources.display(&path)),
        )
        .at(document.key_location(&[Segment::Key(field.into())]))
        .label("helm inside kustomize")
        .help("make the chart a `type: helm` component and patch it with `patches:` in its config"));
    }
    for field in REFERENCES {
        let Some(entries) = document.value.get(field).and_then(Value::as_sequence) else { continue };
        for (index, reference) in entries.iter().enumerate() {
            let Some(reference) = reference.as_str() else { continue };
            let local = lexical(&dir.join(reference));
            if is_remote(reference, &local) {
                return Err(Problem::error(
                    "hldc::kustomize::remote",
                    format!("`{}` names the remote `{reference}`", sources.display(&path)),
                )
                .at(document.value_location(&[Segment::Key(field.into()), Segment::Index(index)]))
                .label("fetched by kustomize, outside hldc's lock")
                .help("make the remote base a git source of the HLD (a `method: git` component, or the kustomize component's own `source`), and name it by a local path"));
            }
            if local.is_dir() {
                refuse_remote(&local, sources, seen, depth + 1)?;
            }
        }
    }
    Ok(())
}

/// `path` without `.` and `..` steps, so that messages name a base as `base/...`, not
/// `overlay/../base/...` (the file system is not asked: a symlink stays as written).
fn lexical(path: &Path) -> PathBuf {
    let mut clean = PathBuf::new();
    for component in path.components() {
        match component {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir if clean.file_name().is_some() => {
                clean.pop();
            }
            other => clean.push(other),
        }
    }
    clean
}

/// A URL, an scp-like git address, or a `host.tld/...` path that is not a local file.
fn is_remote(reference: &str, local: &Path) -> bool {
    if reference.contains("://") || reference.starts_with("git@") || reference.contains("?ref=") {
        return true;
    }
    let first = reference.split('/').next().unwrap_or_default();
    let looks_like_host = first.contains('.') && !first.starts_with('.') && reference.contains('/');
    looks_like_host && !local.exists()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_references() {
        let dir = Path::new("/nonexistent");
        for remote in [
            "https://github.com/org/repo//base?ref=v1",
            "github.com/org/repo/base?ref=main",
            "github.com/org/repo/base",
            "git@github.com:org/repo.git",
            "ssh://git@host/repo",
        ] {
            assert!(is_remote(remote, &dir.join(remote)), "{remote}");
        }
        for local in ["../base", "deployment.yaml", "./overlays/prod", "base"] {
            assert!(!is_remote(local, &dir.join(local)), "{local}");
        }
    }
}
