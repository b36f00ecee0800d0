//! Loading an HLD tree: every `component.yaml`/`component.json` and `config/<env>` file, parsed,
//! checked against its schema and kept with its text and positions. No merging happens here,
//! except to find the components disabled for the run, which are never loaded or fetched.
//!
//! A component is defined by exactly one spec. An entry `type: component` with a `source`,
//! `path` or remote `method` names a directory; the component file found there defines the
//! component (its type, source, path, hooks, subcomponents and name), as in Fabrikate's
//! `LoadComponent`. Every other entry defines its component itself and lives in its parent's
//! directory.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::diag::{Location, Problem, Problems};
use crate::layer::Layer;
use crate::model::environments::{Environments, Selection};
use crate::model::tree::{Declared, Hld, Node, Placement};
use crate::model::{ComponentSpec, ComponentType, Method};
use crate::resolve;
use crate::schema::{self, Schema};
use crate::sources::Sources;
use crate::yaml::{parse_one, Document, Segment};

/// Nesting deeper than this is refused; real HLDs are a handful of levels deep.
const MAX_DEPTH: usize = 64;

/// Trees larger than this are refused: directories shared by many parents multiply, and a
/// small HLD can otherwise describe an exponential tree.
const MAX_COMPONENTS: usize = 10_000;

/// Loads the HLD rooted at `sources.hld_root()`. Collects every problem it can instead of
/// stopping at the first; the tree is returned only when none of them is an error.
pub fn load(sources: &Sources, selection: &Selection) -> Result<(Hld, Vec<Problem>), Vec<Problem>> {
    match load_partial(sources, selection) {
        (Some(hld), problems) if !problems.iter().any(Problem::is_error) => Ok((hld, problems)),
        (_, problems) => Err(problems),
    }
}

/// Loads what can be read even when some files are broken, with every problem found: a file
/// that fails to parse or to pass its schema is left out of the tree. `validate` checks the
/// rest so that one run reports everything; `generate` must not use a partial tree.
pub fn load_partial(sources: &Sources, selection: &Selection) -> (Option<Hld>, Vec<Problem>) {
    let mut problems = Problems::default();
    let root_dir = sources.hld_root().to_path_buf();
    let mut environments = BTreeSet::from(["common".to_string()]);
    let mut outer_configs = BTreeMap::new();
    let mut fabrikate_spellings = Vec::new();
    let root = read_component_dir(sources, &root_dir, &mut problems).and_then(|(document, spec)| {
        let mut loader = Loader {
            sources,
            selection,
            problems: &mut problems,
            fabrikate_spellings: &mut fabrikate_spellings,
            environments: &mut environments,
            homes: vec![root_dir.clone()],
            components: 1,
        };
        let definition = Declared { spec, document, at: Vec::new() };
        loader.check_definition(&definition);
        let mut root = Node {
            key: definition.spec.name.clone(),
            path: definition.spec.name.clone(),
            declared_at: definition.location(),
            definition,
            placement: Placement::Root,
            dir: root_dir.clone(),
            fetched_from: None,
            configs: BTreeMap::new(),
            children: Vec::new(),
        };
        if is_pointer(&root.definition.spec) {
            // Fabrikate's remote root: the HLD's component file only says where the root
            // component is; the HLD's own config files apply above that component's.
            outer_configs = loader.read_configs(&root_dir);
            let outer = loader.top_stacks().into_iter().zip(loader.selection_environments());
            let inherited = outer
                .map(|(inherited, environments)| resolve::stack(inherited, &outer_configs, environments))
                .collect();
            return loader.load_directory(&mut root, &root_dir, inherited, 1).then_some(root);
        }
        root.configs = loader.read_configs(&root_dir);
        if root.component_type() == ComponentType::Component && root.definition.spec.subcomponents.is_empty() {
            loader.problems.push(nothing_to_render(&root));
        }
        let stacks = loader.stacks(&root, loader.top_stacks());
        root.children = loader.load_children(&root, &stacks, 1);
        Some(root)
    });
    let hld = root.map(|root| Hld {
        root,
        outer_configs,
        environments,
        clusters: BTreeSet::new(),
        selection: selection.clone(),
        fabrikate_spellings,
    });
    (hld, problems.into_vec())
}

struct Loader<'a> {
    sources: &'a Sources,
    selection: &'a Selection,
    problems: &'a mut Problems,
    /// Warnings about Fabrikate's spellings hldc accepts (`Hld::fabrikate_spellings`).
    fabrikate_spellings: &'a mut Vec<Problem>,
    /// Environment names seen in config file names, readable or not.
    environments: &'a mut BTreeSet<String>,
    /// Directories of the components currently being loaded, to detect cycles.
    homes: Vec<PathBuf>,
    /// Components loaded so far, against `MAX_COMPONENTS`.
    components: usize,
}

