//! `hldc set`, `add` and `remove` (Fabrikate's): edits of an HLD's own files through the
//! surgical editor of `crate::edit`. Each command edits one file in memory, checks the result
//! against the file's schema, and replaces the file atomically; on any problem the file is
//! left byte for byte as it was.

use std::path::{Path, PathBuf};

use serde_yaml::{Mapping, Value};

use super::strings::{self, Stringified};
use crate::atomic::{self, Access};
use crate::diag::{Problem, Source, SourceFile};
use crate::edit::{self, Editor};
use crate::schema::{self, Schema};
use crate::sources::Sources;
use crate::suggest::did_you_mean;
use crate::yaml::{display_path, lookup, parse_one, Document, Segment};

/// What `hldc set` writes.
#[derive(Debug, Clone, Default)]
pub struct SetOptions {
    pub environment: String,
    /// The component, as subcomponent names from the root (`infra.jaeger` → `[infra, jaeger]`).
    pub component: Vec<String>,
    pub no_new_keys: bool,
    /// Every value a string (`--string`).
    pub strings: bool,
    /// Write the `trace` block instead of `config`.
    pub trace: bool,
    /// Values files merged in first, in order (`-f`).
    pub files: Vec<PathBuf>,
    /// `KEY=VALUE` assignments, applied after the files.
    pub assignments: Vec<String>,
    /// Make `config/<env>.yaml` for an environment nothing names yet (`--create`).
    pub create: bool,
}

/// What `hldc set` wrote.
#[derive(Debug)]
pub struct Written {
    /// The config file, named relative to the HLD root.
    pub file: String,
    /// The values written as strings though typed otherwise (`ops::strings`).
    pub stringified: Vec<Stringified>,
}

/// Sets values in `config/<env>.yaml` of the HLD at `root`.
pub fn set(root: &Path, options: &SetOptions) -> Result<Written, Problem> {
    if !crate::load::is_environment_name(&options.environment) {
        return Err(Problem::error(
            "hldc::set::environment",
            format!("`{}` is not an environment name", options.environment),
        )
        .help("use letters, digits, `-`, `_` and `.`, e.g. `prod`"));
    }
    let component = from_root(root, &options.component)?;
    check_component(root, component)?;
    let values = Segment::Key(if options.trace { "trace" } else { "config" }.into());
    // Paths inside the component's block of the config file.
    let mut leaves = Vec::new();
    for file in &options.files {
        let document = parse_one(&read(file, &file.display().to_string())?)?;
        match &document.value {
            Value::Mapping(map) => flatten(map, &mut vec![values.clone()], &mut leaves),
            Value::Null => {}
            _ => {
                return Err(Problem::error(
                    "hldc::set::values-file",
                    format!("`{}` holds no mapping of values", document.file.name()),
                )
                .at(document.value_location(&[]))
                .help("a values file is a mapping, as helm's values.yaml"))
            }
        }
    }
    for assignment in &options.assignments {
        let (path, value) = parse_assignment(assignment, options.strings || options.trace)?;
        let path =
            if options.trace { [vec![values.clone()], path].concat() } else { setting_or_value(path, assignment)? };
        leaves.push((path, value));
    }
    if leaves.is_empty() {
        return Err(Problem::error("hldc::set::nothing", "nothing to set: no `KEY=VALUE` and no values in `-f` files")
            .help("name what to set, e.g. `hldc set --component web image.tag=1.2.3`"));
    }
    let chart_values = chart_values(root, component);
    let mut stringified = Vec::new();
    let prefix: Vec<Segment> =
        component.iter().flat_map(|name| [Segment::Key("subcomponents".into()), Segment::Key(name.clone())]).collect();
    let leaves: Vec<(Vec<Segment>, Value)> = leaves
        .into_iter()
        .map(|(path, value)| {
            let value = strings::strings_where_wanted(&path, value, chart_values.as_ref(), &mut stringified);
            ([prefix.clone(), path].concat(), value)
        })
        .collect();
    let relative = config_file(root, &options.environment, options.create)?;
    let path = root.join(&relative);
    let mut editor = Editor::open(&read_hld_file(root, &path, true)?)?;
    for (path, value) in &leaves {
        if options.no_new_keys && !edit::exists(editor.value(), path) {
            return Err(Problem::error(
                "hldc::set::new-key",
                format!("`{}` does not exist in `{relative}`", display_path(path)),
            )
            .at(editor.location(path))
            .label("the path stops here")
            .help("check the key's spelling, or drop `--no-new-keys` to create it"));
        }
        editor.set(path, value)?;
    }
    save(root, &relative, &editor.contents(), Schema::Config)?;
    Ok(Written { file: relative, stringified })
}

