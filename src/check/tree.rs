//! Checks of the loaded tree that the schemas cannot express: references between files,
//! local sources that must exist, and places where hldc reads an HLD differently from
//! Fabrikate. `check_tree` holds whatever the environment; `check_environment` looks at one
//! environment combination's merged config.

use serde_yaml::Value;

use crate::diag::Problem;
use crate::layer::Layer;
use crate::model::plan::Planned;
use crate::model::tree::{Hld, Node};
use crate::model::ComponentType;
use crate::suggest::did_you_mean;
use crate::yaml::{display_path, Document, Segment, ValuePath};

/// Plain scalars that YAML 1.1 (go-yaml v2, which helm and Fabrikate use) reads as booleans,
/// and YAML 1.2 (hldc) as strings.
const YAML11_BOOLEANS: [&str; 16] =
    ["y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF"];

/// Problems of the tree that do not depend on the environment.
pub fn check_tree(hld: &Hld, hooks_allowed: bool) -> Vec<Problem> {
    let mut problems = hld.fabrikate_spellings.clone();
    problems.extend(unknown_subcomponents(hld));
    problems.extend(misleading_scalars(hld));
    if !hooks_allowed {
        problems.extend(hld.root.walk().into_iter().filter_map(check_hooks));
    }
    problems
}

/// Config values that do not mean what they look like (`yes`, `0755`, `tag: 1.10`): warnings
/// in `validate`, and in every run that renders, since a pipeline that only generates must
/// see them too.
pub fn misleading_scalars(hld: &Hld) -> Vec<Problem> {
    let mut problems = Vec::new();
    for node in hld.root.walk() {
        for document in node.configs.values() {
            check_plain_scalars_of_config(document, Vec::new(), &document.value, &mut problems);
        }
    }
    problems
}

/// Config blocks naming a subcomponent that does not exist (typos Fabrikate ignored).
pub fn unknown_subcomponents(hld: &Hld) -> Vec<Problem> {
    let mut problems = Vec::new();
    for document in hld.outer_configs.values() {
        check_config_block(document, Vec::new(), &document.value, &hld.root, &mut problems);
    }
    for node in hld.root.walk() {
        for document in node.configs.values() {
            check_config_block(document, Vec::new(), &document.value, node, &mut problems);
        }
    }
    problems
}

/// `subcomponents.<name>` in a config block must name a subcomponent of the component the
/// block configures; Fabrikate silently ignored a misspelled name.
fn check_config_block(document: &Document, at: ValuePath, block: &Value, node: &Node, out: &mut Vec<Problem>) {
    let Some(subcomponents) = block.get("subcomponents").and_then(Value::as_mapping) else { return };
    let declared: Vec<&str> = node.definition.spec.subcomponents.iter().map(|s| s.name.as_str()).collect();
    for (name, child_block) in subcomponents {
        let Some(name) = name.as_str() else { continue };
        let mut child_at = at.clone();
        child_at.extend([Segment::Key("subcomponents".into()), Segment::Key(name.to_string())]);
        if declared.contains(&name) {
            // A child that failed to load is reported already; its own children are unknown.
            if let Some(child) = node.children.iter().find(|c| c.key == name) {
                check_config_block(document, child_at, child_block, child, out);
            }
            continue;
        }
        let help = match did_you_mean(name, declared.iter().copied()) {
            Some(near) => format!("did you mean `{near}`?"),
            None if declared.is_empty() => format!("`{}` has no subcomponents; remove this block", node.path),
            None => format!("the subcomponents of `{}` are: {}", node.path, declared.join(", ")),
        };
        out.push(
            Problem::error(
                "hldc::config::unknown-subcomponent",
                format!(
                    "`{}` configures `{name}`, but `{}` has no subcomponent of that name",
                    document.file.name(),
                    node.path
                ),
            )
            .at(document.key_location(&child_at))
            .label("no such subcomponent")
            .help(help),
        );
    }
}

/// Warns about plain scalars under `config:` that do not mean what they look like: `yes`, `on`,
/// `05432`, `1_000` (strings for hldc, a boolean or a number for Fabrikate and helm's YAML 1.1),
/// and `1.10`, `2.0` (numbers helm prints as `1.1`, `2`).
fn check_plain_scalars_of_config(document: &Document, at: ValuePath, block: &Value, out: &mut Vec<Problem>) {
    if let Some(values) = block.get("config") {
        let mut values_at = at.clone();
        values_at.push(Segment::Key("config".into()));
        check_plain_scalars(document, values_at, values, out);
    }
    for (name, child) in block.get("subcomponents").and_then(Value::as_mapping).into_iter().flatten() {
        let Some(name) = name.as_str() else { continue };
        let mut child_at = at.clone();
        child_at.extend([Segment::Key("subcomponents".into()), Segment::Key(name.to_string())]);
        check_plain_scalars_of_config(document, child_at, child, out);
    }
}