/// A component's config layers for each environment combination of the selection, in the
/// selection's order (none for `Selection::Everything`).
type Stacks = Vec<Vec<Layer>>;

impl Loader<'_> {
    fn selection_environments(&self) -> impl Iterator<Item = &Environments> {
        match self.selection {
            Selection::Everything => [].iter(),
            Selection::EnabledIn(all) => all.iter(),
        }
    }

    fn top_stacks(&self) -> Stacks {
        match self.selection {
            Selection::Everything => Vec::new(),
            Selection::EnabledIn(all) => vec![Vec::new(); all.len()],
        }
    }

    /// `node`'s layer stacks, given what its parent passes down.
    fn stacks(&self, node: &Node, inherited: Stacks) -> Stacks {
        let Selection::EnabledIn(all) = self.selection else { return Vec::new() };
        all.iter()
            .zip(inherited)
            .map(|(environments, inherited)| resolve::stack(inherited, &node.configs, environments))
            .collect()
    }

    /// Whether the parent's config already disables the child `key` in every environment
    /// combination of the run: then nothing of it is loaded, fetched or checked.
    fn disabled_everywhere(&self, inherited: &Stacks) -> bool {
        matches!(self.selection, Selection::EnabledIn(_))
            && inherited.iter().all(|stack| resolve::config_of(stack).disabled)
    }

    fn load_children(&mut self, parent: &Node, stacks: &Stacks, depth: usize) -> Vec<Node> {
        let definition = &parent.definition;
        let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
        let mut children = Vec::new();
        for (index, spec) in definition.spec.subcomponents.iter().enumerate() {
            let mut at = definition.at.clone();
            at.extend([Segment::Key("subcomponents".into()), Segment::Index(index)]);
            let entry = Declared { spec: spec.clone(), document: definition.document.clone(), at };
            if let Some(first) = seen.insert(&spec.name, index) {
                let mut first_at = definition.at.clone();
                first_at.extend([
                    Segment::Key("subcomponents".into()),
                    Segment::Index(first),
                    Segment::Key("name".into()),
                ]);
                self.problems.push(
                    Problem::error(
                        "hldc::component::duplicate-name",
                        format!("two subcomponents of `{}` are named `{}`", parent.path, spec.name),
                    )
                    .at(entry.field_location("name"))
                    .label("second entry with this name")
                    .help("rename one of them: names identify components in config files and output paths")
                    .related(
                        Problem::warning("hldc::component::duplicate-name", "first entry with this name")
                            .at(definition.document.value_location(&first_at)),
                    ),
                );
                continue;
            }
            let inherited: Stacks = stacks.iter().map(|stack| resolve::inherited_by(stack, &spec.name)).collect();
            if self.disabled_everywhere(&inherited) {
                continue;
            }
            self.components += 1;
            if self.components == MAX_COMPONENTS + 1 {
                self.problems.push(
                    Problem::error(
                        "hldc::component::too-many",
                        format!("the HLD has more than {MAX_COMPONENTS} components"),
                    )
                    .at(entry.location())
                    .label("the limit is reached here")
                    .help("check for directories included by many parents; shared parts belong in one place"),
                );
            }
            if self.components > MAX_COMPONENTS {
                return children;
            }
            if depth > MAX_DEPTH {
                self.problems.push(
                    Problem::error(
                        "hldc::component::too-deep",
                        format!("components nest more than {MAX_DEPTH} levels deep"),
                    )
                    .at(entry.location())
                    .help("flatten the component tree"),
                );
                return children;
            }
            self.check_definition(&entry);
            if let Some(child) = self.load_child(parent, entry, inherited, depth) {
                children.push(child);
            }
        }
        children
    }

    fn load_child(&mut self, parent: &Node, entry: Declared, inherited: Stacks, depth: usize) -> Option<Node> {
        let spec = &entry.spec;
        let placement = match spec.component_type() {
            ComponentType::Component
                if spec.source.is_some() || spec.path.is_some() || spec.method() != Method::Local =>
            {
                Placement::Directory
            }
            ComponentType::Component => Placement::Group,
            ComponentType::Helm | ComponentType::Static | ComponentType::Kustomize => Placement::Inline,
        };
        let mut node = Node {
            key: spec.name.clone(),
            path: format!("{}/{}", parent.path, spec.name),
            declared_at: entry.location(),
            definition: entry,
            placement,
            dir: parent.dir.clone(),
            fetched_from: None,
            configs: BTreeMap::new(),
            children: Vec::new(),
        };
        let loaded = match placement {
            Placement::Directory => self.load_directory(&mut node, &parent.dir, inherited, depth),
            _ => {
                let stacks = self.stacks(&node, inherited);
                node.children = self.load_children(&node, &stacks, depth + 1);
                true
            }
        };
        if placement == Placement::Group && node.definition.spec.subcomponents.is_empty() {
            self.problems.push(nothing_to_render(&node));
        }
        loaded.then_some(node)
    }

    /// Loads the directory `node`'s entry names (relative to `parent_dir`): the component file
    /// there becomes the node's definition, with that directory's config and children.
    fn load_directory(&mut self, node: &mut Node, parent_dir: &Path, inherited: Stacks, depth: usize) -> bool {
        let entry = node.definition.clone();
        let home = match self.sources.locate(&entry, parent_dir) {
            Ok(home) => home,
            Err(problem) => {
                self.problems.push(problem);
                return false;
            }
        };
        if self.homes.contains(&home) {
            self.problems.push(
                Problem::error(
                    "hldc::component::cycle",
                    format!(
                        "component `{}` includes itself: `{}` is already being loaded",
                        node.path,
                        self.sources.display(&home)
                    ),
                )
                .at(entry.location())
                .label("this entry leads back to an enclosing component")
                .help("remove the entry or point it at another directory"),
            );
            return false;
        }
        let Some((document, spec)) = read_component_dir(self.sources, &home, self.problems) else { return false };
        if !entry.spec.subcomponents.is_empty() {
            self.problems.push(
                Problem::warning(
                    "hldc::component::ignored-subcomponents",
                    format!("the subcomponents listed under `{}` are ignored", node.path),
                )
                .at(entry.field_location("subcomponents"))
                .help(format!(
                    "`{}` defines the component and its subcomponents; list them there",
                    document.file.name()
                )),
            );
        }
        node.definition = Declared { spec, document, at: Vec::new() };
        self.check_definition(&node.definition);
        node.fetched_from = self.sources.remote_spec(&entry, parent_dir);
        node.configs = self.read_configs(&home);
        node.dir = home.clone();
        self.homes.push(home);
        let stacks = self.stacks(node, inherited);
        node.children = self.load_children(node, &stacks, depth + 1);
        self.homes.pop();
        true
    }

    /// Warnings for Fabrikate fields hldc accepts but treats differently: kept apart, for
    /// `validate` to say (`Hld::fabrikate_spellings`).
    fn check_definition(&mut self, definition: &Declared) {
        let spec = &definition.spec;
        if spec.generator.is_some() {
            let help = if spec.component_type.is_some() {
                "remove `generator`: `type` is set and wins"
            } else {
                "rename `generator` to `type`"
            };
            self.fabrikate_spellings.push(
                Problem::warning(
                    "hldc::component::generator",
                    format!("`generator` is Fabrikate's old name for `type` (in `{}`)", spec.name),
                )
                .at(definition.field_location("generator"))
                .help(help),
            );
        }
        if spec.repositories.is_some() {
            self.fabrikate_spellings.push(
                Problem::warning(
                    "hldc::component::repositories",
                    format!("`repositories` is deprecated and ignored (in `{}`)", spec.name),
                )
                .at(definition.field_location("repositories"))
                .help("remove it: helm components name their repository in `source`"),
            );
        }
    }

    fn read_configs(&mut self, home: &Path) -> BTreeMap<String, Arc<Document>> {
        let mut configs = BTreeMap::new();
        let dir = home.join("config");
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            // No `config` at all is the common case: the component has no config of its own.
            Err(_) if std::fs::symlink_metadata(&dir).is_err() => return configs,
            Err(error) => {
                let shown = self.sources.display(&dir);
                self.problems.push(
                    Problem::error("hldc::config::not-a-directory", format!("cannot read `{shown}` as a directory: {error}"))
                        .path(shown)
                        .help("`config` next to a component file must be a directory of `<environment>.yaml` files; fix or remove it"),
                );
                return configs;
            }
        };
        let mut files: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        files.sort();
        let mut seen: BTreeMap<String, PathBuf> = BTreeMap::new();
        for path in files {
            let is_config = matches!(path.extension().and_then(|e| e.to_str()), Some("yaml" | "yml" | "json"));
            let Some(env) = path.file_stem().and_then(|s| s.to_str()).filter(|_| is_config) else {
                continue;
            };
            if !path.is_file() {
                let shown = self.sources.display(&path);
                self.problems.push(
                    Problem::error("hldc::config::not-a-file", format!("`{shown}` is not a readable file"))
                        .path(shown)
                        .help("a config file that is a directory or a symlink to nothing would be ignored; fix or remove it"),
                );
                continue;
            }
            if !is_environment_name(env) {
                self.problems.push(
                    Problem::warning("hldc::config::bad-environment-name", format!("`{}` is ignored: `{env}` is not an environment name", self.sources.display(&path)))
                        .path(self.sources.display(&path))
                        .help("name config files after environments: letters, digits, `-`, `_` and `.`, not starting with `.`"),
                );
                continue;
            }
            if self.sources.boundary_of(&path).ignores(&path) {
                // A developer's local config, not the repository's: left out, said aloud.
                let shown = self.sources.display(&path);
                self.problems.push(
                    Problem::warning("hldc::config::ignored", format!("`{shown}` is ignored by git: left out"))
                        .path(shown)
                        .help("commit it (remove it from .gitignore) to use it, or delete it"),
                );
                continue;
            }
            if let Some(other) = seen.get(env) {
                self.problems.push(
                    Problem::error("hldc::config::ambiguous", format!("environment `{env}` has two config files"))
                        .path(self.sources.display(&path))
                        .help(format!(
                            "keep one of `{}` and `{}`",
                            self.sources.display(other),
                            self.sources.display(&path)
                        )),
                );
                continue;
            }
            seen.insert(env.to_string(), path.clone());
            // Known even when the file turns out broken, so that `validate ENV` reports the
            // broken file rather than an unknown environment.
            self.environments.insert(env.to_string());
            if let Some(document) = read_document(self.sources, &path, Schema::Config, self.problems) {
                configs.insert(env.to_string(), document);
            }
        }
        configs
    }
}