/// A key is read as `hldc config` reads one: a key naming a setting of the config file
/// (`disabled`, `namespace`, `commonLabels`, `helm`, `config` itself) is that setting, any
/// other a value under `config` (`image.tag` is `config.image.tag`). So `disabled=true`
/// disables the component rather than passing its chart a value nothing reads, and a key
/// `hldc config` prints can be pasted back.
fn setting_or_value(path: Vec<Segment>, assignment: &str) -> Result<Vec<Segment>, Problem> {
    let path = super::config::in_config(path);
    if matches!(path.first(), Some(Segment::Key(first)) if first == "subcomponents") {
        return Err(Problem::error(
            "hldc::set::subcomponents",
            format!("`{assignment}` sets a subcomponent's config through `subcomponents`"),
        )
        .help("name the component with `--component`: `hldc set --component infra/jaeger image.tag=1.2`"));
    }
    Ok(path)
}

/// The config file `set` edits for `environment`: the one the HLD root already has
/// (`config/<env>.yaml`, or `.yml`), else a new `config/<env>.yaml` for an environment the HLD
/// names (a config file anywhere in its tree, `hldc.yaml`, or `common`), or with `--create`.
/// Never a guess: a mistyped environment would otherwise start a config nobody reads.
fn config_file(root: &Path, environment: &str, create: bool) -> Result<String, Problem> {
    let existing: Vec<String> = ["yaml", "yml", "json"]
        .iter()
        .map(|extension| format!("config/{environment}.{extension}"))
        .filter(|relative| std::fs::symlink_metadata(root.join(relative)).is_ok())
        .collect();
    match existing.as_slice() {
        [one] if one.ends_with(".json") => Err(Problem::error("hldc::set::json", format!("`{one}` cannot be edited"))
            .path(one.clone())
            .help("hldc edits YAML config files; convert the file to YAML first")),
        [one] => Ok(one.clone()),
        [] => {
            let known = KnownEnvironments::of(root);
            if create || known.names().any(|name| name == environment) {
                return Ok(format!("config/{environment}.yaml"));
            }
            let problem = Problem::error(
                "hldc::set::unknown-environment",
                format!("no config file or `hldc.yaml` names the environment `{environment}`"),
            );
            let help = match did_you_mean(environment, known.names()) {
                Some(near) => format!("did you mean `{near}`? To start a new environment, pass `--create`"),
                None => format!("{}; to start a new environment, pass `--create`", known.describe()),
            };
            Err(problem.help(help))
        }
        several => Err(Problem::error(
            "hldc::set::ambiguous-config",
            format!("the environment `{environment}` has {} config files: {}", several.len(), several.join(", ")),
        )
        .help("keep one config file per environment; hldc reads neither while both exist")),
    }
}

/// Every environment the HLD names, and the clusters `hldc.yaml` runs them in (a cluster has
/// config files too, but is no environment of its own).
struct KnownEnvironments {
    environments: std::collections::BTreeSet<String>,
    clusters: std::collections::BTreeSet<String>,
}