fn check_plain_scalars(document: &Document, at: ValuePath, value: &Value, out: &mut Vec<Problem>) {
    match value {
        // What a value could mean comes first: a document's positions are found only for a file
        // a message points into (finding them for every config file costs every run).
        Value::String(text) => {
            let Some(reading) = yaml11_reading(text).filter(|_| document.positions().is_plain(&at)) else { return };
            out.push(
                Problem::warning(
                    reading.code,
                    format!(
                        "`{}` is the string \"{text}\" for hldc, but Fabrikate read it as {}",
                        display_path(&at),
                        reading.read_as
                    ),
                )
                .at(document.value_location(&at))
                .label(reading.label)
                .help(format!("write `{}` for {}, or `\"{text}\"` to keep the string", reading.value, reading.kind)),
            );
        }
        Value::Number(number) => {
            let Some(float) = number.as_f64() else { return };
            let printed = crate::gotemplate::fmt::display(&crate::gotemplate::value::Value::Float(float));
            let integer = number.is_i64() || number.is_u64();
            // An integer helm prints as written needs no look at how it was written.
            if integer && printed == number.to_string() || !document.positions().is_plain(&at) {
                return;
            }
            let Some(written) = document.positions().value_span(&at).and_then(|span| document.file.text().get(span))
            else {
                return;
            };
            // A text whose digits say more than the float64 keeps (`1.10`, `2.0`, `1.`, `1e3`), or
            // an integer helm prints with an exponent (`20241201` as `2.0241201e+07`).
            let says_more = written.contains(['e', 'E']) || written.contains('.') && written.ends_with(['0', '.']);
            if !(says_more || integer) || printed == written.trim_start_matches('+') {
                return;
            }
            out.push(
                Problem::warning(
                    "hldc::config::number-text",
                    format!(
                        "`{}` is written `{written}`, but it is a number: helm reads it as a float64 and prints it `{printed}`",
                        display_path(&at)
                    ),
                )
                .at(document.value_location(&at))
                .label(format!("the number {printed}"))
                .help(format!("quote it, `\"{written}\"`, to keep the text (an image tag, a version)")),
            );
        }
        Value::Mapping(map) => {
            for (key, child) in map {
                let Some(key) = key.as_str() else { continue };
                let mut child_at = at.clone();
                child_at.push(Segment::Key(key.to_string()));
                check_plain_scalars(document, child_at, child, out);
            }
        }
        Value::Sequence(items) => {
            for (index, child) in items.iter().enumerate() {
                let mut child_at = at.clone();
                child_at.push(Segment::Index(index));
                check_plain_scalars(document, child_at, child, out);
            }
        }
        _ => {}
    }
}

/// What go-yaml v2 (YAML 1.1, what Fabrikate read config with) made of a plain scalar that
/// hldc's YAML 1.2 reading keeps as a string.
struct Yaml11Reading {
    code: &'static str,
    /// As the message shows it: `` `true` ``, `the number 493`.
    read_as: String,
    /// As written in YAML for that meaning: `true`, `493`.
    value: String,
    kind: &'static str,
    label: &'static str,
}

fn yaml11_reading(text: &str) -> Option<Yaml11Reading> {
    if YAML11_BOOLEANS.contains(&text) {
        let value = if matches!(text.to_ascii_lowercase().as_str(), "y" | "yes" | "on") { "true" } else { "false" };
        return Some(Yaml11Reading {
            code: "hldc::config::yaml11-boolean",
            read_as: format!("`{value}`"),
            value: value.to_string(),
            kind: "a boolean",
            label: "unquoted YAML 1.1 boolean",
        });
    }
    let number = yaml11_number(text)?;
    Some(Yaml11Reading {
        code: "hldc::config::yaml11-number",
        read_as: format!("the number {number}"),
        value: number,
        kind: "the number",
        label: "a number in YAML 1.1",
    })
}

