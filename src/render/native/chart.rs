//! Loading a chart as helm's loader does (pkg/chart/v2/loader): a directory (with its
//! `.helmignore`) or a `.tgz`, `Chart.yaml` (apiVersion v1 reads `requirements.yaml`),
//! `values.yaml`, `values.schema.json`, `templates/`, and subcharts under `charts/`, recursively.
//! Everything in a chart is untrusted: no path leaves it, sizes and depth are bounded.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use serde_json::Value as Json;

use super::glob::{go_path_match, Pattern};
use super::yaml_in;
use super::NativeError;

/// Helm's own bound on one file of a chart (archive.MaxDecompressedFileSize).
const MAX_FILE: u64 = 100 * 1024 * 1024;
/// The most bytes a chart and its subcharts may hold in all.
const MAX_TOTAL: u64 = 400 * 1024 * 1024;
/// How deep subcharts may nest.
const MAX_DEPTH: usize = 16;

/// One file of a chart: its path inside the chart (slashes) and its bytes.
#[derive(Clone, Debug)]
pub struct File {
    pub name: String,
    pub data: Vec<u8>,
}

/// A dependency as `Chart.yaml` (or `requirements.yaml`) declares it.
#[derive(Clone, Debug, Default)]
pub struct Dependency {
    pub name: String,
    pub version: String,
    pub repository: String,
    pub condition: String,
    pub tags: Vec<String>,
    pub enabled: bool,
    pub import_values: Vec<Json>,
    pub alias: String,
}

/// A loaded chart: `metadata` is Chart.yaml as JSON (helm's Metadata fields), the rest as
/// helm's `chart.Chart` holds them.
#[derive(Clone, Debug)]
pub struct Chart {
    pub metadata: Json,
    pub dependencies_meta: Vec<Dependency>,
    pub values: serde_json::Map<String, Json>,
    pub schema: Option<Vec<u8>>,
    pub templates: Vec<File>,
    /// Every other file (what `.Files` sees), `crds/` included.
    pub files: Vec<File>,
    pub dependencies: Vec<Chart>,
}

impl Chart {
    pub fn name(&self) -> &str {
        self.metadata.get("name").and_then(Json::as_str).unwrap_or("")
    }

    pub fn version(&self) -> &str {
        self.metadata.get("version").and_then(Json::as_str).unwrap_or("")
    }

    pub fn is_library(&self) -> bool {
        self.metadata.get("type").and_then(Json::as_str).is_some_and(|t| t.eq_ignore_ascii_case("library"))
    }

    pub fn set_name(&mut self, name: &str) {
        if let Json::Object(map) = &mut self.metadata {
            map.insert("name".into(), Json::String(name.into()));
        }
    }
}

/// Reads the chart at `path`: a directory or a `.tgz`.
pub fn load(path: &Path) -> Result<Chart, NativeError> {
    let mut budget = MAX_TOTAL;
    let files = if path.is_dir() {
        read_directory(path, &mut budget)?
    } else {
        let data = std::fs::read(path).map_err(|e| failed(format!("{}: {e}", path.display())))?;
        read_archive(&data, &mut budget)?
    };
    load_files(files, 0, &mut budget)
}

fn failed(message: String) -> NativeError {
    NativeError::Failed(message)
}

fn read_directory(top: &Path, budget: &mut u64) -> Result<Vec<File>, NativeError> {
    let mut rules = match std::fs::read_to_string(top.join(".helmignore")) {
        Ok(text) => Rules::parse(&text),
        Err(_) => Rules::default(),
    };
    rules.add("templates/.?*");
    let mut files = Vec::new();
    let mut walker = walkdir::WalkDir::new(top).follow_links(false).sort_by_file_name().into_iter();
    while let Some(entry) = walker.next() {
        let entry = entry.map_err(|e| failed(format!("reading the chart: {e}")))?;
        let Ok(relative) = entry.path().strip_prefix(top) else { continue };
        let name = relative.to_string_lossy().replace('\\', "/");
        if name.is_empty() {
            continue;
        }
        let is_dir = entry.file_type().is_dir();
        if rules.ignores(&name, is_dir) {
            if is_dir {
                walker.skip_current_dir();
            }
            continue;
        }
        if is_dir {
            continue;
        }
        if !entry.file_type().is_file() {
            return Err(failed(format!(
                "cannot load irregular file {} as it has file mode type bits set",
                entry.path().display()
            )));
        }
        let size = entry.metadata().map(|m| m.len()).unwrap_or(0);
        take(budget, size, &name)?;
        let data = std::fs::read(entry.path()).map_err(|e| failed(format!("error reading {name}: {e}")))?;
        files.push(File { name, data: strip_bom(data) });
    }
    Ok(files)
}