/// Whether a spec names a directory whose component file defines the component.
fn is_pointer(spec: &ComponentSpec) -> bool {
    spec.component_type() == ComponentType::Component
        && (spec.source.is_some() || spec.path.is_some() || spec.method() != Method::Local)
}

/// A container with nothing in it: no type, no source, no subcomponents. Fabrikate would load
/// its parent's directory again; rendering nothing for it would be a silent loss.
fn nothing_to_render(node: &Node) -> Problem {
    Problem::error("hldc::component::empty", format!("component `{}` has nothing to render", node.path))
        .at(node.declared_at.clone())
        .label("no `type`, `source`, `path` or `subcomponents`")
        .help("give it `type: static` or `type: helm` with a `path`, a `source` directory holding its component file, or subcomponents; or remove it")
}

/// The component file of a directory: `component.yaml` or `component.json`, not both.
pub fn component_file(sources: &Sources, dir: &Path) -> Result<PathBuf, Problem> {
    let yaml = dir.join("component.yaml");
    let json = dir.join("component.json");
    match (yaml.is_file(), json.is_file()) {
        (true, true) => Err(Problem::error(
            "hldc::component::ambiguous",
            format!("`{}` has both component.yaml and component.json", sources.display(dir)),
        )
        .path(sources.display(&yaml))
        .help("delete one of them: hldc will not guess which is current")),
        (true, false) => Ok(yaml),
        (false, true) => Ok(json),
        (false, false) => {
            Err(Problem::error("hldc::component::missing", format!("no component.yaml in `{}`", sources.display(dir)))
                .path(sources.display(&yaml))
                .help("run hldc in the HLD root, pass it with `-C DIR`, or create component.yaml there"))
        }
    }
}