impl KnownEnvironments {
    /// The config files of every `config/` directory in the tree (directory components keep
    /// their own), `hldc.yaml`'s environments and clusters, and `common`.
    fn of(root: &Path) -> KnownEnvironments {
        let mut environments = std::collections::BTreeSet::from(["common".to_string()]);
        let mut clusters = std::collections::BTreeSet::new();
        let config_dirs = walkdir::WalkDir::new(root)
            .follow_links(false)
            .into_iter()
            .filter_entry(|entry| !entry.file_name().to_string_lossy().starts_with('.') || entry.depth() == 0)
            .filter_map(Result::ok)
            .filter(|entry| entry.file_type().is_dir() && entry.file_name() == "config");
        for dir in config_dirs {
            for file in std::fs::read_dir(dir.path()).into_iter().flatten().filter_map(Result::ok) {
                let name = file.file_name().to_string_lossy().into_owned();
                let stem =
                    ["yaml", "yml", "json"].iter().find_map(|extension| name.strip_suffix(&format!(".{extension}")));
                environments.extend(stem.map(str::to_string));
            }
        }
        if let Some(project) = Sources::local(root).ok().and_then(|sources| crate::project::load(&sources).ok()) {
            for (environment, spec) in &project.environments {
                environments.insert(environment.clone());
                clusters.extend(spec.clusters.iter().cloned());
            }
        }
        environments.retain(|name| !clusters.contains(name));
        KnownEnvironments { environments, clusters }
    }

    /// Every name `set --env` takes: environments and clusters.
    fn names(&self) -> impl Iterator<Item = &str> + Clone {
        self.environments.iter().chain(&self.clusters).map(String::as_str)
    }

    /// `known environments: …`, then the clusters, if any.
    fn describe(&self) -> String {
        let quoted = |names: &std::collections::BTreeSet<String>| {
            names.iter().map(|name| format!("`{name}`")).collect::<Vec<_>>().join(", ")
        };
        let mut text = format!("known environments: {}", quoted(&self.environments));
        if !self.clusters.is_empty() {
            text.push_str(&format!("; clusters (from hldc.yaml): {}", quoted(&self.clusters)));
        }
        text
    }
}

/// A subcomponent entry for `hldc add`; `None` fields are not written.
#[derive(Debug, Clone, Default)]
pub struct NewComponent {
    pub name: String,
    pub component_type: Option<String>,
    pub method: Option<String>,
    pub source: Option<String>,
    pub path: Option<String>,
    pub version: Option<String>,
    pub branch: Option<String>,
}

/// Adds a subcomponent entry to `component.yaml` (under the entry `parent`); returns the file's name.
pub fn add(root: &Path, parent: &[String], component: &NewComponent) -> Result<String, Problem> {
    let (file, mut editor, list) = open_component_list(root, from_root(root, parent)?)?;
    if let Some(index) = item_named(editor.value(), &list, &component.name) {
        return Err(Problem::error(
            "hldc::add::exists",
            format!("a subcomponent named `{}` already exists", component.name),
        )
        .at(editor.location(&[list, vec![Segment::Index(index)]].concat()))
        .help("choose another name, or `hldc remove` the existing entry first"));
    }
    let fields = [
        ("name", Some(&component.name)),
        ("type", component.component_type.as_ref()),
        ("method", component.method.as_ref()),
        ("source", component.source.as_ref()),
        ("path", component.path.as_ref()),
        ("version", component.version.as_ref()),
        ("branch", component.branch.as_ref()),
    ];
    let item: Mapping = fields
        .into_iter()
        .filter_map(|(key, value)| Some((Value::String(key.into()), Value::String(value?.clone()))))
        .collect();
    editor.push_item(&list, &Value::Mapping(item))?;
    save(root, &file, &editor.contents(), Schema::Component)?;
    Ok(file)
}

