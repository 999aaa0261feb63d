//! `--format FMT[=PATH]`: choosing report formats and where each one goes.
//!
//! The flag repeats, so one run can write several reports (`--format sarif=out.sarif --format
//! text`). A format without a path (or with `=-`) goes to standard output, and at most one may.

use crate::render::{self, Format, Report};
use anyhow::{Context, Result, bail};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

/// One requested report: a format and its destination.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutputSpec {
    /// The format.
    pub format: Format,
    /// The file to write; `None` is standard output.
    pub path: Option<PathBuf>,
}

/// The help text of `--format`.
pub const FORMAT_HELP: &str = "Report format, optionally with a file to write it to: FMT or FMT=PATH (repeatable; at most \
one without a PATH goes to standard output). FMT: text, json, sarif, junit, github, rdjson, rdjsonl, gitlab, markdown";

/// Parse `FMT` or `FMT=PATH` (clap value parser).
pub fn parse_spec(s: &str) -> Result<OutputSpec, String> {
    let (name, path) = match s.split_once('=') {
        Some((n, p)) => (n, Some(p)),
        None => (s, None),
    };
    let Some(format) = Format::parse(name.trim()) else {
        let names: Vec<&str> = Format::ALL.iter().map(|(_, n)| *n).collect();
        return Err(format!(
            "unknown format `{name}`; known: {}",
            names.join(", ")
        ));
    };
    let path = match path {
        None | Some("-") => None,
        Some("") => {
            return Err(format!(
                "`{name}=` needs a file path (or `-` for standard output)"
            ));
        }
        Some(p) => Some(PathBuf::from(p)),
    };
    Ok(OutputSpec { format, path })
}

/// The requested outputs, defaulting to `default` on standard output; fails when more than one
/// would go to standard output or two to the same file.
pub fn resolve(specs: &[OutputSpec], default: Format) -> Result<Vec<OutputSpec>> {
    if specs.is_empty() {
        return Ok(vec![OutputSpec {
            format: default,
            path: None,
        }]);
    }
    let stdout: Vec<&str> = specs
        .iter()
        .filter(|s| s.path.is_none())
        .map(|s| s.format.name())
        .collect();
    if stdout.len() > 1 {
        bail!(
            "--format: only one report can go to standard output (got {}); write the others to files, e.g. --format {}=report.out",
            stdout.join(", "),
            stdout[1]
        );
    }
    let mut paths: Vec<&PathBuf> = specs.iter().filter_map(|s| s.path.as_ref()).collect();
    paths.sort();
    if let Some(w) = paths.windows(2).find(|w| w[0] == w[1]) {
        bail!(
            "--format: two reports would be written to {}",
            w[0].display()
        );
    }
    Ok(specs.to_vec())
}

/// Does any output print `format` to standard output?
pub fn stdout_format(specs: &[OutputSpec]) -> Option<Format> {
    specs.iter().find(|s| s.path.is_none()).map(|s| s.format)
}

/// Write every report. `color` decides colour for text on standard output (`None` = when it is
/// a terminal and `NO_COLOR` is unset); files never get colour.
pub fn write_all(specs: &[OutputSpec], report: &Report<'_>, color: Option<bool>) -> Result<()> {
    for spec in specs {
        match &spec.path {
            None => {
                let color = color.unwrap_or_else(default_color);
                let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
                render::write(spec.format, report, color, &mut out)?;
                out.flush()?;
            }
            Some(p) => {
                let context = || {
                    format!(
                        "writing the {} report to {}",
                        spec.format.name(),
                        p.display()
                    )
                };
                let file = create(p).with_context(context)?;
                let mut out = std::io::BufWriter::with_capacity(1 << 16, file);
                render::write(spec.format, report, false, &mut out).with_context(context)?;
                out.flush().with_context(context)?;
            }
        }
    }
    Ok(())
}

/// Colour on a terminal, unless `NO_COLOR` is set.
fn default_color() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

/// Create the report file `p` and its folder.
fn create(p: &std::path::Path) -> Result<std::fs::File> {
    if let Some(dir) = p.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    Ok(std::fs::File::create(p)?)
}

/// Write every report, rendering each with `render(format, colour)`.
pub fn write_with(
    specs: &[OutputSpec],
    color: Option<bool>,
    render: &dyn Fn(Format, bool) -> String,
) -> Result<()> {
    for spec in specs {
        match &spec.path {
            None => {
                let color = color.unwrap_or_else(default_color);
                let out = render(spec.format, color);
                let mut stdout = std::io::stdout().lock();
                stdout.write_all(out.as_bytes())?;
                stdout.flush()?;
            }
            Some(p) => {
                let out = render(spec.format, false);
                let mut file = create(p)?;
                file.write_all(out.as_bytes()).with_context(|| {
                    format!(
                        "writing the {} report to {}",
                        spec.format.name(),
                        p.display()
                    )
                })?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_format_and_path() {
        assert_eq!(
            parse_spec("sarif=out/a.sarif").unwrap(),
            OutputSpec {
                format: Format::Sarif,
                path: Some("out/a.sarif".into())
            }
        );
        assert_eq!(
            parse_spec("text").unwrap(),
            OutputSpec {
                format: Format::Text,
                path: None
            }
        );
        assert_eq!(
            parse_spec("json=-").unwrap(),
            OutputSpec {
                format: Format::Json,
                path: None
            }
        );
        assert!(
            parse_spec("xml")
                .unwrap_err()
                .contains("unknown format `xml`")
        );
        assert!(parse_spec("sarif=").is_err());
    }

    #[test]
    fn one_stdout_report_at_most() {
        let s = |v: &[&str]| v.iter().map(|x| parse_spec(x).unwrap()).collect::<Vec<_>>();
        assert_eq!(resolve(&[], Format::Text).unwrap(), s(&["text"]));
        assert!(resolve(&s(&["text", "sarif=a", "junit=b"]), Format::Text).is_ok());
        assert!(
            resolve(&s(&["text", "json"]), Format::Text)
                .unwrap_err()
                .to_string()
                .contains("only one report")
        );
        assert!(resolve(&s(&["sarif=a", "junit=a"]), Format::Text).is_err());
    }
}
