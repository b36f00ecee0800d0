//! `hldc promote ENV COMPONENT --from RING [--to RING]`: flighting a ring's config to another
//! ring as one reviewable edit. Every value of `rings.<from>.config` moves, in the file that
//! sets it, into the ring promoted to: into the component's own `config` for the default ring
//! (which every ring inherits, so `<from>` renders as before), else into `rings.<to>.config`;
//! what moved is removed from `rings.<from>.config`.
//!
//! Promotion moves what makes the ring a different release, not what sizes it: a key either ring
//! keeps as its own (`rings.<ring>.keep` in hldc.yaml, `route::DEFAULT_KEEP` by default) stays
//! where it is. And it edits only ENV's files (`config/<env>.yaml`, its cluster's): a value that
//! would move in a file other environments read too (`common.yaml`) is an error naming the file
//! to move it to, unless `shared` allows the edit; `Promoted::environments` then names every
//! environment the edit reaches. Edited with the surgical editor, schema-checked, replaced
//! atomically (every file checked before any is written); the caller prints the diffs.

use std::collections::BTreeSet;
use std::path::Path;

use serde::Serialize;
use serde_yaml::{Mapping, Value};

use super::edit::{check_edit, flatten, read_hld_file, save};
use crate::compile::Opened;
use crate::diag::Problem;
use crate::edit::Editor;
use crate::layer::Layer;
use crate::model::environments::Environments;
use crate::model::plan::{Planned, Ring};
use crate::project::{Project, PROJECT_FILE};
use crate::schema::Schema;
use crate::sources::Sources;
use crate::yaml::{display_path, split_dotted, Segment};

#[derive(Debug, Clone)]
pub struct PromoteOptions {
    pub environment: String,
    pub cluster: Option<String>,
    /// The component, by name or path (`app/web`), as `hldc config` takes it.
    pub component: String,
    pub from: String,
    /// The ring promoted to; the default ring when `None`.
    pub to: Option<String>,
    /// Edit a file other environments read too (`--shared`).
    pub shared: bool,
}

/// One value of the promoted ring's config.
#[derive(Debug, Clone, Serialize)]
pub struct RingValue {
    /// The file that sets it.
    pub file: String,
    /// Its key relative to the ring's `config` (`image.tag`).
    pub key: String,
    pub value: Value,
}

/// A value that stayed in the promoted ring, and the rings that keep its key.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KeptValue {
    #[serde(flatten)]
    pub value: RingValue,
    pub kept_by: Vec<String>,
}

/// What `promote` changed.
#[derive(Debug, Serialize)]
pub struct Promoted {
    /// The component's path (`app/web`).
    pub component: String,
    pub from: String,
    pub to: String,
    /// The files edited, highest layer first.
    pub files: Vec<String>,
    pub moved: Vec<RingValue>,
    pub kept: Vec<KeptValue>,
    /// The files edited that other environments read too (`--shared`).
    pub shared: Vec<String>,
    /// The environments whose output the edit can change: ENV first, then every other
    /// environment reading a shared file that was edited.
    pub environments: Vec<String>,
    /// The one cluster whose output the edit can change, when it edited only that cluster's files.
    #[serde(skip)]
    pub cluster: Option<String>,
}

/// One layer's `rings.<from>` block with a `config`, its values split into those that move and
/// those that stay.
struct Block<'l> {
    layer: &'l Layer,
    config: &'l Mapping,
    moving: Vec<(Vec<Segment>, Value)>,
    staying: Vec<(Vec<Segment>, Value, Vec<String>)>,
}

impl Block<'_> {
    fn file(&self) -> &str {
        self.layer.document.file.name()
    }

    /// The path of a key of the ring's config in the block's file.
    fn in_file(&self, key: &[Segment]) -> Vec<Segment> {
        [self.layer.prefix.as_slice(), &[Segment::Key("config".into())], key].concat()
    }
}