/// Removes the subcomponent entry `name` from `component.yaml` (under the entry `parent`).
pub fn remove(root: &Path, parent: &[String], name: &str) -> Result<String, Problem> {
    let (file, mut editor, list) = open_component_list(root, from_root(root, parent)?)?;
    let Some(index) = item_named(editor.value(), &list, name) else {
        return Err(missing_component(&editor, &list, name));
    };
    editor.remove_item(&list, index)?;
    save(root, &file, &editor.contents(), Schema::Component)?;
    Ok(file)
}

const COMPONENT_FILE: &str = "component.yaml";

/// The component file holding the `subcomponents` list of the entry `parent` (walked from the
/// root, into local directory components' own files), its editor and the list's path.
fn open_component_list(root: &Path, parent: &[String]) -> Result<(String, Editor, Vec<Segment>), Problem> {
    match children_of(root, parent)? {
        Children::Listed { file, editor, list, .. } => Ok((file, editor, list)),
        Children::Remote { file, editor, at, name } => Err(Problem::error(
            "hldc::edit::remote-component",
            format!("component `{name}` is fetched from elsewhere; its subcomponents cannot be edited here"),
        )
        .at(editor.location(&at))
        .help(format!("edit the component file in its own repository (the entry is in {file})"))),
    }
}

/// `names` from below the root: a path as messages and `hldc tree` print it starts with the
/// root component's own name (`app/infra/jaeger`), which is dropped unless the root has a
/// subcomponent of that name.
fn from_root<'n>(root: &Path, names: &'n [String]) -> Result<&'n [String], Problem> {
    let Some((first, rest)) = names.split_first() else { return Ok(names) };
    let editor = open_component_file(root, root)?;
    let root_name = editor.value().get("name").and_then(Value::as_str);
    let subcomponents = [Segment::Key("subcomponents".into())];
    Ok(if root_name == Some(first.as_str()) && item_named(editor.value(), &subcomponents, first).is_none() {
        rest
    } else {
        names
    })
}

/// Where the subcomponents of the component named by `names` are listed.
enum Children {
    /// In `file` (in the directory `dir`), at `list`.
    Listed { file: String, dir: PathBuf, editor: Editor, list: Vec<Segment> },
    /// Inside a remote component (the entry `name` at `at` in `file`), unknown without fetching it.
    Remote { file: String, editor: Editor, at: Vec<Segment>, name: String },
}

/// Walks `names` from the root component file as Fabrikate's `--subcomponent a.b` did: an
/// inline entry's children are in the same file, a local directory component's in its own
/// component file; a remote component's are not known without fetching it.
fn children_of(root: &Path, names: &[String]) -> Result<Children, Problem> {
    let mut dir = root.to_path_buf();
    let mut file = COMPONENT_FILE.to_string();
    let mut editor = open_component_file(root, &dir)?;
    let mut list = vec![Segment::Key("subcomponents".into())];
    for name in names {
        let index = item_named(editor.value(), &list, name).ok_or_else(|| missing_component(&editor, &list, name))?;
        let at = [list.clone(), vec![Segment::Index(index)]].concat();
        let entry = Entry::of(lookup(editor.value(), &at));
        match (entry.kind.as_str(), entry.local) {
            ("component", true) if entry.is_directory() => {
                dir = entry.dir(&dir);
                file = display_relative(root, &dir.join(COMPONENT_FILE));
                editor = open_component_file(root, &dir)?;
                list = vec![Segment::Key("subcomponents".into())];
            }
            ("component", true) | ("helm" | "static", _) => {
                list = [at, vec![Segment::Key("subcomponents".into())]].concat()
            }
            _ => return Ok(Children::Remote { file, editor, at, name: name.clone() }),
        }
    }
    Ok(Children::Listed { file, dir, editor, list })
}

/// What a component entry (or the top of a component file) says of where it lives.
struct Entry {
    /// `component`, `helm`, `static`...
    kind: String,
    /// `method: local` (the default).
    local: bool,
    /// Its `source` and `path`, those it has.
    parts: Vec<String>,
}

