use std::collections::BTreeMap;

use super::*;
use crate::gotemplate::Functions;

fn values(yaml: &str) -> Value {
    let parsed: serde_yaml::Value = serde_yaml::from_str(yaml).expect("test YAML");
    let mut top = BTreeMap::new();
    top.insert("Values".to_string(), Value::from_yaml(&parsed));
    Value::map(top)
}

fn render(template: &str, yaml: &str) -> Result<String, String> {
    let mut set = TemplateSet::new(Functions::new());
    set.parse("t", template).map_err(|error| error.message)?;
    set.execute("t", &values(yaml)).map_err(|error| error.message)
}

/// `check(template, values, expected)`: renders, or fails with Go's message.
fn check(template: &str, yaml: &str, expected: &str) {
    let got = match render(template, yaml) {
        Ok(text) => text,
        Err(message) => format!("ERROR {message}"),
    };
    assert_eq!(got, expected, "template {template:?}");
}

#[test]
fn prints_values_as_go() {
    check("{{ .Values.big }}|{{ .Values.m }}|{{ .Values.l }}|{{ .Values.missing }}", "big: 1000000\nm: {b: 2, a: 1}\nl: [a, null]", "1e+06|map[a:1 b:2]|[a <nil>]|<no value>");
}
