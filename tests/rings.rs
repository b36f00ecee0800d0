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
fn documents(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    serde_yaml::Deserializer::from_str(&text).map(|d| serde::Deserialize::deserialize(d).unwrap()).collect()
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

#[test]
fn a_static_component_in_three_rings_has_distinct_names_selectors_and_service_targets() {
    let hld = tempfile::tempdir().unwrap();
    let root = hld.path();
    write_files(root, WEB);
    write_files(
        root,
        &[
            ("hldc.yaml", "rings:\n  gateway: {name: public}\n"),
            (
                "config/common.yaml",
                "subcomponents:\n  web:\n    namespace: shop\n    injectNamespace: true\n    rings:\n      stable: {default: true}\n      canary: {}\n      dev: {}\n",
            ),
        ],
    );
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
