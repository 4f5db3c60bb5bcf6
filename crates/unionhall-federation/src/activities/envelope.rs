//! What our groups send, built in one place: a change of one of our objects
//! as a Create or an Update, enveloped with its author's integrity proof.

use crate::protocol::ActivityObject;
use crate::vault::KeyVault;
use crate::Result;
use unionhall_store::actors::ActorRow;
use url::Url;

/// A change of one of our objects as `author` sends it: a Create if the
/// object is new, an Update otherwise, enveloped with the author's integrity
/// proof, so that the bodies relaying it pass on what the author signed.
pub(crate) fn signed_change(
    vault: &KeyVault,
    author: &ActorRow,
    id: &Url,
    object: ActivityObject,
    addressees: (Vec<Url>, Vec<Url>),
    is_new: bool,
) -> Result<serde_json::Value> {
    use crate::protocol::{Create, Update};
    use activitypub_federation::kinds::activity::{CreateType, UpdateType};
    let (to, cc) = addressees;
    let (id, actor) = (id.clone(), author.ap_id.clone());
    if is_new {
        let create = Create {
            kind: CreateType::Create,
            id,
            actor,
            object,
            to,
            cc,
        };
        crate::delivery::envelope(vault, author, &create)
    } else {
        let update = Update {
            kind: UpdateType::Update,
            id,
            actor,
            object,
            to,
            cc,
        };
        crate::delivery::envelope(vault, author, &update)
    }
}
