//! Deployment rings of static components and the routes between rings (Gateway API, Traefik,
//! Istio), through the real binary.

mod common;

use std::path::Path;

use common::{hldc, read_tree, write_files};
use serde_yaml::Value;

fn yaml(text: &str) -> Value {
    serde_yaml::from_str(text).unwrap()
}

/// Every document of a generated file.
/// The objects of a generated file, without hldc's trace stamps (tests/trace.rs checks those).
fn documents(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    serde_yaml::Deserializer::from_str(&text)
        .map(|d| hldc::trace::stamp::unstamped(&serde::Deserialize::deserialize(d).unwrap()))
        .collect()
}

fn files(dir: &Path) -> Vec<String> {
    read_tree(dir).into_keys().collect()
}

/// A static component: a Deployment, its Service and a ConfigMap it mounts.
const WEB: &[(&str, &str)] = &[
    ("component.yaml", "name: app\nsubcomponents:\n  - name: web\n    type: static\n    path: web\n"),
    (
        "web/deployment.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  labels: {app: web}\nspec:\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n        - name: web\n          image: nginx\n          volumeMounts: [{name: conf, mountPath: /etc/web}]\n      volumes:\n        - name: conf\n          configMap: {name: web-conf}\n",
    ),
    (
        "web/service.yaml",
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: web-svc\nspec:\n  selector: {app: web}\n  ports:\n    - port: 80\n",
    ),
    ("web/conf.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-conf\ndata: {a: b}\n"),
];

/// `web` routed through the Gateway API's `public` gateway, with `common` as its config.
fn web_behind_gateway(common: &str) -> tempfile::TempDir {
    let hld = tempfile::tempdir().unwrap();
    write_files(hld.path(), WEB);
    write_files(hld.path(), &[("hldc.yaml", "rings:\n  gateway: {name: public}\n"), ("config/common.yaml", common)]);
    hld
}

#[test]
fn a_static_component_in_three_rings_has_distinct_names_selectors_and_service_targets() {
    let hld = web_behind_gateway(
        "subcomponents:\n  web:\n    namespace: shop\n    injectNamespace: true\n    rings:\n      stable: {default: true}\n      canary: {}\n      dev: {}\n",
    );
    let root = hld.path();
    hldc(root, &["generate"]).assert_code(0);
    let out = root.join("generated/common");
    assert_eq!(files(&out), ["web-canary.yaml", "web-dev.yaml", "web-rings.yaml", "web.yaml"]);
    let mut selectors = Vec::new();
    for (file, suffix) in [("web.yaml", ""), ("web-canary.yaml", "-canary"), ("web-dev.yaml", "-dev")] {
        let objects = documents(&out.join(file));
        let by_kind = |kind: &str| objects.iter().find(|o| o["kind"] == yaml(kind)).unwrap().clone();
        let (config_map, deployment, service) = (by_kind("ConfigMap"), by_kind("Deployment"), by_kind("Service"));
        assert_eq!(config_map["metadata"]["name"], yaml(&format!("web-conf{suffix}")));
        assert_eq!(deployment["metadata"]["name"], yaml(&format!("web{suffix}")));
        assert_eq!(service["metadata"]["name"], yaml(&format!("web-svc{suffix}")));
        let app = yaml(&format!("{{app: web{suffix}}}"));
        assert_eq!(deployment["spec"]["selector"]["matchLabels"], app, "{file}");
        assert_eq!(deployment["spec"]["template"]["metadata"]["labels"], app, "{file}");
        assert_eq!(service["spec"]["selector"], app, "{file}");
        // The ring's pods mount the ring's ConfigMap, not the default ring's.
        assert_eq!(
            deployment["spec"]["template"]["spec"]["volumes"][0]["configMap"]["name"],
            yaml(&format!("web-conf{suffix}"))
        );
        selectors.push(service["spec"]["selector"].clone());
    }
    selectors.dedup();
    assert_eq!(selectors.len(), 3, "{selectors:?}");
    // The route sends each ring's header to the ring's (renamed) Service.
    let route = &documents(&out.join("web-rings.yaml"))[0];
    let backends: Vec<&Value> =
        route["spec"]["rules"].as_sequence().unwrap().iter().map(|rule| &rule["backendRefs"][0]["name"]).collect();
    assert_eq!(backends, [&yaml("web-svc-canary"), &yaml("web-svc-dev"), &yaml("web-svc")]);
}

/// `web` in rings stable (default), canary and dev on shop.example.com/web.
fn routed(project: &str) -> tempfile::TempDir {
    let hld = tempfile::tempdir().unwrap();
    let root = hld.path();
    write_files(root, WEB);
    write_files(
        root,
        &[
            ("hldc.yaml", project),
            (
                "config/common.yaml",
                "subcomponents:\n  web:\n    namespace: shop\n    injectNamespace: true\n    ringRoute: {hostnames: [shop.example.com], path: /web}\n    rings:\n      stable: {default: true}\n      canary: {}\n      dev: {}\n",
            ),
        ],
    );
    hld
}

