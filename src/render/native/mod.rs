//! The native Helm engine: a chart rendered in-process as `helm template` renders it (helm
//! v4.1.4), text for text. [`check_support`] says beforehand whether a chart uses anything the
//! engine lacks (hldc then runs the helm binary); [`render`] never renders partially.
//!
//! Loading (chart.rs), values (values.rs), Helm's functions (funcs.rs), `.Files` and
//! `.Capabilities` (objects.rs), YAML in and out as go-yaml v2 (yaml_in.rs, yaml_out.rs) and
//! the printed form (output.rs) follow helm's code file by file; templates run on
//! `gotemplate::TemplateSet` with `gotemplate::sprig`'s functions.

pub(crate) mod chart;
mod funcs;
mod glob;
mod objects;
mod output;
mod toml;
mod values;
mod yaml_in;
mod yaml_out;
mod yaml_pretty;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Mutex;

use serde_json::Value as Json;

use crate::gotemplate::sprig::clock::{self, FixedClock};
use crate::gotemplate::sprig::{chance, crypto};
use crate::gotemplate::value::new_map;
use crate::gotemplate::{Functions, Map, TemplateSet, Value};

use chart::Chart;

/// What one render is asked for: `helm template`'s arguments as hldc passes them.
pub struct Request<'a> {
    pub release: &'a str,
    pub namespace: &'a str,
    /// The YAML hldc passes to `helm template --values -`.
    pub values: &'a str,
    /// `--kube-version`, e.g. "1.34.0".
    pub kube_version: &'a str,
    /// `--api-versions`.
    pub api_versions: &'a [String],
    pub include_crds: bool,
    pub skip_tests: bool,
    /// `helm.deterministic`, with its fixed clock: each template draws its chance from a
    /// stream seeded by the release, its path and `values`, and reads the clock's instant.
    pub deterministic: Option<FixedClock>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum NativeError {
    /// The chart uses something the engine lacks, found before rendering: hldc falls back to
    /// the helm binary (`auto`). Each reason is one line: "function `genCA` (templates/secret.yaml)".
    Unsupported(Vec<String>),
    /// The render failed as helm's would (a template error, `required`, `fail`, the schema):
    /// helm's message.
    Failed(String),
}

impl std::fmt::Display for NativeError {
    fn fmt(&self, out: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NativeError::Unsupported(reasons) => {
                write!(out, "the native engine does not support: {}", reasons.join("; "))
            }
            NativeError::Failed(message) => out.write_str(message),
        }
    }
}

/// Changes whenever the engine's output may change: the render cache keys native renders on it.
pub const ENGINE_VERSION: &str = "native-0.2.1+helm-4.1.4";

/// The functions charts may call under the native engine: Sprig's (but `UNSUPPORTED`: a chart
/// calling one renders with the helm binary) and helm's.
fn engine_functions() -> Functions {
    funcs::functions(crate::gotemplate::sprig::functions())
}

/// Renders `chart` (a chart directory as hldc prepares it, or a `.tgz`) as `helm template`.
pub fn render(chart: &Path, request: &Request) -> Result<String, NativeError> {
    unless_panicking(|| render_chart(chart, request))
}

/// `run`, with a panic of the engine's (a bug of hldc's, whatever the chart holds) made an
/// error: the run ends as for any failed render, the previous output in place, and `auto`
/// gives the chart to the helm binary when it happens while deciding.
fn unless_panicking<T>(run: impl FnOnce() -> Result<T, NativeError>) -> Result<T, NativeError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(run)).unwrap_or_else(|payload| {
        let message = payload
            .downcast_ref::<&str>()
            .map(|text| text.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        Err(NativeError::Failed(format!(
            "hldc's native engine failed on this chart (a bug in hldc, not in the chart: {message}); render the component with the helm binary (`helm.engine: binary`) and report the chart"
        )))
    })
}