/// The number go-yaml v2 (YAML 1.1, what Fabrikate read config with) makes of a plain scalar
/// that hldc's YAML 1.2 reading keeps as a string: an octal `0755`, digits grouped by `_`.
fn yaml11_number(text: &str) -> Option<String> {
    let (sign, digits) = match text.strip_prefix(['-', '+']) {
        Some(rest) => (&text[..1], rest),
        None => ("", text),
    };
    let sign = if sign == "-" { "-" } else { "" };
    let plain = digits.replace('_', "");
    if plain.is_empty() || !plain.bytes().all(|b| b.is_ascii_digit()) || plain == digits && !digits.starts_with('0') {
        return None;
    }
    let value = match plain.strip_prefix('0').filter(|octal| !octal.is_empty()) {
        Some(octal) => i64::from_str_radix(octal, 8).ok()?,
        None => plain.parse::<i64>().ok()?,
    };
    Some(format!("{sign}{value}"))
}

/// Hooks are shell commands; `generate` refuses them without `--allow-hooks`.
fn check_hooks(node: &Node) -> Option<Problem> {
    let definition = &node.definition;
    if definition.spec.hooks.is_empty() {
        return None;
    }
    Some(
        Problem::warning(
            "hldc::hooks::declared",
            format!("component `{}` declares hooks, which `hldc generate` runs only with `--allow-hooks`", node.path),
        )
        .at(definition.field_location("hooks"))
        .label("shell commands")
        .help("review the commands; pass `--allow-hooks` to generate (and to validate, to silence this)"),
    )
}

/// Problems of one environment combination: its merged config per enabled component.
pub fn check_environment(planned: &[Planned]) -> Vec<Problem> {
    let mut problems = Vec::new();
    for component in planned {
        problems.extend(check_inject_namespace(component));
        problems.extend(unused_settings(component));
        problems.extend(check_list_replacement(&component.layers));
        problems.extend(crate::ring::check_ring_route(component));
        problems.extend(deterministic_with_binary(component, component.config.helm.engine));
    }
    problems
}

/// `helm.deterministic` on a component the helm binary renders (`engine`: its `helm.engine`,
/// or `--helm-engine` at render time): no helm seeds its chance, so only the native engine can
/// keep the promise.
pub fn deterministic_with_binary(component: &Planned, engine: crate::model::HelmEngine) -> Option<Problem> {
    let helm = &component.config.helm;
    if !helm.deterministic || engine != crate::model::HelmEngine::Binary {
        return None;
    }
    let setter = component
        .layers
        .iter()
        .rev()
        .find(|layer| layer.value.get("helm").and_then(|h| h.get("deterministic")).is_some())?;
    Some(
        Problem::error(
            "hldc::config::deterministic-binary",
            format!("component `{}` asks for `helm.deterministic`, but the helm binary renders it", component.node.path),
        )
        .at(key_location(setter, &["helm", "deterministic"]))
        .label("only the native engine seeds chance")
        .help("render it natively (`helm.engine: native` or `auto`, or `--helm-engine native`), or remove `deterministic`"),
    )
}

/// `injectNamespace` with no namespace to inject, for a component that renders (a container's
/// `injectNamespace` may serve children that each set their own namespace).
pub fn check_inject_namespace(component: &Planned) -> Option<Problem> {
    let config = &component.config;
    if !config.inject_namespace || config.namespace.is_some() || !component.node.renders() {
        return None;
    }
    let setter = component.layers.iter().find(|layer| layer.value.get("injectNamespace").is_some())?;
    let mut at = setter.prefix.clone();
    at.push(Segment::Key("injectNamespace".into()));
    Some(
        Problem::error(
            "hldc::config::inject-without-namespace",
            format!(
                "`injectNamespace` is true for component `{}`, but no config sets its `namespace`",
                component.node.path
            ),
        )
        .at(setter.document.key_location(&at))
        .label("nothing to inject")
        .help(
            "add `namespace: <name>` beside it (or in the component's config/common.yaml), or remove `injectNamespace`",
        ),
    )
}

