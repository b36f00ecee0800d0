//! Routing between rings: for each ringed component whose output has a Service, one route that
//! sends requests carrying `<header>: <ring>` to that ring's Service and every other request to
//! the default ring's: a Gateway API `HTTPRoute`, a Traefik `IngressRoute` or an Istio
//! `VirtualService`, per `rings.routing` in hldc.yaml. The checks validate each against its
//! project's upstream CRD schema, shipped in `schemas/crds/` (`check::crd::shipped_crds`). Pure.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::json;
use serde_yaml::Value;

use crate::check::scope::{Scope, ScopeRule};
use crate::diag::{Problem, SourceFile};
use crate::layer::merge_stack;
use crate::model::plan::Planned;
use crate::model::rendered::{Object, Rendered};
use crate::yaml::parse_one;

/// `rings:` of hldc.yaml. Its other keys name rings (`own`); the schema refuses anything else,
/// as serde cannot deny unknown fields beside a flattened map.
#[derive(Debug, Clone, Deserialize)]
pub struct RingSettings {
    /// The request header whose value names a ring.
    #[serde(default = "default_header")]
    pub header: String,
    #[serde(default)]
    pub routing: Routing,
    /// The Gateway the routes attach to (Gateway API, Istio).
    pub gateway: Option<GatewayRef>,
    #[serde(default)]
    pub traefik: TraefikSettings,
    /// Each ring's own settings, `rings.<ring>`, by the ring's name.
    #[serde(flatten)]
    pub own: BTreeMap<String, RingOwn>,
}

impl Default for RingSettings {
    fn default() -> RingSettings {
        RingSettings {
            header: default_header(),
            routing: Routing::default(),
            gateway: None,
            traefik: TraefikSettings::default(),
            own: BTreeMap::new(),
        }
    }
}

/// `rings.<ring>` of hldc.yaml: what belongs to the ring itself, whatever component it is a ring of.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RingOwn {
    /// The config keys (dotted, relative to `config`) the ring keeps when `hldc promote` moves
    /// values from or to it: what sizes it, not what makes it a release. `DEFAULT_KEEP` when absent.
    pub keep: Option<Vec<String>>,
}

/// What every ring keeps unless hldc.yaml says otherwise: its size.
pub const DEFAULT_KEEP: [&str; 3] = ["replicaCount", "autoscaling", "resources"];

impl RingSettings {
    /// The config keys `ring` keeps as its own, as written (`DEFAULT_KEEP` unless hldc.yaml lists them).
    pub fn keeps(&self, ring: &str) -> Vec<String> {
        match self.own.get(ring).and_then(|own| own.keep.as_ref()) {
            Some(keys) => keys.clone(),
            None => DEFAULT_KEEP.iter().map(|key| key.to_string()).collect(),
        }
    }
}

fn default_header() -> String {
    "x-ring".to_string()
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Routing {
    #[default]
    GatewayApi,
    Traefik,
    Istio,
    None,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GatewayRef {
    pub name: String,
    pub namespace: Option<String>,
}

/// `rings.traefik`: which rule syntax the Traefik in the cluster reads.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TraefikSettings {
    #[serde(default)]
    pub rule_syntax: RuleSyntax,
}

/// Traefik v3 matches one header with `Header()`; v2 called it `Headers()`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleSyntax {
    V2,
    #[default]
    V3,
}

/// The route kinds are namespaced; hldc writes them, so it knows without a CRD in the output.
pub fn scope_rules() -> Vec<ScopeRule> {
    [
        ("gateway.networking.k8s.io", "HTTPRoute"),
        ("traefik.io", "IngressRoute"),
        ("networking.istio.io", "VirtualService"),
    ]
    .into_iter()
    .map(|(group, kind)| ScopeRule { group: group.into(), kind: kind.into(), scope: Scope::Namespaced })
    .collect()
}

/// One backend of a route: a ring's Service and its first port.
#[derive(Debug, Clone)]
struct Backend {
    service: String,
    port: u64,
    /// The Service's namespace as written (after patches and namespace injection): the route
    /// lives beside it.
    namespace: Option<String>,
}

/// What every kind of route says: where it listens, and which Service serves each ring.
#[derive(Debug)]
struct Routes<'s> {
    name: String,
    hostnames: Vec<String>,
    path: String,
    /// The non-default rings, by name, and their Services.
    rings: Vec<(String, Backend)>,
    default: Backend,
    settings: &'s RingSettings,
}