/// Reads the component file of a directory (`component_file`).
fn read_component_dir(
    sources: &Sources,
    dir: &Path,
    problems: &mut Problems,
) -> Option<(Arc<Document>, ComponentSpec)> {
    let path = match component_file(sources, dir) {
        Ok(path) => path,
        Err(problem) => {
            problems.push(problem);
            return None;
        }
    };
    let document = read_document(sources, &path, Schema::Component, problems)?;
    match serde_yaml::from_value::<ComponentSpec>(document.value.clone()) {
        Ok(spec) => Some((document, spec)),
        Err(error) => {
            problems.push(
                Problem::error(
                    "hldc::component::invalid",
                    format!("cannot read `{}`: {error}", sources.display(&path)),
                )
                .at(Location::file_start(&document.file))
                .help("see `hldc schema component` for the format"),
            );
            None
        }
    }
}

/// Reads, parses and schema-checks one file; problems go to `problems`.
pub fn read_document(sources: &Sources, path: &Path, schema: Schema, problems: &mut Problems) -> Option<Arc<Document>> {
    let file = read_source(sources, path).map_err(|p| problems.push(p)).ok()?;
    let document = parse_one(&file).map_err(|p| problems.push(p)).ok()?;
    let found = schema::check(&document, schema);
    let valid = found.is_empty();
    problems.extend(found);
    valid.then(|| Arc::new(document))
}

/// Reads a file as UTF-8 text, named for display relative to the HLD root (`files::read`:
/// never outside its tree, in `.git`, or ignored by git).
pub fn read_source(sources: &Sources, path: &Path) -> Result<crate::diag::Source, Problem> {
    sources.read(path)
}

/// Environment names become directory names under `generated/`: keep them plain.
pub fn is_environment_name(name: &str) -> bool {
    !name.is_empty() && !name.starts_with('.') && name.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
}