pub fn promote(sources: &Sources, options: &PromoteOptions) -> Result<Promoted, Vec<Problem>> {
    let environments = Environments::new(std::slice::from_ref(&options.environment));
    let opened = crate::compile::open(sources, environments, options.cluster.as_deref())?;
    let planned = opened.resolve()?;
    let (component, from, to) = rings_of(&planned, options, &opened.target)?;
    let keeps = RingKeeps::of(&opened.project, [&options.from, &to.name])?;
    let blocks = ring_blocks(&from.layers, &options.from, &keeps);
    if blocks.is_empty() {
        return Err(vec![Problem::error(
            "hldc::promote::nothing",
            format!(
                "ring `{}` of component `{component}` sets no `config` in `{}`",
                options.from,
                opened.target.output_dir()
            ),
        )
        .help("there is nothing to promote: the ring renders with the component's config already")]);
    }
    if blocks.iter().all(|block| block.moving.is_empty()) {
        let kept: Vec<String> =
            blocks.iter().flat_map(|b| b.staying.iter().map(|(key, ..)| format!("`{}`", display_path(key)))).collect();
        return Err(vec![Problem::error(
            "hldc::promote::only-kept",
            format!("ring `{}` of component `{component}` sets only keys it keeps as its own: {}", options.from, kept.join(", ")),
        )
        .help(format!("promotion moves what makes a ring a release, not what sizes it; to move these too, list the keys rings keep in `{PROJECT_FILE}` under `rings.<ring>.keep`"))]);
    }
    let readers = |file: &str| environments_reading(file, &opened);
    check_files(&blocks, options, sources.hld_root(), &readers)?;
    let files = edit(sources.hld_root(), &blocks, to)?;
    let shared: Vec<String> = files.iter().filter(|file| !owned(file, options)).cloned().collect();
    let mut environments = vec![options.environment.clone()];
    for file in &shared {
        environments.extend(readers(file).into_iter().filter(|env| !environments.contains(env)).collect::<Vec<_>>());
    }
    let ring_value = |block: &Block, key: &[Segment], value: &Value| RingValue {
        file: block.file().to_string(),
        key: display_path(key),
        value: value.clone(),
    };
    Ok(Promoted {
        component,
        from: options.from.clone(),
        to: to.name.clone(),
        moved: blocks.iter().flat_map(|b| b.moving.iter().map(move |(key, value)| ring_value(b, key, value))).collect(),
        kept: blocks
            .iter()
            .flat_map(|b| {
                b.staying.iter().map(move |(key, value, rings)| KeptValue {
                    value: ring_value(b, key, value),
                    kept_by: rings.clone(),
                })
            })
            .collect(),
        cluster: options.cluster.clone().filter(|cluster| files.iter().all(|file| file_environment(file) == cluster)),
        files,
        shared,
        environments,
    })
}

/// The component's path, its copy in the ring promoted from, and the ring promoted to.
fn rings_of<'p>(
    planned: &'p [Planned],
    options: &PromoteOptions,
    target: &Environments,
) -> Result<(String, &'p Planned<'p>, &'p Ring), Vec<Problem>> {
    let copies: Vec<&Planned> = planned.iter().filter(|p| p.node.is_named(&options.component)).collect();
    let Some(first) = copies.first() else {
        return Err(vec![super::config::unknown_component(&options.component, planned, target)]);
    };
    let component = first.node.path.clone();
    let rings: Vec<&str> = copies.iter().filter_map(|p| p.ring.as_ref()).map(|r| r.name.as_str()).collect();
    let ring_problem = |ring: &str| {
        let problem = Problem::error(
            "hldc::promote::unknown-ring",
            format!("component `{component}` has no ring `{ring}` in `{}`", target.output_dir()),
        );
        match rings.as_slice() {
            [] => problem.help("only components with `rings:` in their config can be promoted"),
            rings => problem.help(format!("its rings are: {}", rings.join(", "))),
        }
    };
    let Some(from) = copies.iter().find(|p| p.ring.as_ref().is_some_and(|r| r.name == options.from)) else {
        return Err(vec![ring_problem(&options.from)]);
    };
    let to = match &options.to {
        Some(name) => copies.iter().find_map(|p| p.ring.as_ref().filter(|r| &r.name == name)),
        None => copies.iter().find_map(|p| p.ring.as_ref().filter(|r| r.default)),
    }
    .ok_or_else(|| vec![ring_problem(options.to.as_deref().unwrap_or("(default)"))])?;
    if to.name == options.from {
        return Err(vec![Problem::error(
            "hldc::promote::same-ring",
            format!("ring `{}` cannot be promoted to itself", to.name),
        )
        .help("name another ring with `--to`, or leave it out to promote to the default ring")]);
    }
    Ok((component, from, to))
}

/// The keys the two rings of a promotion keep as their own, parsed from hldc.yaml.
struct RingKeeps {
    /// Each key path, with the rings keeping it.
    keys: Vec<(Vec<String>, Vec<String>)>,
}

