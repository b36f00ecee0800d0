//! What a parsed template calls: functions (Go's parser rejects an unknown one) and methods
//! (a caller checks them against the objects it offers); and the variables it uses before
//! declaring them, which Go's parser rejects too.

use gotmpl::parse::{CommandNode, DefineNode, Expr, ListNode, Node, PipeNode};

#[derive(Default)]
pub(super) struct Used {
    /// Function names with the line they are called on, in source order.
    pub calls: Vec<(String, usize)>,
    pub functions: Vec<String>,
    pub methods: Vec<String>,
    /// Variables used where none of that name is declared, with their lines.
    pub undefined: Vec<(String, usize)>,
    /// The variables in scope while scanning, as Go's parser keeps them.
    scope: Vec<String>,
}

pub(super) fn scan(body: &ListNode, defines: &[DefineNode]) -> Used {
    let mut used = Used::default();
    used.template(body);
    for define in defines {
        used.template(&define.body);
    }
    used.calls.sort_by_key(|(_, line)| *line);
    used.functions = used.calls.iter().map(|(name, _)| name.clone()).collect();
    used
}

impl Used {
    /// A template's body: only `$` is in scope at its start.
    fn template(&mut self, body: &ListNode) {
        self.scope = vec!["$".to_string()];
        self.list(body);
    }

    fn list(&mut self, list: &ListNode) {
        for node in &list.nodes {
            self.node(node);
        }
    }

    fn node(&mut self, node: &Node) {
        match node {
            Node::List(list) => self.list(list),
            Node::Action(action) => self.pipe(&action.pipe),
            Node::If(branch) | Node::Range(branch) | Node::With(branch) => {
                // Variables declared in a control structure end with it.
                let mark = self.scope.len();
                self.pipe(&branch.pipe);
                self.list(&branch.body);
                if let Some(other) = &branch.else_body {
                    self.list(other);
                }
                self.scope.truncate(mark);
            }
            Node::Template(call) => {
                if let Some(pipe) = &call.pipe {
                    self.pipe(pipe);
                }
            }
            Node::Define(define) => {
                let scope = std::mem::take(&mut self.scope);
                self.template(&define.body);
                self.scope = scope;
            }
            Node::Text(_) | Node::Break(_) | Node::Continue(_) => {}
        }
    }

    fn pipe(&mut self, pipe: &PipeNode) {
        // Go declares the variables before it parses the commands that give their value.
        self.scope.extend(pipe.decl.iter().map(|name| name.to_string()));
        for (i, command) in pipe.commands.iter().enumerate() {
            self.command(command, i > 0);
        }
    }

    fn command(&mut self, command: &CommandNode, piped: bool) {
        let with_arguments = command.args.len() > 1 || piped;
        if let Some(first) = command.args.first() {
            let fields = match first {
                Expr::Field(_, fields) | Expr::Variable(_, _, fields) | Expr::Chain(_, _, fields) => Some(fields),
                _ => None,
            };
            if let Some(last) = fields.and_then(|fields| fields.last()).filter(|_| with_arguments) {
                self.methods.push(last.to_string());
            }
        }
        for arg in &command.args {
            self.expr(arg);
        }
    }

    fn expr(&mut self, expr: &Expr) {
        match expr {
            Expr::Identifier(pos, name) => self.calls.push((name.to_string(), pos.line)),
            Expr::Variable(pos, name, _) if !self.scope.iter().any(|declared| declared == name) => {
                self.undefined.push((name.to_string(), pos.line));
            }
            Expr::Pipe(_, pipe) => self.pipe(pipe),
            Expr::Chain(_, inner, fields) => {
                // A field read off a function's plain result (a map, a string) is a key lookup,
                // or Go's error, whatever the name: only a struct has members to check
                // (`merge.Values.x`, never run by the chart that has it, calls `merge` bare).
                if !reads_plain_result(inner) {
                    self.methods.extend(fields.iter().map(|field| field.to_string()));
                }
                self.expr(inner);
            }
            _ => {}
        }
    }
}

/// Whether `inner`, the head of a chain, is a call of a function whose result is plain data
/// (`merge.Values`, `(include "x" .).Values`), not one of the Go structs Sprig returns.
fn reads_plain_result(inner: &Expr) -> bool {
    let function = match inner {
        Expr::Identifier(_, name) => Some(name),
        Expr::Pipe(_, pipe) => match pipe.commands.last().and_then(|command| command.args.first()) {
            Some(Expr::Identifier(_, name)) => Some(name),
            _ => None,
        },
        _ => None,
    };
    function.is_some_and(|name| !crate::gotemplate::sprig::STRUCT_RESULTS.contains(&name.as_ref()))
}
