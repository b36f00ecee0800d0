//! `type: kustomize`: a directory holding a `kustomization.yaml`, built by the real kustomize
//! (`kustomize build`, or `kubectl kustomize`), isolated like helm and bounded by the same
//! timeout. kustomize fetches remote bases itself, outside hldc's lock and cache, so they are
//! refused before it runs: a remote base must become a git source of the HLD. Every field of
//! a kustomization that names a file or directory (and of the plugin configs its transformers,
//! generators and validators name) is checked against the repository's boundary before
//! kustomize runs: no URL, nothing outside, nothing in `.git`, nothing git ignores.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_yaml::Value;

use crate::diag::{Problem, SourceFile};
use crate::files::{Refusal, Refused};
use crate::load::read_source;
use crate::model::plan::Planned;
use crate::model::tree::Declared;
use crate::process::{self, Failure};
use crate::sources::Sources;
use crate::yaml::{manifests, parse_all, parse_one, Document, Segment};

use super::{HelmSettings, Kustomize};

/// The names kustomize looks for in a directory, in its order.
const KUSTOMIZATION_FILES: [&str; 3] = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// The fields of a kustomization (or of a builtin plugin's config) that list files or
/// directories.
const LISTS: [&str; 10] = [
    "resources",
    "bases",
    "components",
    "patchesStrategicMerge",
    "transformers",
    "generators",
    "validators",
    "crds",
    "configurations",
    "paths",
];

/// The fields listing objects, each of which may name a file in `path`.
const OBJECTS_WITH_PATH: [&str; 3] = ["patches", "patchesJson6902", "replacements"];

/// The generators whose entries name files in `files` (`key=path` or `path`), `envs` and `env`.
const GENERATORS: [&str; 2] = ["configMapGenerator", "secretGenerator"];

/// The fields whose files are plugin configs, which name files of their own.
const PLUGINS: [&str; 3] = ["transformers", "generators", "validators"];

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
    refuse_remote(dir, sources, &mut BTreeSet::new(), 0, false)
}

fn kustomization_in(dir: &Path) -> Option<PathBuf> {
    KUSTOMIZATION_FILES.iter().map(|name| dir.join(name)).find(|path| path.is_file())
}

/// Checks the kustomization of `dir` and of the local directories it names, before kustomize
/// would read or fetch what they name. `plugins`: the kustomization was named by a
/// `transformers`, `generators` or `validators` field, so the files it names are plugin configs.
fn refuse_remote(
    dir: &Path,
    sources: &Sources,
    seen: &mut BTreeSet<PathBuf>,
    depth: usize,
    plugins: bool,
) -> Result<(), Problem> {
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
    for (at, reference) in references(&document.value) {
        let local = check_reference(dir, &reference, &document, &at, sources)?;
        let plugins = plugins || matches!(at.first(), Some(Segment::Key(field)) if PLUGINS.contains(&field.as_str()));
        if local.is_dir() {
            refuse_remote(&local, sources, seen, depth + 1, plugins)?;
        } else if plugins && local.is_file() {
            // A builtin plugin's config names files relative to the kustomization, like it.
            for config in parse_all(&read_source(sources, &local)?)? {
                for (at, reference) in references(&config.value) {
                    check_reference(dir, &reference, &config, &at, sources)?;
                }
            }
        }
    }
    Ok(())
}

/// A file or directory a kustomization names: where (the value's path) and what.
type Reference = (Vec<Segment>, String);

/// The files and directories a kustomization or a plugin config names.
fn references(value: &Value) -> Vec<Reference> {
    let mut found = Vec::new();
    for field in LISTS {
        for (index, item) in items(value, field) {
            push_name(&mut found, vec![key(field), Segment::Index(index)], Some(item));
        }
    }
    push_name(&mut found, vec![key("path")], value.get("path"));
    push_name(&mut found, vec![key("openapi"), key("path")], value.get("openapi").and_then(|o| o.get("path")));
    for field in OBJECTS_WITH_PATH {
        for (index, item) in items(value, field) {
            push_name(&mut found, vec![key(field), Segment::Index(index), key("path")], item.get("path"));
        }
    }
    // A ConfigMapGenerator or SecretGenerator plugin config names its files at the top.
    generator_files(&mut found, Vec::new(), value);
    for field in GENERATORS {
        for (index, item) in items(value, field) {
            generator_files(&mut found, vec![key(field), Segment::Index(index)], item);
        }
    }
    found
}

