//! Who may write which document of an agency-year. The server enforces this (it alone decides);
//! devices use the same rule only to tell a user up front that an edit would be refused.

use crate::model::{DocKind, Role};

/// The part of a user that access depends on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal<'a> {
    pub roles: &'a [Role],
    pub division: Option<&'a str>,
}

/// True when `principal` may write a document of `kind` (for `results`, of `doc_division`).
///
/// Reading is decided by agency alone: everyone in an agency reads all its documents.
pub fn may_write(principal: &Principal<'_>, kind: DocKind, doc_division: Option<&str>) -> bool {
    let has = |role: Role| principal.roles.contains(&role);
    match kind {
        // Only the server writes these: the directory maps actors to people, and signatures are
        // recorded by the signing API after it checks who signs and in which order.
        DocKind::Directory | DocKind::Approvals => false,
        DocKind::Plan | DocKind::Review | DocKind::Memo => has(Role::Coordinator),
        DocKind::Results => {
            (has(Role::Staff) || has(Role::DivisionHead))
                && principal.division.is_some()
                && principal.division == doc_division
        }
    }
}

/// True when `principal` may write at least one kind of document of an agency-year: someone
/// who records results or keeps the plan (and so may attach evidence).
pub fn may_write_some(principal: &Principal<'_>) -> bool {
    [DocKind::Plan, DocKind::Review, DocKind::Memo].into_iter().any(|k| may_write(principal, k, None))
        || may_write(principal, DocKind::Results, principal.division)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_matrix() {
        use DocKind::*;
        let kinds = [Directory, Plan, Review, Memo, Approvals];
        // (roles, division, [directory, plan, review, memo, approvals], results/palad, results/klang)
        type Case<'a> = (&'a [Role], Option<&'a str>, [bool; 5], bool, bool);
        let cases: [Case<'_>; 8] = [
            (&[Role::Staff], Some("palad"), [false; 5], true, false),
            (&[Role::DivisionHead], Some("klang"), [false; 5], false, true),
            (&[Role::Coordinator], Some("palad"), [false, true, true, true, false], false, false),
            (&[Role::Approver], None, [false; 5], false, false),
            (&[Role::Approver, Role::DivisionHead], Some("palad"), [false; 5], true, false),
            (&[Role::Viewer], None, [false; 5], false, false),
            (&[Role::Admin], Some("palad"), [false; 5], false, false),
            (&[Role::Staff], None, [false; 5], false, false),
        ];
        for (roles, division, expected, palad, klang) in cases {
            let p = Principal { roles, division };
            for (kind, want) in kinds.into_iter().zip(expected) {
                assert_eq!(may_write(&p, kind, None), want, "{roles:?} {kind:?}");
            }
            assert_eq!(may_write(&p, Results, Some("palad")), palad, "{roles:?} results/palad");
            assert_eq!(may_write(&p, Results, Some("klang")), klang, "{roles:?} results/klang");
            let some = expected.contains(&true) || palad || klang;
            assert_eq!(may_write_some(&p), some, "{roles:?} writes some document");
        }
    }
}
