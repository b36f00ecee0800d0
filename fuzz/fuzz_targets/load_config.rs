//! Parsing, schema-checking and merging a config file, as the loader and resolver do, on
//! arbitrary bytes. Nothing may panic, and the merge must follow the layering rules.
#![no_main]

use hldc::diag::SourceFile;
use hldc::layer::merge;
use hldc::schema::{check, Schema};
use hldc::yaml::parse_one;
use libfuzzer_sys::fuzz_target;

#[path = "../../src/layer/reference.rs"]
mod reference;

fuzz_target!(|data: &[u8]| {
    // The loader refuses non-UTF-8 before parsing; the fuzzer explores the text that gets there.
    let Ok(text) = std::str::from_utf8(data) else { return };
    let file = SourceFile::new("config/common.yaml", text);
    let Ok(document) = parse_one(&file) else { return };
    let problems = check(&document, Schema::Config);
    for problem in &problems {
        // Every problem can be shown with its position, as `validate` does.
        let _ = problem.where_();
        let _ = hldc::diag::render(problem, false);
    }
    let base: serde_yaml::Value =
        serde_yaml::from_str("namespace: base\nconfig: {image: {tag: '1'}, env: [a]}\nsubcomponents: {web: {}}\n")
            .unwrap_or_default();
    let value = &document.value;
    // The input as either layer over a config-shaped base, and over itself: every leaf of the
    // result is where the layering rules put it, and nothing else is there.
    for (high, low) in [(value, &base), (&base, value), (value, value)] {
        let merged = merge(high, low);
        assert_eq!(reference::flatten(&merged), reference::expected(&[high, low]), "{high:?} over {low:?}");
    }
    assert_eq!(merge(value, value), *value);
    let _ = hldc::model::ComponentConfig::from_merged(&merge(value, &base));
    if problems.is_empty() {
        // A schema-valid layer projects onto its children as the resolver does.
        let layer = hldc::layer::Layer::whole(std::sync::Arc::new(document.clone()));
        for name in value.get("subcomponents").and_then(|s| s.as_mapping()).into_iter().flatten().filter_map(|(k, _)| k.as_str()) {
            let _ = layer.for_subcomponent(name);
        }
    }
});
