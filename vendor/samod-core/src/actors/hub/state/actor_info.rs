use crate::{DocumentActorId, DocumentId, UnixTimestamp, doc_search::DocSearchPhase};

#[derive(Debug, Clone)]
pub(crate) struct ActorInfo {
    pub(crate) actor_id: DocumentActorId,
    pub(crate) document_id: DocumentId,
    pub(crate) search_phase: DocSearchPhase,
    /// Prongsai's patch: when a peer's message about this document last came in or went out,
    /// or someone last searched for it (for `HubEvent::unload_idle_documents`).
    pub(crate) last_active: UnixTimestamp,
    /// Prongsai's patch: told to terminate by `unload_idle_documents`; no longer the
    /// document's actor (not in `document_to_actor`), but alive until it reports `Terminated`.
    pub(crate) unloading: bool,
}

impl ActorInfo {
    pub fn new_with_id(
        actor_id: DocumentActorId,
        document_id: DocumentId,
        now: UnixTimestamp,
    ) -> Self {
        Self {
            actor_id,
            document_id,
            search_phase: DocSearchPhase::Loading,
            last_active: now,
            unloading: false,
        }
    }
}