fn render_chart(chart: &Path, request: &Request) -> Result<String, NativeError> {
    let mut chart = chart::load(chart)?;
    let user = user_values(request.values)?;
    check_dependencies_present(&chart)?;
    values::process_dependencies(&mut chart, &user)?;
    let values = values::coalesce(&chart, &user, false)?;
    values::validate_schemas(&chart, &values)?;
    let set = parse_all(&chart, &engine_functions())?;
    check_kube_version(&chart, request.kube_version)?;
    let top = TopData {
        release: release_value(request),
        capabilities: objects::capabilities(request.kube_version, request.api_versions),
    };
    let mut templates = Vec::new();
    let root_values = Value::from_json(&Json::Object(values));
    collect_templates(&chart, None, &root_values, &top, &mut templates);
    let rendered = execute_all(&set, &templates, request)?;
    let crds = if request.include_crds { crd_files(&chart, chart.name()) } else { Vec::new() };
    output::print(&rendered, &crds, request.skip_tests)
}

/// `check_support`'s verdicts of one run: a chart many components render (rings, clusters)
/// is loaded and parsed once to decide, not once per render. The chart directories a run
/// renders do not change while it runs.
#[derive(Debug, Default)]
pub struct SupportVerdicts(Mutex<BTreeMap<PathBuf, Result<(), NativeError>>>);

impl SupportVerdicts {
    /// `check_support(chart)`, asked once per chart.
    pub fn check(&self, chart: &Path) -> Result<(), NativeError> {
        if let Some(verdict) = self.0.lock().ok().and_then(|verdicts| verdicts.get(chart).cloned()) {
            return verdict;
        }
        // Decided outside the lock: other charts are decided meanwhile on other threads.
        let verdict = check_support(chart);
        if let Ok(mut verdicts) = self.0.lock() {
            verdicts.insert(chart.to_path_buf(), verdict.clone());
        }
        verdict
    }
}

/// Whether the native engine can render `chart` (every subchart counted, enabled or not):
/// `Unsupported` with every reason when not. `helm.deterministic` changes nothing here: what
/// the engine renders, it renders deterministically (a certificate's needs are checked as it
/// is made).
pub fn check_support(chart: &Path) -> Result<(), NativeError> {
    unless_panicking(|| {
        let chart = chart::load(chart)?;
        match parse_all(&chart, &engine_functions()) {
            Err(NativeError::Failed(_)) | Ok(_) => Ok(()),
            Err(unsupported) => Err(unsupported),
        }
    })
}