fn generator_files(found: &mut Vec<Reference>, at: Vec<Segment>, generator: &Value) {
    for field in ["files", "envs"] {
        for (index, item) in items(generator, field) {
            let mut at = at.clone();
            at.extend([key(field), Segment::Index(index)]);
            // `files` entries may be `key=path`.
            let path = item.as_str().map(|text| Value::from(text.split_once('=').map_or(text, |(_, path)| path)));
            push_name(found, at, path.as_ref());
        }
    }
    let mut at = at;
    at.push(key("env"));
    push_name(found, at, generator.get("env"));
}

/// Adds a name; text spanning lines is an inline patch or config, not a name.
fn push_name(found: &mut Vec<Reference>, at: Vec<Segment>, value: Option<&Value>) {
    if let Some(text) = value.and_then(Value::as_str).filter(|text| !text.contains('\n')) {
        found.push((at, text.to_string()));
    }
}

fn items<'v>(value: &'v Value, field: &str) -> impl Iterator<Item = (usize, &'v Value)> {
    value.get(field).and_then(Value::as_sequence).into_iter().flatten().enumerate()
}

fn key(name: &str) -> Segment {
    Segment::Key(name.to_string())
}

/// Where a local reference of the kustomization in `dir` leads, refused when it is remote (not
/// in hldc's lock), or leaves the repository, or is in `.git`, or is ignored by git.
fn check_reference(
    dir: &Path,
    reference: &str,
    document: &Document,
    at: &[Segment],
    sources: &Sources,
) -> Result<PathBuf, Problem> {
    let local = lexical(&dir.join(reference));
    if is_remote(reference, &local) {
        return Err(Problem::error(
            "hldc::kustomize::remote",
            format!("`{}` names the remote `{reference}`", document.file.name()),
        )
        .at(document.value_location(at))
        .label("fetched by kustomize, outside hldc's lock")
        .help("make the remote base a git source of the HLD (a `method: git` component, or the kustomize component's own `source`), and name it by a local path"));
    }
    match sources.boundary_of(dir).resolve(&local) {
        // Nothing there to read: kustomize says so better.
        Err(Refused { why: Refusal::Io(e), .. }) if e.kind() == std::io::ErrorKind::NotFound => Ok(local),
        // A path outside is named as written: hldc never shows absolute paths.
        Err(refused) => Err(refused
            .problem(
                &if local.starts_with(sources.boundary_of(dir).root()) {
                    sources.display(&local)
                } else {
                    reference.to_string()
                },
                "the repository",
            )
            .at(document.value_location(at))
            .label("named here")),
        Ok(_) => Ok(local),
    }
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
    fn every_field_naming_a_file_is_a_reference() {
        let kustomization: Value = serde_yaml::from_str(
            "resources: [r]\nbases: [b]\ncomponents: [c]\npatches: [{path: p}, {patch: inline}]\n\
             patchesStrategicMerge: [psm, \"kind: X\\nmetadata: {}\\n\"]\npatchesJson6902: [{path: pj}]\n\
             transformers: [t]\ngenerators: [g]\nvalidators: [v]\nreplacements: [{path: rp}]\n\
             openapi: {path: o}\ncrds: [crd]\nconfigurations: [conf]\n\
             configMapGenerator: [{files: [f, key=kf], envs: [e], env: single}]\nsecretGenerator: [{files: [s]}]\n",
        )
        .unwrap();
        let names: BTreeSet<String> = references(&kustomization).into_iter().map(|(_, name)| name).collect();
        let expected =
            ["r", "b", "c", "p", "psm", "pj", "t", "g", "v", "rp", "o", "crd", "conf", "f", "kf", "e", "single", "s"];
        assert_eq!(names, expected.into_iter().map(String::from).collect());
        let plugin: Value = serde_yaml::from_str("kind: PatchTransformer\npath: p\n").unwrap();
        assert_eq!(references(&plugin), [(vec![key("path")], "p".to_string())]);
    }

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