impl RingKeeps {
    fn of(project: &Project, rings: [&str; 2]) -> Result<RingKeeps, Vec<Problem>> {
        let mut keys: Vec<(Vec<String>, Vec<String>)> = Vec::new();
        let mut problems = Vec::new();
        for ring in rings {
            for (index, text) in project.rings.keeps(ring).iter().enumerate() {
                match split_dotted(text, None) {
                    Ok((path, _)) => match keys.iter_mut().find(|(known, _)| *known == path) {
                        Some((_, keepers)) => keepers.push(ring.to_string()),
                        None => keys.push((path, vec![ring.to_string()])),
                    },
                    Err(why) => {
                        let at = ["rings", ring, "keep"].map(|key| Segment::Key(key.into()));
                        let at = [at.as_slice(), &[Segment::Index(index)]].concat();
                        problems.push(
                            Problem::error("hldc::promote::keep", format!("`{text}` is not a config key: {why}"))
                                .at_opt(project.document.as_ref().map(|document| document.value_location(&at)))
                                .help("write a key relative to `config`, dotted: `replicaCount`, `worker.resources`"),
                        );
                    }
                }
            }
        }
        if problems.is_empty() {
            Ok(RingKeeps { keys })
        } else {
            Err(problems)
        }
    }

    /// The rings keeping `key` (a key of the ring's config): those keeping it or a key above it.
    fn kept_by(&self, key: &[Segment]) -> Vec<String> {
        let under = |path: &[String]| {
            path.len() <= key.len()
                && path.iter().zip(key).all(|(kept, segment)| *segment == Segment::Key(kept.clone()))
        };
        let mut rings: Vec<String> = Vec::new();
        for ring in self.keys.iter().filter(|(path, _)| under(path)).flat_map(|(_, keepers)| keepers) {
            if !rings.contains(ring) {
                rings.push(ring.clone());
            }
        }
        rings
    }
}

/// Every layer of a ring's stack holding the ring's `config`, highest first, its values split.
fn ring_blocks<'l>(layers: &'l [Layer], ring: &str, keeps: &RingKeeps) -> Vec<Block<'l>> {
    layers
        .iter()
        .filter(|layer| layer.prefix.ends_with(&[Segment::Key("rings".into()), Segment::Key(ring.into())]))
        .filter_map(|layer| {
            let config = layer.value.get("config").and_then(Value::as_mapping).filter(|c| !c.is_empty())?;
            let mut leaves = Vec::new();
            flatten(config, &mut Vec::new(), &mut leaves);
            let (mut moving, mut staying) = (Vec::new(), Vec::new());
            for (key, value) in leaves {
                match keeps.kept_by(&key) {
                    rings if rings.is_empty() => moving.push((key, value)),
                    rings => staying.push((key, value, rings)),
                }
            }
            Some(Block { layer, config, moving, staying })
        })
        .collect()
}

