//! `hldc init [DIR]`: a new HLD that validates and generates as it is, with the JSON Schemas
//! beside it so editors (yaml-language-server modelines) complete and check the files offline.

use std::path::Path;

use crate::diag::Problem;
use crate::schema::Schema;

/// Where the schemas go, relative to the HLD root: committed with the HLD, so not under
/// `.hldc/`, where `generate` keeps its trace records beside the output.
const SCHEMA_DIR: &str = "schemas";

/// The files of a new HLD named `name`, relative path → text.
fn files(name: &str) -> Vec<(String, String)> {
    let modeline = |depth: usize, schema: Schema| {
        format!("# yaml-language-server: $schema={}{SCHEMA_DIR}/{}.schema.json\n", "../".repeat(depth), schema.name())
    };
    let mut files = vec![
        (
            "component.yaml".to_string(),
            format!(
                "{}# The tree of components: `subcomponents` is a list here (in config files it is a map by name).\n\
                 name: {name}\n\
                 subcomponents:\n\
                 \x20 - name: hello\n\
                 \x20   type: static\n\
                 \x20   path: ./manifests/hello\n",
                modeline(0, Schema::Component)
            ),
        ),
        (
            "config/common.yaml".to_string(),
            format!(
                "{}# Config of every environment; config/<env>.yaml overrides it key by key.\n\
                 subcomponents:\n\
                 \x20 hello:\n\
                 \x20   namespace: hello\n\
                 \x20   injectNamespace: true\n",
                modeline(1, Schema::Config)
            ),
        ),
        (
            "config/prod.yaml".to_string(),
            format!("{}# Config of `prod` only, above config/common.yaml.\n{{}}\n", modeline(1, Schema::Config)),
        ),
        (
            "hldc.yaml".to_string(),
            format!(
                "{}# Settings of the whole HLD. Give an environment clusters to render it once per cluster:\n\
                 #   prod: {{clusters: [east-us, west-us]}}\n\
                 environments:\n\
                 \x20 prod: {{}}\n",
                modeline(0, Schema::Project)
            ),
        ),
        (
            "manifests/hello/configmap.yaml".to_string(),
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: hello\ndata:\n  greeting: hello\n".to_string(),
        ),
        ("README.md".to_string(), readme(name)),
    ];
    files.extend(
        [Schema::Component, Schema::Config, Schema::Project]
            .map(|schema| (format!("{SCHEMA_DIR}/{}.schema.json", schema.name()), schema.text().to_string())),
    );
    files
}

fn readme(name: &str) -> String {
    format!(
        "# {name}\n\n\
         A high-level definition (HLD): components and their config per environment, compiled by hldc into\n\
         plain Kubernetes manifests.\n\n\
         ```sh\n\
         hldc validate               # check the files (no network, no helm)\n\
         hldc generate prod          # write generated/prod/\n\
         hldc diff prod              # what would change\n\
         ```\n\n\
         - `component.yaml`: the components (`type: static` for plain manifests, `type: helm` for charts).\n\
         - `config/common.yaml`, `config/<env>.yaml`: their config per environment.\n\
         - `hldc.yaml`: the environments and their clusters.\n\
         - `{SCHEMA_DIR}/`: the JSON Schemas the `# yaml-language-server` lines point at, for editor\n\
         \x20 completion; refresh them with `hldc schema component > {SCHEMA_DIR}/component.schema.json` (and\n\
         \x20 `config`, `project`) after upgrading hldc.\n\n\
         Commit `generated/` when Flux or Argo CD read it from this repository; when a pipeline writes it to a\n\
         separate manifest repository, add `generated/` to `.gitignore`.\n"
    )
}

/// Writes a new HLD into `dir` (created when missing); refuses a directory that holds anything.
/// Returns the files written, relative to `dir`.
pub fn init(dir: &Path) -> Result<Vec<String>, Problem> {
    let io_error = |what: &str, path: &Path, e: std::io::Error| {
        Problem::error("hldc::init::io", format!("cannot {what} `{}`: {e}", path.display()))
            .help("check the path and its permissions")
    };
    match std::fs::read_dir(dir) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                return Err(Problem::error(
                    "hldc::init::not-empty",
                    format!("`{}` is not empty; `hldc init` writes only into an empty or new directory", dir.display()),
                )
                .help("name a new directory (`hldc init my-hld`), or empty this one first"));
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(io_error("read", dir, e)),
    }
    let name = std::path::absolute(dir)
        .ok()
        .and_then(|path| path.file_name().map(|n| n.to_string_lossy().into_owned()))
        .filter(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.'))
        .unwrap_or_else(|| "my-hld".to_string());
    let mut written = Vec::new();
    for (relative, text) in files(&name) {
        let path = dir.join(&relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| io_error("create", parent, e))?;
        }
        std::fs::write(&path, text).map_err(|e| io_error("write", &path, e))?;
        written.push(relative);
    }
    Ok(written)
}
