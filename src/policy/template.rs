//! Message templates: `{{object.name}}`-style placeholders, checked when the rule loads.

/// A compiled message template.
#[derive(Debug, Clone)]
pub struct Template {
    parts: Vec<Part>,
}

#[derive(Debug, Clone)]
enum Part {
    Lit(String),
    Var(Vec<String>),
}

const ROOTS: &[&str] = &[
    "object",
    "item",
    "container",
    "value",
    "path",
    "field",
    "rule",
    "reason",
    "old",
    "api",
];

impl Template {
    /// Compile, rejecting unknown placeholders.
    pub fn compile(text: &str) -> Result<Self, String> {
        let mut parts = Vec::new();
        let mut rest = text;
        while let Some(i) = rest.find("{{") {
            if i > 0 {
                parts.push(Part::Lit(rest[..i].to_string()));
            }
            let after = &rest[i + 2..];
            let Some(j) = after.find("}}") else {
                return Err("unclosed `{{` in message".into());
            };
            let name = after[..j].trim();
            let segs: Vec<String> = name.split('.').map(str::to_string).collect();
            if !ROOTS.contains(&segs[0].as_str()) {
                return Err(format!(
                    "unknown placeholder `{{{{{name}}}}}`; use object.*, item.*, container.*, value, path, field, reason, api.*"
                ));
            }
            if segs[0] == "object"
                && !(segs.len() == 2
                    && ["kind", "name", "namespace", "apiVersion", "ref"]
                        .contains(&segs[1].as_str()))
            {
                return Err(format!(
                    "unknown placeholder `{{{{{name}}}}}`; object has kind, name, namespace, apiVersion, ref"
                ));
            }
            parts.push(Part::Var(segs));
            rest = &after[j + 2..];
        }
        if !rest.is_empty() {
            parts.push(Part::Lit(rest.to_string()));
        }
        Ok(Template { parts })
    }

    /// Render, or `None` when a placeholder has no value.
    pub fn render_all(&self, lookup: &dyn Fn(&[String]) -> Option<String>) -> Option<String> {
        let mut out = String::new();
        for p in &self.parts {
            match p {
                Part::Lit(s) => out.push_str(s),
                Part::Var(v) => out.push_str(&lookup(v)?),
            }
        }
        Some(out)
    }

    /// The placeholders, as dotted paths split into parts (`{{item.name}}` → `["item", "name"]`).
    pub fn vars(&self) -> impl Iterator<Item = &[String]> {
        self.parts.iter().filter_map(|p| match p {
            Part::Var(v) => Some(v.as_slice()),
            Part::Lit(_) => None,
        })
    }

    /// Render with a lookup for placeholders (`None` renders as `<none>`).
    pub fn render(&self, lookup: &dyn Fn(&[String]) -> Option<String>) -> String {
        let mut out = String::new();
        for p in &self.parts {
            match p {
                Part::Lit(s) => out.push_str(s),
                Part::Var(v) => out.push_str(&lookup(v).unwrap_or_else(|| "<none>".into())),
            }
        }
        out
    }
}