/// Every template of the chart and its (remaining) subcharts parsed in helm's order, and what
/// the engine lacks refused with reasons, before anything runs.
fn parse_all(chart: &Chart, functions: &Functions) -> Result<TemplateSet, NativeError> {
    let mut sources = Vec::new();
    template_sources(chart, chart.name(), &mut sources);
    let builtins = crate::gotemplate::builtins::functions();
    let known: BTreeSet<&str> = functions.keys().chain(builtins.keys()).copied().collect();
    let mut set = TemplateSet::new(functions.clone());
    let mut reasons = Vec::new();
    let mut parse_error = None;
    let (mut functions_seen, mut methods_seen, mut methods_called) =
        (BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
    for (name, source) in &sources {
        let result = set.parse(name, source);
        let file = name.split_once('/').map(|(_, rest)| rest).unwrap_or(name);
        for function in set.functions_used() {
            if !known.contains(function.as_str()) && functions_seen.insert(function.clone()) {
                reasons.push(format!("function `{function}` ({file})"));
            }
        }
        for method in set.methods_used() {
            methods_called.insert(method.clone());
            // Lower-case names read off a call's result are map keys (`(fromYaml $x).kind`);
            // Go's exported methods and fields start upper-case.
            let exported = method.starts_with(|c: char| c.is_uppercase());
            if exported && !known_member(&method) && methods_seen.insert(method.clone()) {
                reasons.push(format!("method `{method}` ({file})"));
            }
        }
        if let Err(error) = result {
            parse_error.get_or_insert_with(|| clean_parse_error(name, &error.message));
        }
    }
    reasons.extend(binary_file_read_as_text(chart, &methods_called));
    if !reasons.is_empty() {
        return Err(NativeError::Unsupported(reasons));
    }
    match parse_error {
        Some(message) => Err(NativeError::Failed(message)),
        None => Ok(set),
    }
}

/// A file that is not UTF-8 (a `.bz2`, an image) read as text: Go's string holds its bytes and
/// `b64enc` passes them on, where the engine's strings are UTF-8 and would change them. Which
/// file a template reads is known only when it runs, so any such file with `.Files.Get`,
/// `Lines` or `AsConfig` called anywhere in the chart gives it to the helm binary.
fn binary_file_read_as_text(chart: &Chart, methods_called: &BTreeSet<String>) -> Option<String> {
    const AS_TEXT: [&str; 3] = ["Get", "Lines", "AsConfig"];
    let method = AS_TEXT.iter().find(|method| methods_called.contains(**method))?;
    let file = binary_file(chart, chart.name())?;
    Some(format!("method `{method}` of `.Files`, with `{file}` not UTF-8 text"))
}

fn binary_file(chart: &Chart, full_path: &str) -> Option<String> {
    let own = chart.files.iter().find(|file| std::str::from_utf8(&file.data).is_err());
    own.map(|file| format!("{full_path}/{}", file.name)).or_else(|| {
        chart.dependencies.iter().find_map(|sub| binary_file(sub, &format!("{full_path}/charts/{}", sub.name())))
    })
}

fn known_member(name: &str) -> bool {
    [
        objects::FILES_MEMBERS,
        objects::CAPABILITIES_MEMBERS,
        objects::KUBE_VERSION_MEMBERS,
        objects::VERSION_SET_MEMBERS,
        objects::HELM_VERSION_MEMBERS,
        crypto::CERTIFICATE_MEMBERS,
        crate::gotemplate::sprig::VERSION_MEMBERS,
        clock::TIME_MEMBERS,
    ]
    .iter()
    .any(|members| members.contains(&name))
}

/// The templates of a chart and its subcharts by full name (`parent/charts/sub/templates/x`),
/// in helm's parse order: deeper paths first, then names descending, so that a parent's
/// `define` (parsed later) wins over a subchart's.
fn template_sources(chart: &Chart, full_path: &str, out: &mut Vec<(String, String)>) {
    collect_sources(chart, full_path, out);
    out.sort_by(|(a, _), (b, _)| {
        let depth = |s: &str| s.matches('/').count();
        depth(b).cmp(&depth(a)).then_with(|| b.cmp(a))
    });
}

fn collect_sources(chart: &Chart, full_path: &str, out: &mut Vec<(String, String)>) {
    for sub in &chart.dependencies {
        collect_sources(sub, &format!("{full_path}/charts/{}", sub.name()), out);
    }
    for template in &chart.templates {
        if chart.is_library() && !base_name(&template.name).starts_with('_') {
            continue;
        }
        out.push((format!("{full_path}/{}", template.name), String::from_utf8_lossy(&template.data).into_owned()));
    }
}

fn base_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// chartutil's `IsCompatibleRange`: whether `version` meets a Masterminds constraint; an
/// unreadable constraint or version is not compatible.
fn is_compatible_range(constraint: &str, version: &str) -> bool {
    crate::gotemplate::sprig::semver_satisfies(constraint, version).unwrap_or(false)
}

/// engine.go's `cleanupParseError`.
fn clean_parse_error(file: &str, message: &str) -> String {
    let tokens: Vec<&str> = message.split(": ").collect();
    if tokens.len() == 1 {
        return format!("parse error in ({file}): {message}");
    }
    format!("parse error at ({}): {}", tokens[1], tokens[tokens.len() - 1])
}

fn check_kube_version(chart: &Chart, kube_version: &str) -> Result<(), NativeError> {
    let required = chart.metadata.get("kubeVersion").and_then(Json::as_str).unwrap_or("");
    let version = if kube_version.starts_with('v') { kube_version.to_string() } else { format!("v{kube_version}") };
    if !required.is_empty() && !is_compatible_range(required, &version) {
        return Err(NativeError::Failed(format!(
            "chart requires kubeVersion: {required} which is incompatible with Kubernetes {version}"
        )));
    }
    Ok(())
}

fn user_values(text: &str) -> Result<serde_json::Map<String, Json>, NativeError> {
    match yaml_in::parse_json(text) {
        Ok(Json::Object(map)) => Ok(map),
        Ok(Json::Null) => Ok(Default::default()),
        Ok(_) => Err(NativeError::Failed(
            "failed to parse -: error unmarshaling JSON: json: cannot unmarshal into Go value of type map[string]interface {}".into(),
        )),
        Err(error) => Err(NativeError::Failed(format!("failed to parse -: error converting YAML to JSON: {error}"))),
    }
}

/// action.CheckDependencies: a dependency in Chart.yaml must be in `charts/`.
fn check_dependencies_present(chart: &Chart) -> Result<(), NativeError> {
    let missing: Vec<&str> = chart
        .dependencies_meta
        .iter()
        .filter(|req| !chart.dependencies.iter().any(|sub| sub.name() == req.name))
        .map(|req| req.name.as_str())
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(NativeError::Failed(format!(
        "an error occurred while checking for chart dependencies. You may need to run `helm dependency build` to fetch missing dependencies: found in Chart.yaml, but missing in charts/ directory: {}",
        missing.join(", ")
    )))
}

/// What every chart's templates share.
struct TopData {
    release: Value,
    capabilities: Value,
}

/// One template to execute: its full name, its chart's data (shared, as helm shares it),
/// and `.Template.BasePath`.
struct Renderable {
    name: String,
    data: Map,
    base_path: String,
}

fn release_value(request: &Request) -> Value {
    let entries = [
        ("Name", Value::string(request.release)),
        ("Namespace", Value::string(request.namespace)),
        ("IsUpgrade", Value::Bool(false)),
        ("IsInstall", Value::Bool(true)),
        ("Revision", Value::Int(1)),
        ("Service", Value::string("Helm")),
    ];
    Value::map(entries.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

/// engine.go's `recAllTpls`: each chart's data (`.Values` scoped to it, `.Chart`, `.Files`,
/// `.Subcharts`), its templates listed. Returns the chart's data map.
fn collect_templates(
    chart: &Chart,
    parent: Option<(&str, &Value)>,
    values: &Value,
    top: &TopData,
    out: &mut Vec<Renderable>,
) -> Map {
    let full_path = match parent {
        Some((parent_path, _)) => format!("{parent_path}/charts/{}", chart.name()),
        None => chart.name().to_string(),
    };
    let own_values = match parent {
        None => values.clone(),
        Some((_, parent_values)) => match parent_values {
            Value::Map(map) => match map.borrow().get(chart.name()) {
                Some(Value::Map(inner)) => Value::Map(inner.clone()),
                _ => Value::map(BTreeMap::new()),
            },
            _ => Value::map(BTreeMap::new()),
        },
    };
    let subcharts: Map = new_map(BTreeMap::new());
    let mut chart_map = chart_metadata_value(chart);
    if let Value::Map(map) = &mut chart_map {
        map.borrow_mut().insert("IsRoot".into(), Value::Bool(parent.is_none()));
    }
    let files = chart.files.iter().map(|f| (f.name.clone(), Rc::<[u8]>::from(f.data.as_slice()))).collect();
    let data: BTreeMap<String, Value> = [
        ("Chart", chart_map),
        ("Files", objects::Files::value(files)),
        ("Release", top.release.clone()),
        ("Capabilities", top.capabilities.clone()),
        ("Values", own_values.clone()),
        ("Subcharts", Value::Map(subcharts.clone())),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let data: Map = new_map(data);
    for sub in &chart.dependencies {
        let sub_data = collect_templates(sub, Some((&full_path, &own_values)), values, top, out);
        subcharts.borrow_mut().insert(sub.name().to_string(), Value::Map(sub_data));
    }
    for template in &chart.templates {
        if chart.is_library() && !base_name(&template.name).starts_with('_') {
            continue;
        }
        out.push(Renderable {
            name: format!("{full_path}/{}", template.name),
            data: data.clone(),
            base_path: format!("{full_path}/templates"),
        });
    }
    data
}

/// `.Chart`: Chart.yaml's fields under Go's field names (common.go's `structToMap`).
fn chart_metadata_value(chart: &Chart) -> Value {
    let m = &chart.metadata;
    let text = |key: &str| Value::string(m.get(key).map(chart::scalar_text).unwrap_or_default());
    let strings = |key: &str| {
        Value::list(
            m.get(key)
                .and_then(Json::as_array)
                .map(|a| a.iter().map(|v| Value::string(chart::scalar_text(v))).collect())
                .unwrap_or_default(),
        )
    };
    let maintainers = m.get("maintainers").and_then(Json::as_array).map(|list| {
        list.iter()
            .map(|person| {
                let field = |key: &str| Value::string(person.get(key).map(chart::scalar_text).unwrap_or_default());
                Value::map(
                    [("Name", field("name")), ("Email", field("email")), ("URL", field("url"))]
                        .into_iter()
                        .map(|(k, v)| (k.to_string(), v))
                        .collect(),
                )
            })
            .collect()
    });
    // Go's nil map when Chart.yaml has none (`toJson` writes null).
    let annotations = match m.get("annotations").and_then(Json::as_object) {
        Some(map) => Value::map(map.iter().map(|(k, v)| (k.clone(), Value::string(chart::scalar_text(v)))).collect()),
        None => Value::Nil,
    };
    let dependencies = chart
        .dependencies_meta
        .iter()
        .map(|d| {
            let entries = [
                ("Name", Value::string(d.name.as_str())),
                ("Version", Value::string(d.version.as_str())),
                ("Repository", Value::string(d.repository.as_str())),
                ("Condition", Value::string(d.condition.as_str())),
                ("Tags", Value::list(d.tags.iter().map(|t| Value::string(t.as_str())).collect())),
                ("Enabled", Value::Bool(d.enabled)),
                ("ImportValues", Value::list(d.import_values.iter().map(Value::from_json).collect())),
                ("Alias", Value::string(d.alias.as_str())),
            ];
            Value::map(entries.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
        })
        .collect();
    let entries = [
        ("Name", text("name")),
        ("Home", text("home")),
        ("Sources", strings("sources")),
        ("Version", text("version")),
        ("Description", text("description")),
        ("Keywords", strings("keywords")),
        ("Maintainers", Value::list(maintainers.unwrap_or_default())),
        ("Icon", text("icon")),
        ("APIVersion", text("apiVersion")),
        ("Condition", text("condition")),
        ("Tags", text("tags")),
        ("AppVersion", text("appVersion")),
        ("Deprecated", Value::Bool(m.get("deprecated").and_then(Json::as_bool).unwrap_or(false))),
        ("Annotations", annotations),
        ("KubeVersion", text("kubeVersion")),
        ("Dependencies", Value::list(dependencies)),
        ("Type", text("type")),
    ];
    Value::map(entries.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

/// engine.go's `render`: every non-partial template executed with its chart's data, `<no
/// value>` removed; errors reported in helm's words. Under `deterministic`, each template (and
/// what it includes) draws chance from its own seeded stream: a template added elsewhere
/// changes nothing here.
fn execute_all(
    set: &TemplateSet,
    templates: &[Renderable],
    request: &Request,
) -> Result<BTreeMap<String, String>, NativeError> {
    let mut rendered = BTreeMap::new();
    let mut ordered: Vec<&Renderable> = templates.iter().collect();
    ordered.sort_by(|a, b| {
        let depth = |s: &str| s.matches('/').count();
        depth(&b.name).cmp(&depth(&a.name)).then_with(|| b.name.cmp(&a.name))
    });
    for template in ordered {
        if base_name(&template.name).starts_with('_') {
            continue;
        }
        let current = [("Name", template.name.as_str()), ("BasePath", template.base_path.as_str())]
            .into_iter()
            .map(|(k, v)| (k.to_string(), Value::string(v)))
            .collect();
        template.data.borrow_mut().insert("Template".into(), Value::map(current));
        let seed = || chance::seed(request.release, &template.name, request.values);
        let _seeded = request.deterministic.map(|_| chance::seeded(seed()));
        let _fixed = request.deterministic.map(clock::fixed_at);
        let text = set
            .execute(&template.name, &Value::Map(template.data.clone()))
            .map_err(|error| execution_failure(&template.name, &error.message))?;
        rendered.insert(template.name.clone(), text.replace("<no value>", ""));
    }
    Ok(rendered)
}

/// A template that stopped: `Unsupported` when `tpl` met a function that helm has and the
/// engine lacks (the text `tpl` parses is known only when it runs; its output is discarded),
/// else helm's failure.
fn execution_failure(file: &str, message: &str) -> NativeError {
    let lacking =
        message.split("function \"").skip(1).filter_map(|rest| rest.split_once("\" not defined")).map(|(name, _)| name);
    let helm_has: Vec<&str> = lacking.filter(|name| crate::gotemplate::sprig::UNSUPPORTED.contains(name)).collect();
    if let Some(name) = helm_has.first() {
        let file = file.split_once('/').map(|(_, rest)| rest).unwrap_or(file);
        return NativeError::Unsupported(vec![format!("function `{name}` (in a `tpl` text, {file})")]);
    }
    NativeError::Failed(exec_error(file, message))
}

/// engine.go's `reformatExecErrorMsg`: `required`/`fail` as `execution error at (LOCATION):
/// MESSAGE`; other errors of the template itself as helm's trace.
fn exec_error(file: &str, message: &str) -> String {
    let tokens: Vec<&str> = message.splitn(3, ": ").collect();
    if tokens.len() != 3 {
        return format!("execution error in ({file}): {message}");
    }
    if let (Some(start), Some(end)) = (tokens[2].find(funcs::WARN_START), tokens[2].rfind(funcs::WARN_END)) {
        if start + funcs::WARN_START.len() <= end {
            return format!("execution error at ({}): {}", tokens[1], &tokens[2][start + funcs::WARN_START.len()..end]);
        }
    }
    let Some(rest) = message.strip_prefix("template: ") else { return message.to_string() };
    let Some((location, after)) = rest.split_once(": executing \"") else { return message.to_string() };
    let Some((function, after)) = after.split_once("\" at <") else { return message.to_string() };
    let Some((at, error)) = after.split_once(">: ") else { return message.to_string() };
    if error.starts_with("error calling ") {
        return message.to_string();
    }
    let error = error.split(" template:").next().unwrap_or(error);
    format!("{location}\n  executing \"{function}\" at <{at}>:\n    {error}")
}

/// The chart's CRDs (crds/*.yaml|yml|json), its own then its subcharts', by full path.
fn crd_files(chart: &Chart, full_path: &str) -> Vec<(String, String)> {
    let mut crds: Vec<(String, String)> = chart
        .files
        .iter()
        .filter(|f| f.name.starts_with("crds/") && [".yaml", ".yml", ".json"].iter().any(|ext| f.name.ends_with(ext)))
        .map(|f| (format!("{full_path}/{}", f.name), String::from_utf8_lossy(&f.data).into_owned()))
        .collect();
    for sub in &chart.dependencies {
        crds.extend(crd_files(sub, &format!("{full_path}/charts/{}", sub.name())));
    }
    crds
}

#[cfg(test)]
mod tests {
    use super::{unless_panicking, NativeError};

    #[test]
    fn a_panic_of_the_engine_is_an_error_that_names_it_a_bug() {
        let failed = unless_panicking::<()>(|| panic!("index out of bounds"));
        let Err(NativeError::Failed(message)) = failed else { panic!("{failed:?}") };
        assert!(message.contains("a bug in hldc, not in the chart: index out of bounds"), "{message}");
        assert!(message.contains("`helm.engine: binary`"), "{message}");
        assert_eq!(unless_panicking(|| Ok::<_, NativeError>(1)), Ok(1));
    }
}