/// The routes of the ringed components among `planned`, each as a component output of its own
/// (`<name>-rings.yaml` beside the default ring's file), and a warning for each ring that has no
/// Service to route to.
pub fn routes(
    planned: &[Planned],
    rendered: &[Rendered],
    settings: &RingSettings,
) -> Result<(Vec<Rendered>, Vec<Problem>), Problem> {
    let mut routes = Vec::new();
    let mut warnings = Vec::new();
    if settings.routing == Routing::None {
        return Ok((routes, warnings));
    }
    for default in planned.iter().filter(|p| p.ring.as_ref().is_some_and(|r| r.default)) {
        let Some(default_backend) = backend(default, rendered) else {
            warnings.push(no_service(default, "no route between its rings is written"));
            continue;
        };
        if settings.routing == Routing::GatewayApi && settings.gateway.is_none() {
            return Err(Problem::error(
                "hldc::ring::no-gateway",
                format!("component `{}` has rings and a Service, but hldc.yaml names no gateway for their route", default.node.path),
            )
            .at(default.node.declared_at.clone())
            .help("set `rings: {gateway: {name: NAME, namespace: NS}}` in hldc.yaml, or `rings: {routing: none}` to route by hand"));
        }
        let mut rings = Vec::new();
        for ring in planned.iter().filter(|p| std::ptr::eq(p.node, default.node)) {
            let Some(name) = ring.ring.as_ref().filter(|r| !r.default).map(|r| r.name.clone()) else { continue };
            match backend(ring, rendered) {
                Some(backend) => rings.push((name, backend)),
                None => warnings.push(no_service(ring, "its header is routed to the default ring")),
            }
        }
        let route = merge_stack(&default.layers).get("ringRoute").cloned().unwrap_or(Value::Null);
        let hostnames = route
            .get("hostnames")
            .and_then(Value::as_sequence)
            .map(|names| names.iter().filter_map(Value::as_str).map(str::to_string).collect())
            .unwrap_or_default();
        let path = route.get("path").and_then(Value::as_str).unwrap_or("/").to_string();
        let name = format!("{}-rings", default.name());
        let routes_of = Routes { name: name.clone(), hostnames, path, rings, default: default_backend, settings };
        let object = match settings.routing {
            Routing::Traefik => routes_of.ingress_route(),
            Routing::Istio => routes_of.virtual_service(),
            Routing::GatewayApi | Routing::None => routes_of.http_route(),
        };
        let file = if default.output_dir.is_empty() {
            format!("{name}.yaml")
        } else {
            format!("{}/{name}.yaml", default.output_dir)
        };
        if let Some(taken) = rendered.iter().find(|r| r.file == file) {
            return Err(Problem::error(
                "hldc::output::same-file",
                format!(
                    "the ring route of `{}` and component `{}` would both write `{file}`",
                    default.node.path, taken.component
                ),
            )
            .at(default.node.declared_at.clone())
            .help("rename one of the components"));
        }
        // The route belongs to the component as a whole, not to its default ring.
        let origin = rendered
            .iter()
            .find(|r| Some(&r.file) == default.output_file().as_ref())
            .map(|r| crate::model::rendered::Origin {
                ring: None,
                component_type: crate::model::rendered::ROUTE.to_string(),
                ..r.origin.clone()
            })
            .unwrap_or_default();
        routes.push(generated(default, file, &object, origin)?);
    }
    Ok((routes, warnings))
}

/// A ring whose output has no Service while routing is on: nothing can route to it.
fn no_service(ring: &Planned, consequence: &str) -> Problem {
    Problem::warning(
        "hldc::ring::no-service",
        format!(
            "ring `{}` of component `{}` renders no Service: {consequence}",
            ring.ring.as_ref().map_or("", |r| r.name.as_str()),
            ring.node.path
        ),
    )
    .at_opt(crate::ring::written_at(&ring.layers, "rings"))
    .label("rings")
    .help("give every ring a Service to route to, or set `rings: {routing: none}` in hldc.yaml to route by hand")
}