/// Generates and returns the route, which generate checked against its upstream CRD's schema
/// (shipped in schemas/crds/; a kind without a schema would be named in a note).
fn route_of(hld: &tempfile::TempDir, kind: &str) -> Value {
    let run = hldc(hld.path(), &["generate"]).assert_code(0);
    assert!(!run.stderr.contains("no schema to check"), "{kind} was not checked against its CRD:\n{}", run.stderr);
    // A copy outside git has no commit to stamp (warned); nothing else may warn.
    let warned = run.stderr.lines().filter(|l| l.starts_with("warning[") && !l.contains("hldc::trace::no-commit"));
    assert_eq!(warned.count(), 0, "{}", run.stderr);
    let out = hld.path().join("generated/common");
    assert_eq!(files(&out), ["web-canary.yaml", "web-dev.yaml", "web-rings.yaml", "web.yaml"]);
    let route = documents(&out.join("web-rings.yaml")).remove(0);
    assert_eq!(route["kind"], yaml(kind));
    route
}

#[test]
fn gateway_api_httproute_sends_each_ring_header_to_its_service_and_the_rest_to_the_default_ring() {
    let hld = routed("rings:\n  header: x-ring\n  gateway: {name: public, namespace: gateway}\n");
    let route = route_of(&hld, "HTTPRoute");
    let rule = |ring: &str, service: &str| {
        format!("{{matches: [{{path: {{type: PathPrefix, value: /web}}, headers: [{{type: Exact, name: x-ring, value: {ring}}}]}}], backendRefs: [{{name: {service}, port: 80}}]}}")
    };
    assert_eq!(
        route,
        yaml(&format!(
            "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {{name: web-rings, namespace: shop}}\nspec:\n  parentRefs: [{{name: public, namespace: gateway}}]\n  hostnames: [shop.example.com]\n  rules:\n    - {}\n    - {}\n    - {{matches: [{{path: {{type: PathPrefix, value: /web}}}}], backendRefs: [{{name: web-svc, port: 80}}]}}\n",
            rule("canary", "web-svc-canary"),
            rule("dev", "web-svc-dev"),
        ))
    );
}

#[test]
fn traefik_ingressroute_matches_the_ring_header_above_the_default_rings_fallback() {
    let hld = routed("rings:\n  header: X-Ring\n  routing: traefik\n");
    let route = route_of(&hld, "IngressRoute");
    let base = "Host(`shop.example.com`) && PathPrefix(`/web`)";
    let rule = |matcher: &str, service: &str| {
        format!(
            "{{kind: Rule, match: '{matcher}', priority: {}, services: [{{name: {service}, port: 80}}]}}",
            matcher.len()
        )
    };
    assert_eq!(
        route,
        yaml(&format!(
            "apiVersion: traefik.io/v1alpha1\nkind: IngressRoute\nmetadata: {{name: web-rings, namespace: shop}}\nspec:\n  routes:\n    - {}\n    - {}\n    - {}\n",
            rule(&format!("{base} && Header(`X-Ring`, `canary`)"), "web-svc-canary"),
            rule(&format!("{base} && Header(`X-Ring`, `dev`)"), "web-svc-dev"),
            rule(base, "web-svc"),
        ))
    );
    let priorities: Vec<u64> =
        route["spec"]["routes"].as_sequence().unwrap().iter().map(|r| r["priority"].as_u64().unwrap()).collect();
    assert!(priorities[2] < priorities[0] && priorities[2] < priorities[1], "{priorities:?}");
    // Traefik v2's rule syntax calls the matcher Headers().
    let v2 = routed("rings:\n  routing: traefik\n  traefik: {ruleSyntax: v2}\n");
    let route = route_of(&v2, "IngressRoute");
    assert_eq!(route["spec"]["routes"][0]["match"], yaml(&format!("'{base} && Headers(`x-ring`, `canary`)'")));
}

#[test]
fn istio_virtualservice_matches_the_ring_header_exactly_then_routes_to_the_default_ring() {
    let hld = routed("rings:\n  header: X-Ring\n  routing: istio\n  gateway: {name: public, namespace: gateway}\n");
    let route = route_of(&hld, "VirtualService");
    let http = |ring: &str, service: &str| {
        format!("{{name: {ring}, match: [{{uri: {{prefix: /web}}, headers: {{x-ring: {{exact: {ring}}}}}}}], route: [{{destination: {{host: {service}, port: {{number: 80}}}}}}]}}")
    };
    assert_eq!(
        route,
        yaml(&format!(
            "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {{name: web-rings, namespace: shop}}\nspec:\n  hosts: [shop.example.com]\n  gateways: [gateway/public]\n  http:\n    - {}\n    - {}\n    - {{name: default, match: [{{uri: {{prefix: /web}}}}], route: [{{destination: {{host: web-svc, port: {{number: 80}}}}}}]}}\n",
            http("canary", "web-svc-canary"),
            http("dev", "web-svc-dev"),
        ))
    );
}

