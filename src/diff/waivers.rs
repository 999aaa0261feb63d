//! Waivers in a diff. Each revision's findings are waived with that revision's own waivers (the
//! annotations on its objects and its central waivers file, read from git like its rules), so a
//! waiver added by the change applies at HEAD and not at BASE, and a stale waiver is introduced,
//! unchanged or fixed like any finding. The change's own waivers — annotations and central
//! entries present at HEAD and not at BASE, or changed — are listed with who must approve them.

use super::objects::Matched;
use crate::load::rules::RuleSet;
use crate::waiver::{self, NewWaiverNote};

/// Waivers the change adds or changes: central entries (by content) and annotations (per object
/// identity, against the object's BASE version), each with who must approve it; by file and line.
/// Annotations on objects rendered from a kustomization (`rendered`: HEAD's rendering) are
/// located at the line that wrote them (the patch or resource), not in the rendered text.
pub fn added(
    matched: &Matched<'_>,
    base: &RuleSet,
    head: &RuleSet,
    rendered: Option<&crate::kustomize::Output>,
) -> Vec<NewWaiverNote> {
    let w = &head.waivers;
    let mut out: Vec<NewWaiverNote> = waiver::new_waivers(
        &base.waivers.set,
        &w.set,
        &head.rules,
        &w.owners,
        w.file.as_deref().unwrap_or_default(),
    )
    .iter()
    .map(|n| n.note())
    .collect();
    let central_only = waiver::central_only(&head.config.file.central_only, &head.rules);
    let versions = matched
        .pairs
        .iter()
        .chain(&matched.renamed)
        .map(|(b, h)| (Some(*b), *h))
        .chain(matched.added.iter().map(|h| (None, *h)));
    for (b, h) in versions {
        if b.is_some_and(|b| super::objects::same(b, h)) {
            continue;
        }
        let mut notes = waiver::new_annotation_waivers(
            b,
            h,
            &head.rules,
            &central_only,
            &w.owners,
            w.file.as_deref(),
        );
        let origin = rendered.zip(h.node().pointer(&format!(
            "/metadata/annotations/{}",
            waiver::ANNOTATION.replace('/', "~1")
        )));
        if let Some((out, node)) = origin
            && let Some((file, line)) = out.origin_line(&h.source, node.span)
        {
            for n in &mut notes {
                n.file.clone_from(&file);
                n.line = line;
            }
        }
        out.extend(notes);
    }
    out.sort_by(|a, b| (&a.file, a.line, &a.rule).cmp(&(&b.file, b.line, &b.rule)));
    out
}
