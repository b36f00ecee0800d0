//! Where a rendered component comes from: its ring, trace block, pinned sources and defining
//! file, as the stamps, the trace record and its output file's header name them.

use serde_yaml::Value;

use crate::diag::Problem;
use crate::fetch::{redact_url, SourceSpec};
use crate::layer::Layer;
use crate::model::plan::Planned;
use crate::model::record::{Source, SourceKind, TraceBlock};
use crate::model::rendered::Origin;
use crate::sources::Sources;
use crate::yaml::{display_path, Segment};

/// The origin of one planned component, its sources pinned as fetched so far; with the warning
/// when its trace block names a build this copy does not run (`overridden_trace`), whose source
/// stamps are then left out.
pub fn of(planned: &Planned, sources: &Sources) -> (Origin, Option<Problem>) {
    let node = planned.node;
    let definition = &node.definition;
    let own = match sources.remote_spec(definition, &node.dir) {
        Some(spec) => source_of(&spec, sources),
        None => Source {
            kind: SourceKind::Local,
            url: definition.spec.path.clone().or_else(|| definition.spec.source.clone()).unwrap_or_else(|| ".".into()),
            commit: None,
            chart_version: None,
            digest: None,
        },
    };
    // A component loaded from a fetched directory comes from that repository too.
    let fetched = node.fetched_from.as_ref().map(|spec| source_of(spec, sources));
    let overridden = overridden_trace(planned);
    let trace = match overridden {
        Some(_) => TraceBlock::default(),
        None => TraceBlock {
            source_repo: planned.config.trace.source_repo.as_deref().map(redact_url),
            ..planned.config.trace.clone()
        },
    };
    let origin = Origin {
        ring: planned.ring.as_ref().map(|ring| ring.name.clone()),
        component_type: node.component_type().name().to_string(),
        defined_in: definition.document.file.name().to_string(),
        trace,
        sources: fetched.into_iter().chain([own]).collect(),
    };
    (origin, overridden)
}

/// A trace block names the build CI set the component's image from (`hldc set image.tag=…
/// --trace sourceCommit=…` in one file). A higher config layer that sets an image tag of its own
/// (a cluster pinned to an older release) runs another build: stamping the block's source on
/// that copy would send whoever traces a pod there to the wrong commit. Ring layers are not
/// counted: a ring's tag is the ring's own (the trace block has no ring of its own to say so).
fn overridden_trace(planned: &Planned) -> Option<Problem> {
    let has_trace = |layer: &Layer| layer.value.get("trace").is_some_and(|trace| !trace.is_null());
    let traced = planned.layers.iter().position(has_trace)?;
    let (layer, at) = planned.layers[..traced].iter().filter(|layer| !is_ring_layer(layer)).find_map(|layer| {
        Some((layer, image_tag_in(layer.value.get("config")?, vec![Segment::Key("config".into())])?))
    })?;
    let traced_in = planned.layers[traced].document.file.name();
    let set_in = layer.document.file.name();
    let mut full = layer.prefix.clone();
    full.extend(at.iter().cloned());
    Some(
        Problem::warning(
            "hldc::trace::overridden",
            format!(
                "`{}` in `{set_in}` overrides the image of the trace block in `{traced_in}` for `{}`: the build that block names is not what runs here, so its source stamps are left out",
                display_path(&at),
                planned.label()
            ),
        )
        .at(layer.document.key_location(&full))
        .label("another image than the trace block's")
        .help(format!(
            "set the trace where the image is set (`hldc set` with the `--env` of `{set_in}` and `--trace`), or remove the tag here to run the traced build"
        )),
    )
}

/// A ring's block (`…rings.<ring>`, projected by `ring::stack`) rather than a config file's.
fn is_ring_layer(layer: &Layer) -> bool {
    matches!(layer.prefix.iter().rev().nth(1), Some(Segment::Key(key)) if key == "rings")
}

/// The path of the first image tag under `value` (`tag`, a key ending in `Tag`, or an `image`
/// given as one string).
fn image_tag_in(value: &Value, at: Vec<Segment>) -> Option<Vec<Segment>> {
    let Value::Mapping(entries) = value else { return None };
    entries.iter().find_map(|(key, value)| {
        let key = key.as_str()?;
        let mut path = at.clone();
        path.push(Segment::Key(key.to_string()));
        let is_tag = crate::model::names_an_image_tag(key) || key == "image" && value.is_string();
        match value {
            Value::Mapping(_) => image_tag_in(value, path),
            Value::Null => None,
            _ if is_tag => Some(path),
            _ => None,
        }
    })
}

fn source_of(spec: &SourceSpec, sources: &Sources) -> Source {
    let pin = sources.pinned(spec).unwrap_or_default();
    let (kind, url) = match spec {
        SourceSpec::Git { url, .. } => (SourceKind::Git, url.as_str()),
        SourceSpec::HelmRepo { repository, .. } => (SourceKind::Helm, repository.as_str()),
        SourceSpec::Oci { reference, .. } => (SourceKind::Oci, reference.as_str()),
        SourceSpec::Http { url } => (SourceKind::Http, url.as_str()),
    };
    Source { kind, url: redact_url(url), commit: pin.commit, chart_version: pin.version, digest: pin.digest }
}