impl Routes<'_> {
    /// Gateway API: one rule per ring matching the header exactly, then the rule without it.
    fn http_route(&self) -> serde_json::Value {
        let path = json!({"type": "PathPrefix", "value": self.path});
        let backend = |b: &Backend| json!([{"name": b.service, "port": b.port}]);
        let mut rules: Vec<serde_json::Value> = self
            .rings
            .iter()
            .map(|(ring, b)| {
                json!({
                    "matches": [{"path": path, "headers": [{"type": "Exact", "name": self.settings.header, "value": ring}]}],
                    "backendRefs": backend(b),
                })
            })
            .collect();
        rules.push(json!({"matches": [{"path": path}], "backendRefs": backend(&self.default)}));
        let mut spec = json!({"rules": rules});
        if let Some(gateway) = &self.settings.gateway {
            let mut parent = json!({"name": gateway.name});
            if let Some(namespace) = &gateway.namespace {
                parent["namespace"] = json!(namespace);
            }
            spec["parentRefs"] = json!([parent]);
        }
        if !self.hostnames.is_empty() {
            spec["hostnames"] = json!(self.hostnames);
        }
        self.object("gateway.networking.k8s.io/v1", "HTTPRoute", spec)
    }

    /// Traefik: a rule per ring with the header matcher, and the default ring's rule; explicit
    /// priorities (each rule's length, Traefik's own default) so the fallback is visibly lower.
    fn ingress_route(&self) -> serde_json::Value {
        let mut base: Vec<String> = Vec::new();
        match self.hostnames.as_slice() {
            [] => {}
            [one] => base.push(format!("Host(`{one}`)")),
            many => {
                base.push(format!("({})", many.iter().map(|h| format!("Host(`{h}`)")).collect::<Vec<_>>().join(" || ")))
            }
        }
        base.push(format!("PathPrefix(`{}`)", self.path));
        let matcher = match self.settings.traefik.rule_syntax {
            RuleSyntax::V3 => "Header",
            RuleSyntax::V2 => "Headers",
        };
        let rule = |rule: String, b: &Backend| json!({"kind": "Rule", "match": rule, "priority": rule.len(), "services": [{"name": b.service, "port": b.port}]});
        let mut routes: Vec<serde_json::Value> = self
            .rings
            .iter()
            .map(|(ring, b)| {
                let header = format!("{matcher}(`{}`, `{ring}`)", self.settings.header);
                rule([base.join(" && "), header].join(" && "), b)
            })
            .collect();
        routes.push(rule(base.join(" && "), &self.default));
        self.object("traefik.io/v1alpha1", "IngressRoute", json!({"routes": routes}))
    }

    /// Istio: an http route per ring matching the header exactly, then the default route. On the
    /// gateway when one is named, else in the mesh; hosts are the hostnames, else the default
    /// ring's Service.
    fn virtual_service(&self) -> serde_json::Value {
        let uri = json!({"prefix": self.path});
        // Istio requires lowercase header names in matches; HTTP header names are case-insensitive.
        let header = self.settings.header.to_ascii_lowercase();
        let destination = |b: &Backend| json!([{"destination": {"host": b.service, "port": {"number": b.port}}}]);
        let mut http: Vec<serde_json::Value> = self
            .rings
            .iter()
            .map(|(ring, b)| {
                json!({"name": ring, "match": [{"uri": uri, "headers": {header.as_str(): {"exact": ring}}}], "route": destination(b)})
            })
            .collect();
        http.push(json!({"name": "default", "match": [{"uri": uri}], "route": destination(&self.default)}));
        let hosts = if self.hostnames.is_empty() { vec![self.default.service.clone()] } else { self.hostnames.clone() };
        let mut spec = json!({"hosts": hosts, "http": http});
        if let Some(gateway) = &self.settings.gateway {
            spec["gateways"] = json!([match &gateway.namespace {
                Some(namespace) => format!("{namespace}/{}", gateway.name),
                None => gateway.name.clone(),
            }]);
        }
        self.object("networking.istio.io/v1", "VirtualService", spec)
    }

    fn object(&self, api_version: &str, kind: &str, spec: serde_json::Value) -> serde_json::Value {
        let mut metadata = json!({"name": self.name});
        if let Some(namespace) = &self.default.namespace {
            metadata["namespace"] = json!(namespace);
        }
        json!({"apiVersion": api_version, "kind": kind, "metadata": metadata, "spec": spec})
    }
}

/// The first Service of a ring's output, as a backend reference (its first port).
fn backend(planned: &Planned, rendered: &[Rendered]) -> Option<Backend> {
    let file = planned.output_file()?;
    let output = rendered.iter().find(|r| r.file == file)?;
    let service =
        output.objects.iter().map(Object::value).find(|v| v.get("kind").and_then(Value::as_str) == Some("Service"))?;
    let name = service.get("metadata")?.get("name")?.as_str()?;
    let namespace = service.get("metadata")?.get("namespace").and_then(Value::as_str).map(str::to_string);
    let port = service.get("spec")?.get("ports")?.get(0)?.get("port")?.as_u64()?;
    Some(Backend { service: name.to_string(), port, namespace })
}

/// A generated object as hldc's own output: its text is the emitter's, named after the route.
fn generated(
    planned: &Planned,
    file: String,
    object: &serde_json::Value,
    origin: crate::model::rendered::Origin,
) -> Result<Rendered, Problem> {
    let value: Value = serde_yaml::to_value(object).map_err(|e| {
        Problem::error("hldc::ring::route", format!("cannot build the route of `{}`: {e}", planned.node.path))
    })?;
    let source =
        SourceFile::new(format!("<ring route of {}>", planned.node.path), crate::yaml::write::to_string(&value));
    let document = parse_one(&source)?;
    Ok(Rendered {
        component: planned.node.path.clone(),
        file,
        // Built from the final Services, whose namespace the route already took.
        inject_namespace: None,
        objects: vec![Object { document, from_helm: false }],
        warnings: Vec::new(),
        origin,
        rendering: None,
    })
}