#[test]
fn validate_knows_rings_and_clusters() {
    let hld = tempfile::tempdir().unwrap();
    let root = hld.path();
    write_files(
        root,
        &[
            ("hldc.yaml", "environments:\n  prod: {clusters: [east-us]}\nrings:\n  gateway: {name: public}\n"),
            ("component.yaml", "name: app\nsubcomponents:\n  - name: web\n    type: static\n    path: web\n  - name: cm\n    type: static\n    path: cm\n"),
            ("web/service.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  selector: {app: web}\n  ports: [{port: 80}]\n"),
            ("cm/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n"),
            ("config/prod.yaml", "subcomponents:\n  web:\n    rings:\n      stable: {default: true}\n      canary: {defualt: false}\n"),
            ("config/east-us.yaml", "subcomponents:\n  wbe:\n    rings:\n      canary: {}\n"),
        ],
    );
    // Unknown ring fields, and rings for a component that does not exist (in a cluster's file).
    let run = hldc(root, &["validate", "prod"]).assert_code(1);
    run.assert_stderr_contains("unknown field `defualt`")
        .assert_stderr_contains("config/prod.yaml:5:16")
        .assert_stderr_contains("`config/east-us.yaml` configures `wbe`, but `app` has no subcomponent of that name")
        .assert_stderr_contains("config/east-us.yaml:2:3");
    // A ringed component without a Service while routing is on: a warning of the rendered
    // output, in validate --rendered and generate; a ringRoute without rings: a warning.
    write_files(
        root,
        &[
            ("config/prod.yaml", "subcomponents:\n  cm:\n    rings:\n      stable: {default: true}\n      canary: {}\n  web:\n    ringRoute: {path: /}\n"),
            ("config/east-us.yaml", ""),
        ],
    );
    let run = hldc(root, &["validate", "prod", "--rendered"]).assert_code(0);
    run.assert_stderr_contains(
        "ring `stable` of component `app/cm` renders no Service: no route between its rings is written",
    )
    .assert_stderr_contains("config/prod.yaml:3:5")
    .assert_stderr_contains("component `app/web` has a `ringRoute` but no rings")
    .assert_stderr_contains("config/prod.yaml:7:5");
    let run = hldc(root, &["generate", "prod"]).assert_code(0);
    run.assert_stderr_contains("renders no Service: no route between its rings is written");
    // Routing off: nothing to warn about.
    write_files(root, &[("hldc.yaml", "environments:\n  prod: {clusters: [east-us]}\nrings: {routing: none}\n")]);
    let run = hldc(root, &["generate", "prod"]).assert_code(0);
    assert!(!run.stderr.contains("renders no Service"), "{}", run.stderr);
}

/// Issue 24, point 4: a ring's pods are selected by the ring's own NetworkPolicy and budget,
/// not by the default ring's; a kind hldc cannot rename a selector of is a warning.
#[test]
fn a_rings_policies_select_the_rings_pods_and_an_unknown_selector_is_named() {
    let hld = tempfile::tempdir().unwrap();
    let root = hld.path();
    write_files(root, WEB);
    write_files(
        root,
        &[
            (
                "web/lockdown.yaml",
                "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: web-lockdown\nspec:\n  podSelector:\n    matchLabels: {app: web}\n  ingress:\n    - from:\n        - podSelector:\n            matchLabels: {app: web}\n",
            ),
            (
                "web/budget.yaml",
                "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: web\nspec:\n  minAvailable: 1\n  selector:\n    matchLabels: {app: web}\n",
            ),
            (
                "web/chaos.yaml",
                "apiVersion: chaos.example/v1\nkind: PodChaos\nmetadata:\n  name: web-chaos\nspec:\n  target:\n    podSelector: {app: web}\n",
            ),
            ("hldc.yaml", "rings:\n  gateway: {name: public}\n"),
            (
                "config/common.yaml",
                "subcomponents:\n  web:\n    namespace: shop\n    injectNamespace: true\n    rings:\n      stable: {default: true}\n      canary: {}\n",
            ),
        ],
    );
    let run = hldc(root, &["generate", "--no-check"]).assert_code(0);
    run.assert_stderr_contains("warning[hldc::ring::unrenamed-selector]").assert_stderr_contains(
        "`PodChaos web-chaos-canary` of component `app/web` selects by labels at `spec.target.podSelector`",
    );
    let objects = documents(&root.join("generated/common/web-canary.yaml"));
    let by_kind = |kind: &str| objects.iter().find(|o| o["kind"] == yaml(kind)).unwrap().clone();
    let (policy, budget) = (by_kind("NetworkPolicy"), by_kind("PodDisruptionBudget"));
    let canary = yaml("{app: web-canary}");
    assert_eq!(policy["metadata"]["name"], yaml("web-lockdown-canary"));
    assert_eq!(policy["spec"]["podSelector"]["matchLabels"], canary);
    assert_eq!(policy["spec"]["ingress"][0]["from"][0]["podSelector"]["matchLabels"], canary);
    assert_eq!(budget["spec"]["selector"]["matchLabels"], canary);
}