/// Settings nothing reads, each at the line that set it: `config` (values) of a component that
/// renders no chart (Fabrikate ignored them silently; a container's `config` is not passed
/// down, only its `subcomponents.<name>` is), and `helm.releaseName` on a container (it names
/// one release, so it is not passed down). Errors for `validate`, warnings for a render: an HLD
/// migrated from Fabrikate keeps building while it is cleaned up.
pub fn unused_settings(component: &Planned) -> Vec<Problem> {
    let node = component.node;
    let kind = node.component_type();
    let mut problems = Vec::new();
    for layer in component.layers.iter().filter(|layer| layer.container.is_none()) {
        let values = layer.value.get("config").and_then(Value::as_mapping).filter(|values| !values.is_empty());
        if values.is_some() && kind != ComponentType::Helm {
            let (whose, what, help) = match kind {
                ComponentType::Component => (
                    "container".to_string(),
                    "it renders nothing, and its values are not passed down",
                    format!("move them under `subcomponents.<name>.config` for the helm components below `{}` that use them", node.path),
                ),
                _ => (
                    format!("{} component", kind.name()),
                    "only a helm component has values (its chart's)",
                    format!("remove `config` from `{}`, or change its manifests, a patch or a ring instead", node.path),
                ),
            };
            problems.push(
                Problem::error(
                    "hldc::config::unused-values",
                    format!("`config` of {whose} `{}` is used by nothing: {what}", node.path),
                )
                .at(key_location(layer, &["config"]))
                .label("never read")
                .help(help),
            );
        }
        let release_name = layer.value.get("helm").and_then(|helm| helm.get("releaseName"));
        if release_name.is_some() && kind == ComponentType::Component {
            problems.push(
                Problem::error(
                    "hldc::config::container-release-name",
                    format!("`helm.releaseName` of container `{}` names no release", node.path),
                )
                .at(key_location(layer, &["helm", "releaseName"]))
                .label("a container renders nothing")
                .help(
                    "set `releaseName` on the helm component it is meant for (`subcomponents.<name>.helm.releaseName`)",
                ),
            );
        }
    }
    problems
}

/// Where `keys` are written in `layer`.
fn key_location(layer: &Layer, keys: &[&str]) -> crate::diag::Location {
    let mut at = layer.prefix.clone();
    at.extend(keys.iter().map(|key| Segment::Key(key.to_string())));
    layer.document.key_location(&at)
}

/// Fabrikate appended a list in a higher layer to the list below it; hldc replaces it. Warns
/// where a higher layer's list hides a lower layer's.
fn check_list_replacement(layers: &[Layer]) -> Vec<Problem> {
    let mut problems = Vec::new();
    for (index, layer) in layers.iter().enumerate() {
        let mut lists = Vec::new();
        // `subcomponents` configures the children; their own layer stacks cover it.
        for (key, value) in layer.value.as_mapping().into_iter().flatten() {
            match key.as_str() {
                Some(key) if key != "subcomponents" => collect_lists(value, vec![Segment::Key(key.into())], &mut lists),
                _ => {}
            }
        }
        for list_path in lists {
            let below = layers[index + 1..].iter().find_map(|lower| match lookup(&lower.value, &list_path) {
                Lookup::Missing => None,
                Lookup::Found(Value::Sequence(_)) => Some(Some(lower)),
                // A null or a value of another type hides whatever is below it.
                Lookup::Found(_) | Lookup::Blocked => Some(None),
            });
            let Some(Some(lower)) = below else { continue };
            let high_at = [layer.prefix.as_slice(), &list_path].concat();
            let low_at = [lower.prefix.as_slice(), &list_path].concat();
            problems.push(
                Problem::warning(
                    "hldc::config::list-replaced",
                    format!(
                        "the list `{}` replaces the one at `{}` whole; Fabrikate appended them",
                        display_path(&high_at),
                        lower.document.value_location(&low_at).display()
                    ),
                )
                .at(layer.document.key_location(&high_at))
                .label("replaces the lower list")
                .help("repeat here the entries of the lower list that should stay, or keep the list in one file"),
            );
        }
    }
    problems
}

/// Paths of the lists in a config layer, reached through mappings only.
fn collect_lists(value: &Value, at: ValuePath, out: &mut Vec<ValuePath>) {
    match value {
        Value::Sequence(_) => out.push(at),
        Value::Mapping(map) => {
            for (key, child) in map {
                let Some(key) = key.as_str() else { continue };
                let mut child_at = at.clone();
                child_at.push(Segment::Key(key.to_string()));
                collect_lists(child, child_at, out);
            }
        }
        _ => {}
    }
}

enum Lookup<'v> {
    /// The layer does not set this path.
    Missing,
    /// A scalar, list or null stands where a mapping would be needed: it replaces everything
    /// below it, so the search stops.
    Blocked,
    Found(&'v Value),
}

fn lookup<'v>(value: &'v Value, at: &[Segment]) -> Lookup<'v> {
    let mut current = value;
    for segment in at {
        let (Segment::Key(key), Value::Mapping(map)) = (segment, current) else { return Lookup::Blocked };
        match map.get(key.as_str()) {
            Some(next) => current = next,
            None => return Lookup::Missing,
        }
    }
    Lookup::Found(current)
}