impl Entry {
    fn of(value: Option<&Value>) -> Entry {
        let field = |key: &str| value.and_then(|e| e.get(key)).and_then(Value::as_str).map(str::to_string);
        Entry {
            kind: field("type").or_else(|| field("generator")).unwrap_or_else(|| "component".into()),
            local: field("method").is_none_or(|method| method == "local"),
            parts: [field("source"), field("path")].into_iter().flatten().collect(),
        }
    }

    /// A `type: component` entry with a source or path: its definition is the component file there.
    fn is_directory(&self) -> bool {
        self.kind == "component" && self.local && !self.parts.is_empty()
    }

    /// The directory its `source` and `path` name, from the directory it is declared in.
    fn dir(&self, declared_in: &Path) -> PathBuf {
        self.parts.iter().fold(declared_in.to_path_buf(), |dir, part| {
            crate::paths::join_relative(&dir, part).unwrap_or_else(|| dir.join(part))
        })
    }
}

/// The `values.yaml` of the component's chart, when the chart is in the HLD's own tree: a local
/// `type: helm` entry, or a directory component whose file is one. `None` for a remote chart
/// (`set` fetches nothing) or one that cannot be read.
fn chart_values(root: &Path, names: &[String]) -> Option<Value> {
    let (mut dir, mut entry) = match names.split_last() {
        None => (root.to_path_buf(), Entry::of(Some(open_component_file(root, root).ok()?.value()))),
        Some((last, parents)) => {
            let Children::Listed { editor, list, dir, .. } = children_of(root, parents).ok()? else { return None };
            let index = item_named(editor.value(), &list, last)?;
            (dir, Entry::of(lookup(editor.value(), &[list, vec![Segment::Index(index)]].concat())))
        }
    };
    if entry.is_directory() {
        dir = entry.dir(&dir);
        entry = Entry::of(Some(open_component_file(root, &dir).ok()?.value()));
    }
    if entry.kind != "helm" || !entry.local {
        return None;
    }
    let source = read_hld_file(root, &entry.dir(&dir).join("values.yaml"), false).ok()?;
    Some(parse_one(&source).ok()?.value)
}

fn open_component_file(root: &Path, dir: &Path) -> Result<Editor, Problem> {
    if dir.join("component.json").exists() && !dir.join(COMPONENT_FILE).exists() {
        let json = display_relative(root, &dir.join("component.json"));
        return Err(Problem::error("hldc::edit::json", format!("`{json}` cannot be edited"))
            .path(json)
            .help("hldc edits YAML component files; convert the file to YAML first"));
    }
    Editor::open(&read_hld_file(root, &dir.join(COMPONENT_FILE), false)?)
}

fn names(value: &Value, list: &[Segment]) -> Vec<String> {
    let items = lookup(value, list).and_then(Value::as_sequence).map(Vec::as_slice).unwrap_or_default();
    items.iter().map(|item| item.get("name").and_then(Value::as_str).unwrap_or_default().to_string()).collect()
}

fn item_named(value: &Value, list: &[Segment], name: &str) -> Option<usize> {
    names(value, list).iter().position(|n| n == name)
}

fn missing_component(editor: &Editor, list: &[Segment], name: &str) -> Problem {
    let known = names(editor.value(), list);
    let help = match did_you_mean(name, known.iter().map(String::as_str)) {
        Some(close) => format!("did you mean `{close}`?"),
        None if known.is_empty() => "this entry has no subcomponents".to_string(),
        None => format!("the subcomponents here are: {}", known.join(", ")),
    };
    Problem::error("hldc::edit::missing-component", format!("there is no subcomponent named `{name}`"))
        .at(editor.location(list))
        .label("looked here")
        .help(help)
}

/// Checks that the components named from the root exist, following inline entries and local
/// component directories; a remote component's children are not known without fetching it,
/// so the names below one are taken on trust.
fn check_component(root: &Path, names: &[String]) -> Result<(), Problem> {
    let Some((last, parents)) = names.split_last() else { return Ok(()) };
    match children_of(root, parents)? {
        Children::Remote { .. } => Ok(()),
        Children::Listed { editor, list, .. } => match item_named(editor.value(), &list, last) {
            Some(_) => Ok(()),
            None => Err(missing_component(&editor, &list, last)),
        },
    }
}

