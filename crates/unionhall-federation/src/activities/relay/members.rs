//! A body's members, as the body says: the collection our bodies serve to
//! their members' servers, and that we read of other servers' bodies.

use crate::{Data, Error, Result};
use activitypub_federation::fetch::fetch_object_http;
use serde_json::Value;
use std::sync::Arc;
use url::Url;

/// The collection a body's relays are addressed to.
pub fn members_url(body: &Url) -> Url {
    let mut url = body.clone();
    url.set_path(&format!("{}/members", body.path().trim_end_matches('/')));
    url
}

/// Whether `author` is an admitted member of the remote `body`, as the body's
/// members collection (served to its members' servers) says. Remembered for a
/// moment; an author missing from the copy is looked up afresh, so a chapter
/// admitted a moment ago is found.
pub(crate) async fn is_member(data: &Data, body: &Url, author: &Url) -> Result<bool> {
    if data
        .recent
        .body_members
        .get(body)
        .is_some_and(|members| members.contains(author))
    {
        return Ok(true);
    }
    let collection = members_url(body);
    let fetched = fetch_object_http::<_, Value>(&collection, &data.reset_request_count())
        .await
        .map_err(|err| Error::Forbidden(format!("the members of {body} could not be read: {err}")))?
        .object;
    let members: Vec<Url> = fetched
        .get("orderedItems")
        .or_else(|| fetched.get("items"))
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|item| item.as_str().and_then(|s| Url::parse(s).ok()))
                .collect()
        })
        .unwrap_or_default();
    let member = members.contains(author);
    data.recent
        .body_members
        .put(body.clone(), Arc::new(members));
    Ok(member)
}