fn take(budget: &mut u64, size: u64, name: &str) -> Result<(), NativeError> {
    if size > MAX_FILE || size > *budget {
        return Err(failed(format!("chart file {name:?} is larger than the maximum file size {MAX_FILE}")));
    }
    *budget -= size;
    Ok(())
}

fn strip_bom(data: Vec<u8>) -> Vec<u8> {
    match data.strip_prefix(b"\xEF\xBB\xBF") {
        Some(rest) => rest.to_vec(),
        None => data,
    }
}

/// A chart archive's files, the top directory (the chart's name) taken off each path.
fn read_archive(data: &[u8], budget: &mut u64) -> Result<Vec<File>, NativeError> {
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(data));
    let mut files: Vec<File> = Vec::new();
    let entries = archive.entries().map_err(|e| failed(format!("reading a chart archive: {e}")))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| failed(format!("reading a chart archive: {e}")))?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let raw = entry
            .path()
            .map_err(|e| failed(format!("a chart archive entry: {e}")))?
            .to_string_lossy()
            .replace('\\', "/");
        let parts: Vec<&str> = raw.split('/').collect();
        if raw.starts_with('/') || parts.contains(&"..") {
            return Err(failed(format!("chart illegally contains content outside the base directory: {raw:?}")));
        }
        let Some((_, rest)) = raw.split_once('/') else { continue };
        let name = rest.trim_start_matches("./").to_string();
        if name.is_empty() {
            continue;
        }
        take(budget, entry.size(), &name)?;
        let mut bytes = Vec::new();
        entry
            .by_ref()
            .take(MAX_FILE)
            .read_to_end(&mut bytes)
            .map_err(|e| failed(format!("reading {name} in a chart archive: {e}")))?;
        let bytes = strip_bom(bytes);
        match files.iter_mut().find(|f| f.name == name) {
            Some(existing) => existing.data = bytes,
            None => files.push(File { name, data: bytes }),
        }
    }
    if files.is_empty() {
        return Err(failed("no files in chart archive".into()));
    }
    Ok(files)
}