fn display_relative(root: &Path, path: &Path) -> String {
    path.strip_prefix(root).unwrap_or(path).to_string_lossy().replace('\\', "/")
}

/// Reads a file of the HLD at `root` for editing, as every HLD file is read (`Sources::read`:
/// never outside its repository, in `.git`, or ignored by git); a missing one reads as empty
/// when `create` allows.
pub(super) fn read_hld_file(root: &Path, path: &Path, create: bool) -> Result<Source, Problem> {
    if create && std::fs::symlink_metadata(path).is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound) {
        return Ok(SourceFile::new(display_relative(root, path), ""));
    }
    let sources = Sources::local(root)?;
    sources.read(&sources.hld_root().join(path.strip_prefix(root).unwrap_or(path)))
}

/// Reads a file the user names on the command line (trusted: `-f`).
fn read(path: &Path, name: &str) -> Result<Source, Problem> {
    match std::fs::read(path) {
        Err(e) => Err(Problem::error("hldc::io::read", format!("cannot read `{name}`: {e}"))
            .path(name)
            .help("check that the file exists and is readable")),
        Ok(bytes) => String::from_utf8(bytes).map(|text| SourceFile::new(name, text)).map_err(|_| {
            Problem::error("hldc::io::encoding", format!("`{name}` is not UTF-8 text"))
                .path(name)
                .help("save the file as UTF-8")
        }),
    }
}

/// Checks the edited text of `relative` against its schema.
pub(super) fn check_edit(relative: &str, text: &str, schema: Schema) -> Result<(), Problem> {
    let document: Document = parse_one(&SourceFile::new(relative, text))?;
    match schema::check(&document, schema).into_iter().next() {
        Some(problem) => Err(problem.help(format!("the edit would make `{relative}` invalid, so it was not written"))),
        None => Ok(()),
    }
}

/// Checks the edited text against its schema, then replaces the file (temporary file, rename).
pub(super) fn save(root: &Path, relative: &str, text: &str, schema: Schema) -> Result<(), Problem> {
    check_edit(relative, text, schema)?;
    let path = root.join(relative);
    let io_error = |e: std::io::Error| {
        Problem::error("hldc::io::write", format!("cannot write `{relative}`: {e}"))
            .path(relative)
            .help("check permissions and free space; the file was left as it was")
    };
    std::fs::create_dir_all(path.parent().unwrap_or(root)).map_err(io_error)?;
    // The edited file keeps the mode it had, and a new one gets the usual 0644.
    let permissions = std::fs::metadata(&path)
        .map(|m| m.permissions())
        .unwrap_or_else(|_| std::os::unix::fs::PermissionsExt::from_mode(0o644));
    atomic::write(&path, text.as_bytes(), &Access::Exactly(permissions)).map_err(io_error)
}

/// Leaves of a values mapping in file order: non-empty mappings are merged key by key, every
/// other value (sequences included, as helm merges values) replaces what is there.
pub(super) fn flatten(map: &Mapping, path: &mut Vec<Segment>, leaves: &mut Vec<(Vec<Segment>, Value)>) {
    for (key, value) in map {
        let key = match key {
            Value::String(text) => text.clone(),
            other => edit_key(other),
        };
        path.push(Segment::Key(key));
        match value {
            Value::Mapping(inner) if !inner.is_empty() => flatten(inner, path, leaves),
            _ => leaves.push((path.clone(), value.clone())),
        }
        path.pop();
    }
}

/// A non-string key (`1:`, `true:`) as the string Go's YAML reader makes of it.
pub(super) fn edit_key(key: &Value) -> String {
    serde_yaml::to_string(key).map(|text| text.trim_end().to_string()).unwrap_or_default()
}

