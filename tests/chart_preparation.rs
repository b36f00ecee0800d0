//! Charts are prepared (located, dependencies built under the lock) as a stage of their own,
//! before any component renders: rendering never waits on the lock or the network. Observable:
//! a chart that cannot be prepared stops the run before helm renders anything.

mod common;

use common::{hldc, write_files};

#[test]
fn a_chart_that_cannot_be_prepared_stops_the_run_before_any_component_renders() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write_files(
        root,
        &[
            (
                "component.yaml",
                "name: app\nsubcomponents:\n  - name: broken\n    type: helm\n    path: broken\n  - name: deps\n    type: helm\n    path: deps\n",
            ),
            // Renders to a helm error, if helm ever runs on it.
            ("broken/Chart.yaml", "apiVersion: v2\nname: broken\nversion: 0.1.0\n"),
            ("broken/templates/cm.yaml", "{{ fail \"rendered-before-preparation-finished\" }}\n"),
            // Its dependency names a helm repository alias, which hldc refuses while preparing.
            (
                "deps/Chart.yaml",
                "apiVersion: v2\nname: deps\nversion: 0.1.0\ndependencies:\n  - name: lib\n    version: 1.0.0\n    repository: \"@stable\"\n",
            ),
            ("deps/templates/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: deps\n"),
        ],
    );
    let run = hldc(root, &["generate"]).assert_code(2);
    run.assert_stderr_contains("cannot build the dependencies of chart `deps` (component `deps`)");
    assert!(
        !run.stderr.contains("rendered-before-preparation-finished"),
        "a component rendered before every chart was prepared:\n{}",
        run.stderr
    );

    // Once every chart can be prepared, the broken one does render (and fail): the check above
    // is about order, not about that chart never rendering.
    write_files(root, &[("deps/Chart.yaml", "apiVersion: v2\nname: deps\nversion: 0.1.0\n")]);
    hldc(root, &["generate"]).assert_code(2).assert_stderr_contains("rendered-before-preparation-finished");
}
