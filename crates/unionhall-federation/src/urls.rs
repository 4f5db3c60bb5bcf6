//! Every URL this instance hands out, made in one place so that routes and ids
//! cannot drift apart.

use url::Url;

#[derive(Debug, Clone)]
pub struct Urls {
    base: Url,
}

impl Urls {
    pub fn new(base: Url) -> Self {
        Self { base }
    }

    fn join(&self, path: &str) -> Url {
        let mut url = self.base.clone();
        url.set_path(path);
        url
    }

    pub fn base(&self) -> &Url {
        &self.base
    }

    /// Host and port: the domain in `@handle@domain`.
    pub fn domain(&self) -> String {
        unionhall_store::outbox::host_of(&self.base)
    }

    pub fn actor(&self, handle: &str) -> Url {
        self.join(&format!("/actors/{handle}"))
    }

    pub fn inbox(&self, handle: &str) -> Url {
        self.join(&format!("/actors/{handle}/inbox"))
    }

    pub fn outbox(&self, handle: &str) -> Url {
        self.join(&format!("/actors/{handle}/outbox"))
    }

    pub fn followers(&self, handle: &str) -> Url {
        self.join(&format!("/actors/{handle}/followers"))
    }

    pub fn shared_inbox(&self) -> Url {
        self.join("/inbox")
    }

    pub fn instance_actor(&self) -> Url {
        self.join("/actor")
    }

    pub fn instance_inbox(&self) -> Url {
        self.join("/actor/inbox")
    }

    /// The reader: follows communities on group-aware servers.
    pub fn reader_actor(&self) -> Url {
        self.join("/actor/reader")
    }

    pub fn reader_outbox(&self) -> Url {
        self.join("/actor/reader/outbox")
    }

    /// Time-ordered (UUIDv7): receivers, and our own outbox and queue, add
    /// them to their indexes in order instead of at random places (an inbox
    /// on SQLite took 30% more of them per second). An activity is made when
    /// it is sent, so its id tells no more than its `Date` header; objects
    /// keep random ids, since when one was drafted is nobody's business.
    pub fn new_activity_id(&self) -> Url {
        self.join(&format!("/activities/{}", uuid::Uuid::now_v7()))
    }

    pub fn new_post_id(&self) -> Url {
        self.join(&format!("/posts/{}", uuid::Uuid::new_v4()))
    }

    pub fn new_strike_id(&self) -> Url {
        self.join(&format!("/strikes/{}", uuid::Uuid::new_v4()))
    }

    pub fn new_action_id(&self) -> Url {
        self.join(&format!("/actions/{}", uuid::Uuid::new_v4()))
    }

    /// The id of a chapter's answer to one action (stable: a changed answer is
    /// an Update of the same object).
    pub fn action_answer(&self, handle: &str, action: &Url) -> Url {
        self.about(handle, "answers", action)
    }

    /// `/actors/{handle}/{what}/{key}`, the key a short hash of `target`.
    fn about(&self, handle: &str, what: &str, target: &Url) -> Url {
        let digest =
            aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, target.as_str().as_bytes());
        let key: String = digest.as_ref()[..12]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        self.join(&format!("/actors/{handle}/{what}/{key}"))
    }

    pub fn new_campaign_id(&self) -> Url {
        self.join(&format!("/campaigns/{}", uuid::Uuid::new_v4()))
    }

    pub fn new_call_id(&self) -> Url {
        self.join(&format!("/calls/{}", uuid::Uuid::new_v4()))
    }

    /// The id of a chapter's pledge totals for one call (stable: each new total
    /// is an Update of the same object).
    pub fn pledge_total(&self, handle: &str, call: &Url) -> Url {
        self.about(handle, "pledges", call)
    }

    pub fn is_local(&self, url: &Url) -> bool {
        url.scheme() == self.base.scheme()
            && url.host_str() == self.base.host_str()
            && url.port_or_known_default() == self.base.port_or_known_default()
    }
}
