//! Where a rendered component comes from: its ring, trace block, pinned sources and defining
//! file, as the stamps, the trace record and its output file's header name them.

use crate::fetch::{redact_url, SourceSpec};
use crate::model::plan::Planned;
use crate::model::record::{Source, SourceKind, TraceBlock};
use crate::model::rendered::Origin;
use crate::sources::Sources;

/// The origin of one planned component, its sources pinned as fetched so far.
pub fn of(planned: &Planned, sources: &Sources) -> Origin {
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
    Origin {
        ring: planned.ring.as_ref().map(|ring| ring.name.clone()),
        component_type: node.component_type().name().to_string(),
        defined_in: definition.document.file.name().to_string(),
        trace: TraceBlock {
            source_repo: planned.config.trace.source_repo.as_deref().map(redact_url),
            ..planned.config.trace.clone()
        },
        sources: fetched.into_iter().chain([own]).collect(),
    }
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