/// Issue 24, point 3: the route is built from the Services as written: a ring patch that
/// renames the canary's Service and moves its port, and the namespace a manifest gives its
/// Services without `injectNamespace`.
#[test]
fn the_route_follows_patched_services_and_their_namespace() {
    let hld = tempfile::tempdir().unwrap();
    let root = hld.path();
    write_files(root, WEB);
    write_files(
        root,
        &[
            (
                "web/service.yaml",
                "apiVersion: v1\nkind: Service\nmetadata:\n  name: web-svc\n  namespace: shop\nspec:\n  selector: {app: web}\n  ports:\n    - port: 80\n",
            ),
            ("hldc.yaml", "rings:\n  gateway: {name: public}\n"),
            (
                "config/common.yaml",
                concat!(
                    "subcomponents:\n  web:\n    rings:\n      stable: {default: true}\n      canary:\n",
                    "        patches:\n          port:\n            target: {kind: Service}\n",
                    "            patch: [{op: replace, path: /spec/ports/0/port, value: 8080}, {op: replace, path: /metadata/name, value: web-edge-canary}]\n",
                ),
            ),
        ],
    );
    hldc(root, &["generate"]).assert_code(0);
    let route = &documents(&root.join("generated/common/web-rings.yaml"))[0];
    assert_eq!(route["metadata"]["namespace"], yaml("shop"), "{route:?}");
    let backends: Vec<(&Value, &Value)> = route["spec"]["rules"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|rule| (&rule["backendRefs"][0]["name"], &rule["backendRefs"][0]["port"]))
        .collect();
    assert_eq!(backends, [(&yaml("web-edge-canary"), &yaml("8080")), (&yaml("web-svc"), &yaml("80"))]);
}

/// `commonLabels` and `commonAnnotations` go on every object of a component, the route hldc
/// writes between its rings included (the default ring's, as the route is the component's).
#[test]
fn the_route_carries_the_components_common_labels_and_annotations() {
    let hld = web_behind_gateway(
        "commonLabels: {team: shop}\nsubcomponents:\n  web:\n    commonAnnotations: {owner: web-team}\n    rings:\n      stable: {default: true}\n      canary:\n        commonLabels: {ring: canary}\n",
    );
    let root = hld.path();
    hldc(root, &["generate"]).assert_code(0);
    let route = &documents(&root.join("generated/common/web-rings.yaml"))[0];
    assert_eq!(route["metadata"]["labels"]["team"], yaml("shop"), "{route:?}");
    assert_eq!(route["metadata"]["annotations"]["owner"], yaml("web-team"), "{route:?}");
    assert!(route["metadata"]["labels"].get("ring").is_none(), "the canary's labels are its own: {route:?}");
}

/// A ring renders with its own values and fails on its own: the error names the ring.
#[test]
fn a_ring_that_fails_to_render_is_named() {
    let hld = tempfile::tempdir().unwrap();
    let root = hld.path();
    write_files(
        root,
        &[
            ("component.yaml", "name: shop\nsubcomponents:\n  - name: orders\n    type: helm\n    path: chart\n"),
            (
                "config/common.yaml",
                "subcomponents:\n  orders:\n    config: {host: db}\n    rings:\n      stable: {default: true}\n      canary:\n        config: {host: null}\n",
            ),
            ("chart/Chart.yaml", "apiVersion: v2\nname: orders\nversion: 0.1.0\n"),
            (
                "chart/templates/cm.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\ndata:\n  host: {{ required \"host is required\" .Values.host }}\n",
            ),
        ],
    );
    for engine in ["native", "binary"] {
        let run = hldc(root, &["generate", "--helm-engine", engine]).assert_code(2);
        run.assert_stderr_contains("helm failed to render component `orders`, ring canary (chart `chart`)");
        assert!(!run.stderr.contains("ring stable"), "{}", run.stderr);
    }
}