/// Refuses to edit a file that is not the HLD's, or (without `--shared`) one that environments
/// other than ENV read: every such file is a problem, at its first value that would move.
fn check_files(
    blocks: &[Block],
    options: &PromoteOptions,
    root: &Path,
    readers: &dyn Fn(&str) -> Vec<String>,
) -> Result<(), Vec<Problem>> {
    let mut problems = Vec::new();
    for block in blocks.iter().filter(|block| !block.moving.is_empty()) {
        let file = block.file();
        let location = |key: &[Segment]| block.layer.document.value_location(&block.in_file(key));
        let first = &block.moving[0].0;
        if file.starts_with('<') || !root.join(file).is_file() {
            problems.push(
                Problem::error(
                    "hldc::promote::not-local",
                    format!("ring `{}` is defined in `{file}`, which is not a file of this HLD", options.from),
                )
                .at(location(first))
                .help("promote in the repository that holds that file"),
            );
            continue;
        }
        if options.shared || owned(file, options) {
            continue;
        }
        let keys: Vec<String> = block.moving.iter().map(|(key, _)| format!("`{}`", display_path(key))).collect();
        let others: Vec<String> =
            readers(file).into_iter().filter(|env| *env != options.environment).map(|env| format!("`{env}`")).collect();
        let readers_text = match others.as_slice() {
            [] => "other environments read".to_string(),
            [one] => format!("{one} reads"),
            _ => format!("{} read", others.join(", ")),
        };
        let own_file = sibling_config(root, file, &options.environment);
        let problem = Problem::error(
            "hldc::promote::shared",
            format!(
                "ring `{}` sets {} in `{file}`, which {readers_text} too: promoting `{}` would change them",
                options.from,
                keys.join(", "),
                options.environment
            ),
        )
        .at(location(first))
        .label("set for every environment reading this file")
        .help(format!(
            "move these values of `{}` into `{own_file}` to promote them in `{}` alone, or pass `--shared` to edit `{file}` and promote it in every environment reading it",
            display_path(&block.in_file(&[])),
            options.environment
        ));
        let problem = block.moving[1..].iter().fold(problem, |problem, (key, _)| {
            problem.related(
                Problem::warning("hldc::promote::shared", format!("`{}` is set here", display_path(key)))
                    .at(location(key)),
            )
        });
        problems.push(problem);
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

/// Whether a config file is ENV's own, or its cluster's.
fn owned(file: &str, options: &PromoteOptions) -> bool {
    let environment = file_environment(file);
    environment == options.environment || Some(environment) == options.cluster.as_deref()
}

/// The environment (or cluster) a config file is a layer of: its name without the extension.
fn file_environment(file: &str) -> &str {
    Path::new(file).file_stem().and_then(|stem| stem.to_str()).unwrap_or(file)
}

/// The config file of `environment` beside `file`: the one there is (`.yaml` or `.yml`), else a new `.yaml`.
fn sibling_config(root: &Path, file: &str, environment: &str) -> String {
    let dir = Path::new(file).parent().unwrap_or(Path::new(""));
    let named = |extension: &str| dir.join(format!("{environment}.{extension}")).to_string_lossy().replace('\\', "/");
    let yml = named("yml");
    if root.join(&yml).is_file() {
        yml
    } else {
        named("yaml")
    }
}

/// The environments a config file is a layer of: all of them for a `common` file, else the one
/// it is named after (or whose cluster it is named after). Environments are those the project
/// declares and those config files of the loaded tree name, clusters aside.
fn environments_reading(file: &str, opened: &Opened) -> Vec<String> {
    let clusters: BTreeSet<&str> =
        opened.project.environments.values().flat_map(|spec| spec.clusters.iter().map(String::as_str)).collect();
    let named = file_environment(file);
    if named != "common" {
        let owner = opened.project.environments.iter().find(|(_, spec)| spec.clusters.iter().any(|c| c == named));
        return vec![owner.map_or(named, |(env, _)| env.as_str()).to_string()];
    }
    opened.hld.environments.iter().filter(|env| *env != "common" && !clusters.contains(env.as_str())).cloned().collect()
}

/// Moves each block's moving values into the ring promoted to, in the block's own file, and
/// removes them from the block; every file is checked before any is written. Returns the files.
fn edit(root: &Path, blocks: &[Block], to: &Ring) -> Result<Vec<String>, Vec<Problem>> {
    let mut editors: Vec<(String, Editor)> = Vec::new();
    for block in blocks.iter().filter(|block| !block.moving.is_empty()) {
        let file = block.file().to_string();
        let at = match editors.iter().position(|(name, _)| *name == file) {
            Some(at) => at,
            None => {
                let text = read_hld_file(root, &root.join(&file), false).map_err(|p| vec![p])?;
                editors.push((file, Editor::open(&text).map_err(|p| vec![p])?));
                editors.len() - 1
            }
        };
        let editor = &mut editors[at].1;
        let component = &block.layer.prefix[..block.layer.prefix.len().saturating_sub(2)];
        let mut destination = component.to_vec();
        if !to.default {
            destination.extend([Segment::Key("rings".into()), Segment::Key(to.name.clone())]);
        }
        destination.push(Segment::Key("config".into()));
        for (key, value) in &block.moving {
            editor.set(&[destination.as_slice(), key].concat(), value).map_err(|p| vec![p])?;
        }
        let mut removed = Vec::new();
        if block.staying.is_empty() {
            removed.push(block.in_file(&[]));
        } else {
            let stays = |key: &[Segment]| block.staying.iter().any(|(kept, ..)| kept.starts_with(key));
            moved_subtrees(block.config, &mut Vec::new(), &stays, &mut removed);
            removed = removed.iter().map(|key| block.in_file(key)).collect();
        }
        for path in &removed {
            editor.remove(path).map_err(|p| vec![p])?;
        }
    }
    for (file, editor) in &editors {
        check_edit(file, &editor.contents(), Schema::Config).map_err(|p| vec![p])?;
    }
    for (file, editor) in &editors {
        save(root, file, &editor.contents(), Schema::Config).map_err(|p| vec![p])?;
    }
    Ok(editors.into_iter().map(|(file, _)| file).collect())
}

/// The highest keys of `map` holding no value that stays: what to remove, each whole.
fn moved_subtrees(
    map: &Mapping,
    path: &mut Vec<Segment>,
    stays: &dyn Fn(&[Segment]) -> bool,
    removed: &mut Vec<Vec<Segment>>,
) {
    for (key, value) in map {
        path.push(Segment::Key(key.as_str().map_or_else(|| super::edit::edit_key(key), str::to_string)));
        match value {
            _ if !stays(path) => removed.push(path.clone()),
            Value::Mapping(inner) if !inner.is_empty() => moved_subtrees(inner, path, stays, removed),
            _ => {}
        }
        path.pop();
    }
}