/// helm's LoadFiles: sorts the files into the chart's parts, and loads subcharts.
fn load_files(files: Vec<File>, depth: usize, budget: &mut u64) -> Result<Chart, NativeError> {
    if depth > MAX_DEPTH {
        return Err(failed("subcharts nest too deep".into()));
    }
    let mut metadata: Option<Json> = None;
    if let Some(file) = files.iter().find(|f| f.name == "Chart.yaml") {
        let mut json = yaml_in::parse_json(&String::from_utf8_lossy(&file.data))
            .map_err(|e| failed(format!("cannot load Chart.yaml: {e}")))?;
        if !json.is_object() {
            json = Json::Object(Default::default());
        }
        for key in [
            "name",
            "home",
            "version",
            "description",
            "icon",
            "apiVersion",
            "condition",
            "tags",
            "appVersion",
            "kubeVersion",
            "type",
        ] {
            if let Some(value) = json.get(key).filter(|v| v.is_number() || v.is_boolean()) {
                json[key] = Json::String(scalar_text(value));
            }
        }
        if json.get("apiVersion").and_then(Json::as_str).unwrap_or("").is_empty() {
            json["apiVersion"] = Json::String("v1".into());
        }
        metadata = Some(json);
    }
    let mut chart = Chart {
        metadata: Json::Null,
        dependencies_meta: Vec::new(),
        values: Default::default(),
        schema: None,
        templates: Vec::new(),
        files: Vec::new(),
        dependencies: Vec::new(),
    };
    let mut subcharts: BTreeMap<String, Vec<File>> = BTreeMap::new();
    let api_v1 = metadata.as_ref().and_then(|m| m.get("apiVersion")).and_then(Json::as_str) == Some("v1");
    for file in files {
        match file.name.as_str() {
            "Chart.yaml" | "Chart.lock" | "requirements.lock" => {
                if file.name == "requirements.lock" && api_v1 {
                    chart.files.push(file);
                }
            }
            "values.yaml" => {
                let text = String::from_utf8_lossy(&file.data);
                chart.values = match yaml_in::parse_json(&text).map_err(|e| failed(format!("cannot load values.yaml: {e}")))? {
                    Json::Object(map) => map,
                    Json::Null => Default::default(),
                    _ => return Err(failed("cannot load values.yaml: error unmarshaling JSON: json: cannot unmarshal into Go value of type map[string]interface {}".into())),
                };
            }
            "values.schema.json" => chart.schema = Some(file.data),
            "requirements.yaml" => {
                let text = String::from_utf8_lossy(&file.data);
                let requirements =
                    yaml_in::parse_json(&text).map_err(|e| failed(format!("cannot load requirements.yaml: {e}")))?;
                let meta = metadata.get_or_insert_with(|| Json::Object(Default::default()));
                if let Some(dependencies) = requirements.get("dependencies") {
                    meta["dependencies"] = dependencies.clone();
                }
                if api_v1 {
                    chart.files.push(file);
                }
            }
            name if name.starts_with("templates/") => chart.templates.push(file),
            name if name.starts_with("charts/") && !name.ends_with(".prov") => {
                let rest = &name["charts/".len()..];
                let sub = rest.split('/').next().unwrap_or("").to_string();
                let inner = rest.split_once('/').map(|(_, r)| r.to_string()).unwrap_or_default();
                subcharts.entry(sub).or_default().push(File { name: inner, data: file.data });
            }
            _ => chart.files.push(file),
        }
    }
    let Some(metadata) = metadata else {
        return Err(failed("Chart.yaml file is missing".into()));
    };
    validate_metadata(&metadata)?;
    chart.dependencies_meta = dependencies_of(&metadata);
    chart.metadata = metadata;
    for (name, files) in subcharts {
        if name.starts_with('_') || name.starts_with('.') {
            continue;
        }
        let sub = if name.ends_with(".tgz") {
            let Some(file) = files.into_iter().find(|f| f.name.is_empty()) else { continue };
            let inner = read_archive(&file.data, budget)?;
            load_files(inner, depth + 1, budget)
        } else {
            let files: Vec<File> = files.into_iter().filter(|f| !f.name.is_empty()).collect();
            load_files(files, depth + 1, budget)
        };
        let sub = sub.map_err(|e| match e {
            NativeError::Failed(m) => failed(format!("error unpacking subchart {name} in {}: {m}", chart.name())),
            other => other,
        })?;
        chart.dependencies.push(sub);
    }
    Ok(chart)
}

fn validate_metadata(metadata: &Json) -> Result<(), NativeError> {
    let text = |key: &str| metadata.get(key).map(scalar_text).unwrap_or_default();
    if text("name").is_empty() {
        return Err(failed("validation: chart.metadata.name is required".into()));
    }
    if text("version").is_empty() {
        return Err(failed("validation: chart.metadata.version is required".into()));
    }
    if text("name").contains('/') || text("name").contains("..") {
        return Err(failed(format!("chart.metadata.name {:?} is invalid", text("name"))));
    }
    Ok(())
}