/// Parses `a.b."c.d"=value`: the key path (quotes keep dots inside a key, `\` escapes one
/// character) and the value typed like helm's `--set`.
pub fn parse_assignment(text: &str, strings: bool) -> Result<(Vec<Segment>, Value), Problem> {
    let bad = |why: &str| {
        Problem::error("hldc::set::assignment", format!("`{text}` is not a KEY=VALUE assignment: {why}"))
            .help("write `path.to.key=value`; quote keys holding dots: `annotations.\"sidecar.istio.io/inject\"=false`")
    };
    let (keys, value) = crate::yaml::split_dotted(text, Some('=')).map_err(bad)?;
    let value = value.ok_or_else(|| bad("there is no `=`"))?;
    let path = keys.into_iter().map(Segment::Key).collect();
    Ok((path, if strings { Value::String(value.to_string()) } else { typed(value) }))
}

/// Helm's `--set` typing: `true`/`false` and `null` in any case, decimal integers not starting
/// with `0` (or `0` itself); everything else stays a string, so `1.10` is not the number 1.1.
fn typed(text: &str) -> Value {
    match text.to_ascii_lowercase().as_str() {
        "true" => return Value::Bool(true),
        "false" => return Value::Bool(false),
        "null" => return Value::Null,
        _ => {}
    }
    if text == "0" || !text.starts_with('0') {
        if let Ok(number) = text.parse::<i64>() {
            return Value::Number(number.into());
        }
    }
    Value::String(text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(keys: &[&str]) -> Vec<Segment> {
        keys.iter().map(|k| Segment::Key(k.to_string())).collect()
    }

    #[test]
    fn assignments_split_on_unquoted_dots_and_type_like_helm() {
        let (p, v) = parse_assignment("annotations.\"sidecar.istio.io/inject\"=false", false).unwrap();
        assert_eq!((p, v), (path(&["annotations", "sidecar.istio.io/inject"]), Value::Bool(false)));
        let cases = [
            ("1.10", Value::String("1.10".into())),
            ("10", Value::Number(10.into())),
            ("-3", Value::Number((-3).into())),
            ("0", Value::Number(0.into())),
            ("007", Value::String("007".into())),
            ("TRUE", Value::Bool(true)),
            ("Null", Value::Null),
            ("on", Value::String("on".into())),
            ("a=b", Value::String("a=b".into())),
            ("", Value::String(String::new())),
        ];
        for (text, want) in cases {
            assert_eq!(parse_assignment(&format!("k={text}"), false).unwrap().1, want, "{text}");
        }
        assert_eq!(parse_assignment("k=10", true).unwrap().1, Value::String("10".into()));
        assert_eq!(parse_assignment("a\\.b=1", false).unwrap().0, path(&["a.b"]));
    }

    #[test]
    fn malformed_assignments_are_refused() {
        for text in ["novalue", "a..b=1", "=1", ".a=1"] {
            let problem = parse_assignment(text, false).unwrap_err();
            assert_eq!(problem.code, "hldc::set::assignment", "{text}");
        }
    }

    #[test]
    fn values_files_flatten_to_leaves_in_file_order() {
        let map: Mapping = serde_yaml::from_str("b: {c: 1, d: [x]}\na: {}\n").unwrap();
        let mut leaves = Vec::new();
        flatten(&map, &mut Vec::new(), &mut leaves);
        let paths: Vec<String> = leaves.iter().map(|(p, _)| display_path(p)).collect();
        assert_eq!(paths, ["b.c", "b.d", "a"]);
    }

    #[test]
    fn missing_locations_point_into_the_file() {
        let file = SourceFile::new("component.yaml", "name: r\nsubcomponents:\n- name: a\n");
        let editor = Editor::open(&file).unwrap();
        let problem = missing_component(&editor, &path(&["subcomponents"]), "b");
        assert_eq!(problem.where_().unwrap(), "component.yaml:2:1");
    }
}
