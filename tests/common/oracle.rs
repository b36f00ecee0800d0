//! Real helm as the oracle of the native engine's functions: expressions rendered into one
//! ConfigMap by both, compared case by case.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use base64::Engine as _;
use hldc::gotemplate::{sprig, TemplateSet, Value};

/// A chart of one template and its values.
pub fn write_chart(dir: &Path, values: &str, template: &str) {
    std::fs::create_dir_all(dir.join("templates")).unwrap();
    std::fs::write(dir.join("Chart.yaml"), "apiVersion: v2\nname: oracle\nversion: 0.1.0\n").unwrap();
    std::fs::write(dir.join("values.yaml"), values).unwrap();
    std::fs::write(dir.join("templates/cases.yaml"), template).unwrap();
}

/// `helm template rel DIR` with an empty environment and home, as hldc runs helm (so `Local`
/// is /etc/localtime): stdout, or stderr when it failed.
pub fn helm_template(dir: &Path) -> Result<String, String> {
    let home = tempfile::tempdir().unwrap();
    let output = Command::new(super::helm())
        .args(["template", "rel"])
        .arg(dir)
        .env_clear()
        .env("HOME", home.path())
        .output()
        .expect("helm runs");
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).into_owned())
    }
}

/// The template executed by the native executor with Sprig's functions and `.Values` only.
pub fn sprig_execute(values: &str, template: &str) -> Result<String, String> {
    let yaml: serde_yaml::Value = serde_yaml::from_str(values).unwrap();
    let data = Value::map([("Values".to_string(), Value::from_yaml(&yaml))].into_iter().collect());
    let mut set = TemplateSet::new(sprig::functions());
    set.parse("cases", template).map_err(|error| error.message)?;
    set.execute("cases", &data).map_err(|error| error.message)
}

/// The ConfigMap both render: key `cN` holds expression N's text, base64-encoded.
pub fn cases_template(cases: &[impl AsRef<str>]) -> String {
    let mut template = String::from("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: oracle\ndata:\n");
    for (index, expression) in cases.iter().enumerate() {
        writeln!(template, "  c{index}: {{{{ ({}) | toString | b64enc | quote }}}}", expression.as_ref()).unwrap();
    }
    template
}

/// Asserts that the two renders of `cases_template(cases)` give every case the same text.
pub fn assert_cases_agree(cases: &[impl AsRef<str>], helm: &str, native: &str) {
    let (helm, native) = (results(helm), results(native));
    assert_eq!(helm.len(), cases.len(), "helm rendered every case");
    let mut differences = Vec::new();
    for ((index, expected), (_, actual)) in helm.iter().zip(native.iter()) {
        if expected != actual {
            differences.push(format!("{}\n  helm:   {expected:?}\n  native: {actual:?}", cases[*index].as_ref()));
        }
    }
    assert!(differences.is_empty(), "{} of {} differ:\n{}", differences.len(), cases.len(), differences.join("\n"));
}

/// Expression number → its decoded text, from a rendered ConfigMap.
fn results(rendered: &str) -> Vec<(usize, String)> {
    rendered
        .lines()
        .filter_map(|line| {
            let (key, value) = line.trim().split_once(": ")?;
            let index = key.strip_prefix('c')?.parse().ok()?;
            let bytes = base64::engine::general_purpose::STANDARD.decode(value.trim_matches('"')).ok()?;
            Some((index, String::from_utf8_lossy(&bytes).into_owned()))
        })
        .collect()
}

/// What is wrong when `expression` must fail in both (with helm's message where
/// `same_message`), or `None`.
pub fn unlike_failure(
    expression: &str,
    same_message: bool,
    helm: Result<String, String>,
    native: Result<String, String>,
) -> Option<String> {
    match (helm, native) {
        (Err(helm), Err(native)) => {
            let message = helm.split_once("error calling ").map(|(_, rest)| rest.lines().next().unwrap_or_default());
            (same_message && !message.is_some_and(|message| native.contains(message)))
                .then(|| format!("{expression}: messages differ\n  helm:   {helm:?}\n  native: {native:?}"))
        }
        (helm, native) => Some(format!("{expression}\n  helm:   {helm:?}\n  native: {native:?}")),
    }
}
