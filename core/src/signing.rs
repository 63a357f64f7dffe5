//! Whose turn it is to sign the memo's approval chain, and who may sign a step: one rule, used by
//! the dashboard (which offers the sign box only where this allows it) and by the server (which
//! records a signature only where this allows it), so the page never offers what the server
//! then refuses.
//!
//! The rule: the chain is signed in order. The step whose turn it is is the first that has not
//! approved the report's current content. A step that returned the current content is still the
//! one whose turn it is (its approver may change their mind); the steps after it wait. Any edit
//! of the content makes every earlier signature out of date, so the chain starts again.

use crate::agency_year::AgencyYear;
use crate::model::{Role, SignatureDecision};
use crate::report_model::Report;

/// One step of the chain as the rule needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainStep {
    pub step: String,
    /// The user bound to sign it.
    pub approver: Option<String>,
    /// Its signature approved the report's current content.
    pub approved_current: bool,
}

/// Why a person may not sign a step now.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignRefusal {
    #[error("there is no approval step {0:?}")]
    NoSuchStep(String),
    #[error("step {step} is signed by its own approver only")]
    NotTheApprover { step: String },
    #[error("step {earlier} must approve the current memo first")]
    OutOfOrder { earlier: String },
}

/// The chain of an agency-year with the state of each step against `report`'s content.
pub fn chain(year: &AgencyYear, report: &Report) -> Vec<ChainStep> {
    year.approval_steps()
        .into_iter()
        .zip(report.signatures.iter().chain(std::iter::repeat(&None)))
        .map(|((id, step), signature)| ChainStep {
            step: id.clone(),
            approver: step.approver.clone(),
            approved_current: signature
                .as_ref()
                .is_some_and(|s| s.up_to_date && s.decision == SignatureDecision::Approved),
        })
        .collect()
}

/// The index of the step whose turn it is, or `None` when every step approved the current
/// content (or the chain is empty).
pub fn turn(chain: &[ChainStep]) -> Option<usize> {
    chain.iter().position(|s| !s.approved_current)
}

/// Whether `username` (with `roles`) may sign `step` now; the step's index when they may.
pub fn may_sign(chain: &[ChainStep], step: &str, username: &str, roles: &[Role]) -> Result<usize, SignRefusal> {
    let index = chain.iter().position(|s| s.step == step).ok_or_else(|| SignRefusal::NoSuchStep(step.to_string()))?;
    let this = &chain[index];
    if !roles.contains(&Role::Approver) || this.approver.as_deref() != Some(username) {
        return Err(SignRefusal::NotTheApprover { step: step.to_string() });
    }
    match turn(chain) {
        Some(now) if now < index => Err(SignRefusal::OutOfOrder { earlier: chain[now].step.clone() }),
        _ => Ok(index),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(id: &str, approver: &str, approved_current: bool) -> ChainStep {
        ChainStep { step: id.into(), approver: Some(approver.into()), approved_current }
    }

    #[test]
    fn the_turn_is_the_first_step_that_has_not_approved_the_current_content() {
        let check = |approved: [bool; 3], expected: Option<usize>| {
            let chain = [step("a", "x", approved[0]), step("b", "y", approved[1]), step("c", "z", approved[2])];
            assert_eq!(turn(&chain), expected, "{approved:?}");
        };
        check([false, false, false], Some(0));
        check([true, false, false], Some(1));
        check([true, true, false], Some(2));
        check([true, true, true], None);
        // A later step that signed earlier content does not move the turn past an earlier one.
        check([false, true, true], Some(0));
        assert_eq!(turn(&[]), None);
    }

    #[test]
    fn only_the_bound_approver_signs_and_only_in_turn() {
        let approver = [Role::Approver];
        let chain = [step("a", "x", true), step("b", "y", false), step("c", "z", false)];
        assert_eq!(may_sign(&chain, "b", "y", &approver), Ok(1));
        // Step a's approver may sign again (change their mind) while it is b's turn.
        assert_eq!(may_sign(&chain, "a", "x", &approver), Ok(0));
        assert_eq!(may_sign(&chain, "c", "z", &approver), Err(SignRefusal::OutOfOrder { earlier: "b".into() }));
        assert_eq!(may_sign(&chain, "b", "x", &approver), Err(SignRefusal::NotTheApprover { step: "b".into() }));
        assert_eq!(may_sign(&chain, "b", "y", &[Role::Staff]), Err(SignRefusal::NotTheApprover { step: "b".into() }));
        assert_eq!(may_sign(&chain, "d", "y", &approver), Err(SignRefusal::NoSuchStep("d".into())));
    }

    #[test]
    fn a_returned_step_keeps_the_turn() {
        // Step a returned the current content: it has not approved it, so b must wait.
        let chain = [step("a", "x", false), step("b", "y", false)];
        assert_eq!(turn(&chain), Some(0));
        assert!(matches!(may_sign(&chain, "b", "y", &[Role::Approver]), Err(SignRefusal::OutOfOrder { .. })));
    }
}