fn dependencies_of(metadata: &Json) -> Vec<Dependency> {
    let Some(list) = metadata.get("dependencies").and_then(Json::as_array) else { return Vec::new() };
    list.iter()
        .filter(|d| d.is_object())
        .map(|d| {
            let text = |key: &str| d.get(key).map(scalar_text).unwrap_or_default();
            Dependency {
                name: text("name"),
                version: text("version"),
                repository: text("repository"),
                condition: text("condition"),
                tags: d
                    .get("tags")
                    .and_then(Json::as_array)
                    .map(|t| t.iter().map(scalar_text).collect())
                    .unwrap_or_default(),
                enabled: d.get("enabled").and_then(Json::as_bool).unwrap_or(false),
                import_values: d.get("import-values").and_then(Json::as_array).cloned().unwrap_or_default(),
                alias: text("alias"),
            }
        })
        .collect()
}

/// A Chart.yaml scalar as helm reads it into a string field (sigs.k8s.io/yaml converts
/// numbers with float32 precision: `appVersion: 1.10` is "1.1").
pub fn scalar_text(value: &Json) -> String {
    match value {
        Json::String(s) => s.clone(),
        Json::Null => String::new(),
        Json::Number(n) => match n.as_i64() {
            Some(i) => i.to_string(),
            None => format!("{}", n.as_f64().unwrap_or(0.0) as f32),
        },
        other => other.to_string(),
    }
}

/// `.helmignore` rules (pkg/ignore): Go's `filepath.Match` patterns, `!` negates, a trailing
/// `/` matches directories only, a leading `/` anchors; patterns without `/` match the base name.
#[derive(Default)]
struct Rules {
    patterns: Vec<Rule>,
}

struct Rule {
    pattern: Pattern,
    negate: bool,
    directory_only: bool,
    whole_path: bool,
}

impl Rules {
    fn parse(text: &str) -> Rules {
        let mut rules = Rules::default();
        for line in text.lines() {
            rules.add(line);
        }
        rules
    }

    fn add(&mut self, rule: &str) {
        let mut rule = rule.trim();
        if rule.is_empty() || rule.starts_with('#') || rule.contains("**") {
            return;
        }
        let negate = rule.starts_with('!');
        if negate {
            rule = &rule[1..];
        }
        let directory_only = rule.ends_with('/');
        rule = rule.trim_end_matches('/');
        let anchored = rule.starts_with('/');
        rule = rule.trim_start_matches('/');
        let whole_path = anchored || rule.contains('/');
        self.patterns.push(Rule { pattern: Pattern::new(rule), negate, directory_only, whole_path });
    }

    fn ignores(&self, path: &str, is_dir: bool) -> bool {
        for rule in &self.patterns {
            let subject = if rule.whole_path { path } else { path.rsplit('/').next().unwrap_or(path) };
            let matched = go_path_match(&rule.pattern, subject);
            if rule.negate {
                if (rule.directory_only && !is_dir) || !matched {
                    return true;
                }
                continue;
            }
            if rule.directory_only && !is_dir {
                continue;
            }
            if matched {
                return true;
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::{read_archive, NativeError};

    /// A gzipped tar whose one entry has the raw name `name` (tar::Builder refuses `..`).
    fn archive_with(name: &str) -> Vec<u8> {
        let mut header = tar::Header::new_old();
        header.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
        header.set_size(2);
        header.set_entry_type(tar::EntryType::Regular);
        header.set_cksum();
        let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast()));
        builder.append(&header, &b"x\n"[..]).unwrap();
        builder.into_inner().unwrap().finish().unwrap()
    }

    #[test]
    fn native_archives_cannot_reach_outside_the_chart() {
        for name in ["chart/../../etc/passwd", "/etc/passwd"] {
            let error = read_archive(&archive_with(name), &mut { u64::MAX }).unwrap_err();
            assert!(
                matches!(&error, NativeError::Failed(m) if m.contains("outside the base directory")),
                "{name}: {error:?}"
            );
        }
        let files = read_archive(&archive_with("chart/templates/a.yaml"), &mut { u64::MAX }).unwrap();
        assert_eq!(files[0].name, "templates/a.yaml");
    }
}
