//! Stable output for charts that make values up (`randAlphaNum`, `uuidv4`, `genCA`, `now`): when
//! a helm component's inputs are those its written objects were made from, but helm printed
//! something else, the written objects stay, so a generated password changes when its chart or
//! config does, not on every CD run.
//!
//! The trace record keeps, per helm component, `render.inputs` (the render cache's key with the
//! config the transforms read and hldc's version) and `render.output` (a digest of helm's
//! output). Helm's output itself is not kept anywhere the next run is sure to find (a CI runner
//! starts with an empty render cache), and the written objects cannot be rendered again, so what
//! is kept is the written objects, whole: same inputs means the same transforms would have made
//! them from the earlier render. They replace the fresh ones after the transforms, before the
//! checks and the stamps, unstamped: stamping finds them unchanged and keeps their stamps, so
//! the file is written byte for byte as it was. `generate` and `diff` both run this (through
//! `compile::compile_targets`), so `diff` shows what `generate` writes.

use std::collections::BTreeMap;
use std::path::Path;

use serde_yaml::Value;

use crate::diag::Problem;
use crate::model::environments::Environments;
use crate::model::record::{self, Record};
use crate::model::rendered::{Object, Rendered};
use crate::previous;
use crate::trace::stamp;

use super::determinism;

/// Replaces the objects of each helm component whose inputs match the previous output's record
/// but whose render does not with the objects written for `target` under `out_root`; one
/// warning per component kept. Anything unreadable (no record yet, a record from before hldc
/// kept render digests, a missing file, other identities) leaves the fresh render in place:
/// the trace stamps report an unreadable previous output.
pub fn keep_previous(components: &mut [Rendered], target: &Environments, out_root: &Path) -> Vec<Problem> {
    let record_path = record::path(out_root, &target.environment_dir(), target.cluster());
    let Ok(Some(record)) = previous::read_record(&record_path) else {
        return Vec::new();
    };
    let output = target.output_dir();
    let directory = out_root.join("generated").join(&output);
    components
        .iter_mut()
        .filter_map(|component| keep_one(component, &record, &directory, &format!("generated/{output}")))
        .collect()
}

fn keep_one(component: &mut Rendered, record: &Record, directory: &Path, display: &str) -> Option<Problem> {
    let rendering = component.rendering.as_mut()?;
    let earlier = record.component(&component.component, component.origin.ring.as_deref())?.render.as_ref()?;
    if earlier.inputs != rendering.digests.inputs || earlier.output == rendering.digests.output {
        return None;
    }
    let mut documents = previous::documents_in(directory, display, &component.file).ok()??;
    for document in &mut documents {
        document.value = stamp::unstamped(&document.value);
    }
    let by_id = |values: Vec<&Value>| -> BTreeMap<String, Value> {
        values.into_iter().map(|value| (crate::model::ObjectId::of(value).to_string(), value.clone())).collect()
    };
    let written = by_id(documents.iter().map(|document| &document.value).collect());
    let fresh = by_id(component.objects.iter().map(Object::value).collect());
    // Other objects (a name made up per render) are not the same objects: the fresh render goes out.
    if written.len() != documents.len() || written.keys().ne(fresh.keys()) {
        return None;
    }
    // Only the text differs (a comment): the fresh render writes the same objects.
    let differences = determinism::between(&written, &fresh, ["in the written output", "in the fresh render"]);
    if differences.is_empty() {
        return None;
    }
    component.objects = documents.into_iter().map(|document| Object { document, from_helm: true }).collect();
    rendering.digests.output = earlier.output.clone();
    Some(
        Problem::warning(
            "hldc::render::nondeterministic",
            format!(
                "component `{}` (chart `{}`) renders differently from the same chart, values and settings as when `{display}/{}` was written ({}): its objects there are kept",
                component.component, rendering.chart, component.file, differences.join(", ")
            ),
        )
        .at(rendering.defined_at.clone())
        .label("same inputs, another render")
        .help("the chart makes a value up on every render (`randAlphaNum`, `uuidv4`, `genCA`, `now`); the written objects stay until the chart, this component's config, helm or hldc change, and then the new render is written, with a new value (a new password for a database that keeps the old one). To choose the value yourself, set it in the component's config"),
    )
}
