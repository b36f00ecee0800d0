//! Routing between rings: for each ringed component whose output has a Service, one route that
//! sends requests carrying `<header>: <ring>` to that ring's Service and every other request to
//! the default ring's. Gateway API `HTTPRoute` today (`rings.routing` in hldc.yaml). Pure.

use serde::Deserialize;
use serde_json::json;
use serde_yaml::Value;

use crate::diag::{Problem, SourceFile};
use crate::layer::merge_stack;
use crate::render::{Object, Rendered};
use crate::resolve::Planned;
use crate::yaml::parse_one;

/// `rings:` of hldc.yaml.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RingSettings {
    /// The request header whose value names a ring.
    #[serde(default = "default_header")]
    pub header: String,
    #[serde(default)]
    pub routing: Routing,
    /// The Gateway the routes attach to.
    pub gateway: Option<GatewayRef>,
}

impl Default for RingSettings {
    fn default() -> RingSettings {
        RingSettings { header: default_header(), routing: Routing::default(), gateway: None }
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
    None,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GatewayRef {
    pub name: String,
    pub namespace: Option<String>,
}

/// The routes of the ringed components among `planned`, each as a component output of its own
/// (`<name>-rings.yaml` beside the default ring's file).
pub fn routes(planned: &[Planned], rendered: &[Rendered], settings: &RingSettings) -> Result<Vec<Rendered>, Problem> {
    if settings.routing == Routing::None {
        return Ok(Vec::new());
    }
    let mut routes = Vec::new();
    for default in planned.iter().filter(|p| p.ring.as_ref().is_some_and(|r| r.default)) {
        let Some(default_backend) = backend(default, rendered) else { continue };
        let Some(gateway) = &settings.gateway else {
            return Err(Problem::error(
                "hldc::ring::no-gateway",
                format!("component `{}` has rings and a Service, but hldc.yaml names no gateway for their route", default.node.path),
            )
            .at(default.node.declared_at.clone())
            .help("set `rings: {gateway: {name: NAME, namespace: NS}}` in hldc.yaml, or `rings: {routing: none}` to route by hand"));
        };
        let rings = planned
            .iter()
            .filter(|p| std::ptr::eq(p.node, default.node) && p.ring.as_ref().is_some_and(|r| !r.default));
        let mut rules: Vec<serde_json::Value> = Vec::new();
        let route = merge_stack(&default.layers).get("ringRoute").cloned().unwrap_or(Value::Null);
        let path = route.get("path").and_then(Value::as_str).unwrap_or("/");
        let path_match = json!({"type": "PathPrefix", "value": path});
        for ring in rings {
            let (Some(ring_name), Some(backend)) =
                (ring.ring.as_ref().map(|r| r.name.as_str()), backend(ring, rendered))
            else {
                continue;
            };
            rules.push(json!({
                "matches": [{"path": path_match, "headers": [{"type": "Exact", "name": settings.header, "value": ring_name}]}],
                "backendRefs": [backend],
            }));
        }
        rules.push(json!({"matches": [{"path": path_match}], "backendRefs": [default_backend]}));
        let mut parent = json!({"name": gateway.name});
        if let Some(namespace) = &gateway.namespace {
            parent["namespace"] = json!(namespace);
        }
        let mut spec = json!({"parentRefs": [parent], "rules": rules});
        if let Some(hostnames) = route.get("hostnames") {
            spec["hostnames"] = serde_json::to_value(hostnames).unwrap_or_default();
        }
        let name = format!("{}-rings", default.name());
        let object = json!({
            "apiVersion": "gateway.networking.k8s.io/v1",
            "kind": "HTTPRoute",
            "metadata": {"name": name},
            "spec": spec,
        });
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
            .map(|r| crate::trace::Origin { ring: None, ..r.origin.clone() })
            .unwrap_or_default();
        routes.push(generated(default, file, &object, origin)?);
    }
    Ok(routes)
}

/// The first Service of a ring's output, as a backend reference (its first port).
fn backend(planned: &Planned, rendered: &[Rendered]) -> Option<serde_json::Value> {
    let file = planned.output_file()?;
    let output = rendered.iter().find(|r| r.file == file)?;
    let service =
        output.objects.iter().map(Object::value).find(|v| v.get("kind").and_then(Value::as_str) == Some("Service"))?;
    let name = service.get("metadata")?.get("name")?.as_str()?;
    let port = service.get("spec")?.get("ports")?.get(0)?.get("port")?.as_u64()?;
    Some(json!({"name": name, "port": port}))
}

/// A generated object as hldc's own output: its text is the emitter's, named after the route.
fn generated(
    planned: &Planned,
    file: String,
    object: &serde_json::Value,
    origin: crate::trace::Origin,
) -> Result<Rendered, Problem> {
    let value: Value = serde_yaml::to_value(object).map_err(|e| {
        Problem::error("hldc::ring::route", format!("cannot build the route of `{}`: {e}", planned.node.path))
    })?;
    let source =
        SourceFile::new(format!("<ring route of {}>", planned.node.path), crate::emit::yaml::to_string(&value));
    let document = parse_one(&source)?;
    Ok(Rendered {
        component: planned.node.path.clone(),
        file,
        inject_namespace: planned.config.namespace.clone().filter(|_| planned.config.inject_namespace),
        objects: vec![Object { document, from_chart_crds: false }],
        warnings: Vec::new(),
        origin,
    })
}
