// A small ActivityPub peer built on Fedify, an independent implementation,
// driven by Unionhall's interop tests over stdin/stdout.
//
//   node peer.mjs <port>
//
// It listens on 127.0.0.1:<port> with the origin http://localhost:<port> and has
// one actor, http://localhost:<port>/users/peer.  Every line it prints on stdout
// is one JSON object (an "event"); Fedify's own logs go to stderr.
//
// stdin commands, one a line:
//   follow <actor-url>   send a Follow to that actor (@user@host works too)
//                        -> {"event":"follow-sent","id":...,"object":<actor id>}
//   post <text>          Create(Note) to every follower -> {"event":"post-sent",...}
//   verify-proof <file>  check the integrity proof of the activity in a JSON
//                        file -> {"event":"proof-checked","id":...,"verified":bool}
//   quit                 exit 0 (closing stdin does the same)
// events from the network:
//   Accept  -> {"event":"accepted","actor":...}
//   Follow  -> {"event":"followed-by","actor":...}, then an Accept is sent back
//              -> {"event":"accept-sent",...}
//   Create  -> {"event":"create","id":...,"object":...,"content":...,"actor":...}
//   Reject  -> {"event":"rejected","actor":...,"object":<the Follow's id>}
//   Undo(Follow) -> {"event":"unfollowed-by","actor":...}
//   any other activity -> {"event":"activity","type":...,"id":...,"actor":...}
// and how every request was signed:
//   a POST it sends -> {"event":"sent","url":...,"signed":"RFC 9421"|"draft-cavage","status":...}
//   a POST it gets  -> {"event":"knocked","signed":...,"alg":<RFC 9421 alg or null>,
//                       "httpKey":<the key id Fedify's verifyRequest verified the
//                       HTTP signature with, or null>,"status":...}
//   a GET of its actor -> {"event":"fetched","signed":...,"status":...}
// any failure -> {"event":"error","message":...}; the peer keeps running.
//
// Environment:
//   FEDIFY_PEER_LOG=debug|info|warning|error  Fedify's log level on stderr (warning)
//   FEDIFY_PEER_FIRST_KNOCK=rfc9421|draft-cavage-http-signatures-12
//       which HTTP signature spec Fedify tries first with a server it has not
//       met (Fedify's default, rfc9421, falls back to draft-cavage on 4xx)
//   FEDIFY_PEER_KEYS=rsa|rsa+ed25519  the actor's keys (rsa+ed25519, as Fedify
//       recommends: the Ed25519 key adds an Object Integrity Proof to activities)
//   FEDIFY_PEER_SHARED_INBOX=1|0  deliver to the remote shared inbox when
//       it has one (1), or always to the actor's own inbox (0)
//   FEDIFY_PEER_ACCEPT_STYLE=as-received|tutorial  how the Accept embeds the
//       Follow it answers: as received (actor as an id), or as Fedify's
//       tutorial code leaves it (actor as the fetched actor object)
//   FEDIFY_PEER_AUTHORIZED_FETCH=1  its actor is served only to signed GETs
//       that Fedify verifies (Mastodon's "authorized fetch"), 401 otherwise

import http from "node:http";
import readline from "node:readline";
import { randomUUID } from "node:crypto";
import { inspect } from "node:util";
import { AsyncLocalStorage } from "node:async_hooks";

import { readFile } from "node:fs/promises";
import {
  createFederation,
  generateCryptoKeyPair,
  MemoryKvStore,
  verifyObject,
  verifyRequest,
} from "@fedify/fedify";
import {
  Accept,
  Activity,
  Create,
  Endpoints,
  Follow,
  isActor,
  Note,
  Person,
  PUBLIC_COLLECTION,
  Reject,
  Undo,
} from "@fedify/vocab";
import { configure } from "@logtape/logtape";
import { Temporal } from "@js-temporal/polyfill";

const IDENTIFIER = "peer";

// --- output -----------------------------------------------------------------

function emit(event) {
  process.stdout.write(JSON.stringify(event) + "\n");
}

function describe(error) {
  if (error instanceof Error) {
    let message = error.message || String(error);
    if (error.cause instanceof Error && !message.includes(error.cause.message)) {
      message += ` (cause: ${error.cause.message})`;
    }
    return message;
  }
  return String(error);
}

function emitError(context, error) {
  emit({ event: "error", message: `${context}: ${describe(error)}` });
}

// --- arguments ----------------------------------------------------------------

const port = Number.parseInt(process.argv[2] ?? "", 10);
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  process.stderr.write("usage: node peer.mjs <port>\n");
  process.exit(2);
}
const origin = `http://localhost:${port}`;

const logLevel = process.env.FEDIFY_PEER_LOG || "warning";
const firstKnock = process.env.FEDIFY_PEER_FIRST_KNOCK || "rfc9421";
if (!["rfc9421", "draft-cavage-http-signatures-12"].includes(firstKnock)) {
  process.stderr.write(`unknown FEDIFY_PEER_FIRST_KNOCK: ${firstKnock}\n`);
  process.exit(2);
}
const acceptStyle = process.env.FEDIFY_PEER_ACCEPT_STYLE || "as-received";
if (!["as-received", "tutorial"].includes(acceptStyle)) {
  process.stderr.write(`unknown FEDIFY_PEER_ACCEPT_STYLE: ${acceptStyle}\n`);
  process.exit(2);
}
const preferSharedInbox = (process.env.FEDIFY_PEER_SHARED_INBOX || "1") !== "0";
const authorizedFetch = process.env.FEDIFY_PEER_AUTHORIZED_FETCH === "1";
const keyKinds = process.env.FEDIFY_PEER_KEYS || "rsa+ed25519";
if (!["rsa", "rsa+ed25519"].includes(keyKinds)) {
  process.stderr.write(`unknown FEDIFY_PEER_KEYS: ${keyKinds}\n`);
  process.exit(2);
}

// --- logs: Fedify's, on stderr only (stdout carries the events) ---------------

await configure({
  contextLocalStorage: new AsyncLocalStorage(),
  sinks: {
    stderr(record) {
      const message = record.message
        .map((part, i) => (i % 2 === 0 ? part : inspect(part, { depth: 4, breakLength: Infinity })))
        .join("");
      process.stderr.write(
        `[fedify-peer] ${record.level.toUpperCase()} ${record.category.join(".")}: ${message}\n`,
      );
    },
  },
  loggers: [
    { category: "fedify", sinks: ["stderr"], lowestLevel: logLevel },
    { category: ["logtape", "meta"], sinks: ["stderr"], lowestLevel: "warning" },
  ],
});

// --- loopback over plain HTTP ---------------------------------------------------
// Fedify looks WebFinger up over https:// (acct: URIs carry no scheme).  The
// test servers speak plain HTTP on loopback, so requests for https://localhost
// (or 127.0.0.1, [::1]) go to http:// instead.  Nothing else is touched.

const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]"]);
const originalFetch = globalThis.fetch;

async function loopbackFetch(input, init) {
  const url = new URL(input instanceof Request ? input.url : String(input));
  if (url.protocol === "https:" && LOOPBACK.has(url.hostname)) {
    url.protocol = "http:";
    if (input instanceof Request) {
      const body = input.method === "GET" || input.method === "HEAD" ? undefined : await input.arrayBuffer();
      const request = new Request(url, {
        method: input.method,
        headers: input.headers,
        body,
        redirect: input.redirect,
        signal: input.signal,
      });
      return originalFetch(request, init);
    }
    return originalFetch(url, init);
  }
  return originalFetch(input, init);
}

// Every refused POST (Fedify retries some of them with the other signature
// spec, and logs only the last answer) goes to stderr with its body.
globalThis.fetch = async function fetchAndReport(input, init) {
  const method = (init?.method ?? (input instanceof Request ? input.method : "GET")).toUpperCase();
  const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
  const sent = method === "POST" && input instanceof Request ? input.clone().text().catch(() => "") : null;
  const response = await loopbackFetch(input, init);
  if (method === "POST") {
    const url = input instanceof Request ? input.url : String(input);
    emit({ event: "sent", url, signed: signatureKind(headers), status: response.status });
  }
  if (method === "POST" && response.status >= 300) {
    let body = "";
    try {
      body = await response.clone().text();
    } catch {
      // unreadable body
    }
    const url = input instanceof Request ? input.url : String(input);
    const signed = signatureKind(headers);
    process.stderr.write(
      `[fedify-peer] POST ${url} (${signed}) -> ${response.status}: ${body.slice(0, 2000)}\n` +
        `[fedify-peer]   request headers: ${JSON.stringify(Object.fromEntries(headers))}\n` +
        `[fedify-peer]   request body: ${(await sent) ?? (typeof init?.body === "string" ? init.body : "")}\n`,
    );
  }
  return response;
};

/** How a request was signed, by its headers. */
function signatureKind(headers) {
  return headers.has("signature-input") ? "RFC 9421" : headers.has("signature") ? "draft-cavage" : "unsigned";
}

/** The alg parameter of an RFC 9421 Signature-Input, if any. */
function rfc9421Alg(headers) {
  const input = headers.get("signature-input");
  const match = input == null ? null : /;alg="([^"]+)"/.exec(input);
  return match ? match[1] : null;
}

// --- state -------------------------------------------------------------------

/** follower actor id -> the follower (an Actor: id, inbox, endpoints) */
const followers = new Map();
/** id -> activities and objects this peer made, served at their ids */
const follows = new Map();
const notes = new Map();
const creates = new Map();

const keyPairs = [await generateCryptoKeyPair("RSASSA-PKCS1-v1_5")];
if (keyKinds === "rsa+ed25519") keyPairs.push(await generateCryptoKeyPair("Ed25519"));

// --- federation ----------------------------------------------------------------

const federation = createFederation({
  kv: new MemoryKvStore(),
  // No queue: an activity is sent during ctx.sendActivity(), whose promise
  // settles with the remote inbox's answer, so every event printed after a
  // send means "delivered" (2xx) and any refusal is reported as an error.
  origin,
  allowPrivateAddress: true,
  skipSignatureVerification: false,
  firstKnock,
  userAgent: { software: "unionhall-interop-fedify-peer" },
});

federation
  .setActorDispatcher("/users/{identifier}", async (ctx, identifier) => {
    if (identifier !== IDENTIFIER) return null;
    const keys = await ctx.getActorKeyPairs(identifier);
    return new Person({
      id: ctx.getActorUri(identifier),
      preferredUsername: identifier,
      name: "Fedify interop peer",
      summary: "A Fedify actor that Unionhall's interop tests talk to.",
      url: ctx.getActorUri(identifier),
      inbox: ctx.getInboxUri(identifier),
      endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
      followers: ctx.getFollowersUri(identifier),
      manuallyApprovesFollowers: false,
      publicKey: keys[0].cryptographicKey,
      assertionMethods: keys.map((key) => key.multikey),
    });
  })
  .authorize(async (ctx) => !authorizedFetch || (await ctx.getSignedKey()) != null)
  .mapHandle((_ctx, username) => (username === IDENTIFIER ? IDENTIFIER : null))
  .setKeyPairsDispatcher(async (_ctx, identifier) => {
    if (identifier !== IDENTIFIER) return [];
    return keyPairs;
  });

federation.setFollowersDispatcher("/users/{identifier}/followers", async (_ctx, identifier) => {
  if (identifier !== IDENTIFIER) return null;
  return { items: [...followers.values()] };
}).setCounter(async (_ctx, identifier) => (identifier === IDENTIFIER ? followers.size : null));

federation.setObjectDispatcher(Note, "/users/{identifier}/posts/{id}", (_ctx, values) =>
  values.identifier === IDENTIFIER ? (notes.get(values.id) ?? null) : null,
);
federation.setObjectDispatcher(Create, "/users/{identifier}/posts/{id}/activity", (_ctx, values) =>
  values.identifier === IDENTIFIER ? (creates.get(values.id) ?? null) : null,
);
federation.setObjectDispatcher(Follow, "/users/{identifier}/follows/{id}", (_ctx, values) =>
  values.identifier === IDENTIFIER ? (follows.get(values.id) ?? null) : null,
);

federation
  .setInboxListeners("/users/{identifier}/inbox", "/inbox")
  .on(Follow, async (ctx, follow) => {
    const me = ctx.getActorUri(IDENTIFIER);
    if (follow.objectId?.href !== me.href) {
      emit({ event: "error", message: `Follow ${follow.id?.href} is for ${follow.objectId?.href}, not ${me.href}` });
      return;
    }
    if (follow.id == null || follow.actorId == null) {
      emit({ event: "error", message: "Follow without id or actor" });
      return;
    }
    // Fedify's tutorial fetches the follower with follow.getActor(ctx); that
    // keeps the fetched actor inside the Follow, so the Accept below would
    // embed a Follow whose "actor" is a whole object rather than its id.
    // FEDIFY_PEER_ACCEPT_STYLE=tutorial does exactly that; by default the
    // Follow is embedded as it came, with the follower's id.
    const follower = acceptStyle === "tutorial"
      ? await follow.getActor(ctx)
      : await ctx.lookupObject(follow.actorId);
    if (follower == null || !isActor(follower) || follower.id == null) {
      emit({ event: "error", message: `could not fetch the follower ${follow.actorId.href}` });
      return;
    }
    followers.set(follower.id.href, follower);
    emit({ event: "followed-by", actor: follower.id.href, id: follow.id.href });
    const accept = new Accept({
      id: new URL(`${me.href}/accepts/${randomUUID()}`),
      actor: me,
      object: follow,
      to: follower.id,
    });
    // Answer the inbox POST first; the Accept goes out right after, as a
    // queue-backed server would send it.
    setImmediate(async () => {
      try {
        await ctx.sendActivity({ identifier: IDENTIFIER }, follower, accept, { preferSharedInbox });
        emit({ event: "accept-sent", id: accept.id.href, object: follow.id.href, to: follower.id.href });
      } catch (error) {
        emitError(`sending Accept to ${follower.id.href}`, error);
      }
    });
  })
  .on(Accept, async (ctx, accept) => {
    const actor = accept.actorId?.href ?? null;
    // Only the embedded Follow's id is read: Fedify would re-fetch a
    // cross-origin embedded object, and the Follow is ours anyway.
    const object = accept.objectId?.href ?? null;
    const ours = object != null && object.startsWith(`${ctx.getActorUri(IDENTIFIER).href}/follows/`);
    emit({ event: "accepted", actor, id: accept.id?.href ?? null, object, ours });
  })
  .on(Create, async (ctx, create) => {
    const object = await create.getObject(ctx);
    let content = null;
    if (object != null && object.content != null) content = object.content.toString();
    emit({
      event: "create",
      id: create.id?.href ?? null,
      object: object?.id?.href ?? create.objectId?.href ?? null,
      content,
      actor: create.actorId?.href ?? null,
    });
  })
  .on(Reject, async (_ctx, reject) => {
    emit({
      event: "rejected",
      actor: reject.actorId?.href ?? null,
      id: reject.id?.href ?? null,
      object: reject.objectId?.href ?? null,
    });
  })
  .on(Undo, async (ctx, undo) => {
    const object = await undo.getObject(ctx);
    if (object instanceof Follow && undo.actorId != null && object.actorId?.href === undo.actorId.href) {
      const removed = followers.delete(undo.actorId.href);
      emit({ event: "unfollowed-by", actor: undo.actorId.href, id: undo.id?.href ?? null, removed });
    } else {
      emit(otherActivity(undo));
    }
  })
  // Anything else (Update, Delete, Announce, ...) is only reported.
  .on(Activity, async (_ctx, activity) => {
    emit(otherActivity(activity));
  })
  .onError(async (_ctx, error) => {
    emitError("inbox", error);
  })
  .onUnverifiedActivity(async (_ctx, activity, reason) => {
    emit({
      event: "error",
      message: `unverified ${activity.constructor.name} ${activity.id?.href}: ${reason.type}` +
        (reason.result?.error ? ` (${describe(reason.result.error)})` : ""),
    });
    // undefined: Fedify answers 401 as usual
  });

function otherActivity(activity) {
  return {
    event: "activity",
    type: activity.constructor.typeId?.href ?? activity.constructor.name,
    id: activity.id?.href ?? null,
    actor: activity.actorId?.href ?? null,
    object: activity.objectId?.href ?? null,
  };
}

// --- stdin commands ------------------------------------------------------------

function context() {
  return federation.createContext(new URL(origin), undefined);
}

/** The id of the key Fedify verifies a request's HTTP signature with, or null. */
async function verifiedHttpKey(request) {
  const ctx = context();
  const key = await verifyRequest(request, {
    documentLoader: ctx.documentLoader,
    contextLoader: ctx.contextLoader,
  });
  return key?.id?.href ?? null;
}

async function follow(target) {
  const ctx = context();
  let url;
  try {
    url = new URL(target);
  } catch {
    url = null;
  }
  const actor = await ctx.lookupObject(url ?? target);
  if (actor == null || !isActor(actor) || actor.id == null) {
    throw new Error(`${target} could not be fetched or is not an actor (stderr has Fedify's log)`);
  }
  const me = ctx.getActorUri(IDENTIFIER);
  const id = randomUUID();
  const activity = new Follow({
    id: ctx.getObjectUri(Follow, { identifier: IDENTIFIER, id }),
    actor: me,
    object: actor.id,
    to: actor.id,
  });
  follows.set(id, activity);
  await ctx.sendActivity({ identifier: IDENTIFIER }, actor, activity, { preferSharedInbox });
  emit({ event: "follow-sent", id: activity.id.href, object: actor.id.href });
}

async function post(text) {
  const ctx = context();
  const me = ctx.getActorUri(IDENTIFIER);
  const id = randomUUID();
  const published = Temporal.Now.instant();
  const followersUri = ctx.getFollowersUri(IDENTIFIER);
  const note = new Note({
    id: ctx.getObjectUri(Note, { identifier: IDENTIFIER, id }),
    attribution: me,
    content: text,
    to: PUBLIC_COLLECTION,
    cc: followersUri,
    published,
    url: ctx.getObjectUri(Note, { identifier: IDENTIFIER, id }),
  });
  const create = new Create({
    id: ctx.getObjectUri(Create, { identifier: IDENTIFIER, id }),
    actor: me,
    object: note,
    to: PUBLIC_COLLECTION,
    cc: followersUri,
    published,
  });
  notes.set(id, note);
  creates.set(id, create);
  const recipients = [...followers.values()];
  if (recipients.length > 0) {
    await ctx.sendActivity({ identifier: IDENTIFIER }, recipients, create, { preferSharedInbox });
  }
  emit({
    event: "post-sent",
    id: create.id.href,
    object: note.id.href,
    recipients: recipients.map((r) => r.id.href),
  });
}

let server;
let quitting = false;

// Checks the Object Integrity Proof of the activity in a JSON file, as Fedify
// checks one it receives: the key named by the proof is fetched from its
// actor's assertionMethod, and every actor of the activity must be proven.
async function verifyProofIn(path) {
  const ctx = context();
  const json = JSON.parse(await readFile(path, "utf8"));
  const verified = await verifyObject(Activity, json, {
    documentLoader: ctx.documentLoader,
    contextLoader: ctx.contextLoader,
  });
  emit({ event: "proof-checked", id: json.id ?? null, verified: verified != null });
}

function quit() {
  if (quitting) return;
  quitting = true;
  server.close();
  server.closeAllConnections?.();
  process.exit(0);
}

async function command(line) {
  const trimmed = line.trim();
  if (trimmed === "") return;
  const space = trimmed.indexOf(" ");
  const verb = space < 0 ? trimmed : trimmed.slice(0, space);
  const rest = space < 0 ? "" : trimmed.slice(space + 1).trim();
  try {
    switch (verb) {
      case "quit":
        quit();
        break;
      case "follow":
        if (rest === "") throw new Error("usage: follow <actor-url>");
        await follow(rest);
        break;
      case "post":
        if (rest === "") throw new Error("usage: post <text>");
        await post(rest);
        break;
      case "verify-proof":
        if (rest === "") throw new Error("usage: verify-proof <file>");
        await verifyProofIn(rest);
        break;
      default:
        throw new Error(`unknown command: ${verb}`);
    }
  } catch (error) {
    emitError(verb, error);
  }
}

// --- HTTP: Node's server in front of federation.fetch() ----------------------

async function toRequest(req) {
  const headers = new Headers();
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    headers.append(req.rawHeaders[i], req.rawHeaders[i + 1]);
  }
  const base = req.headers.host ? `http://${req.headers.host}` : origin;
  const url = new URL(req.url ?? "/", base);
  let body;
  if (req.method !== "GET" && req.method !== "HEAD") {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    body = Buffer.concat(chunks);
  }
  return new Request(url, { method: req.method, headers, body });
}

server = http.createServer(async (req, res) => {
  try {
    const request = await toRequest(req);
    // Whether the HTTP signature of a POST verifies on its own (Fedify may
    // also take an activity on its integrity proof alone).
    const httpKey =
      req.method === "POST" ? await verifiedHttpKey(request.clone()).catch(() => null) : null;
    const response = await federation.fetch(request, {
      contextData: undefined,
      onNotFound: () => new Response("Not Found\n", { status: 404, headers: { "Content-Type": "text/plain" } }),
      onNotAcceptable: () =>
        new Response("Not Acceptable\n", { status: 406, headers: { "Content-Type": "text/plain" } }),
    });
    if (req.method === "POST") {
      emit({
        event: "knocked",
        signed: signatureKind(request.headers),
        alg: rfc9421Alg(request.headers),
        httpKey,
        status: response.status,
      });
    } else if (req.method === "GET" && new URL(request.url).pathname === `/users/${IDENTIFIER}`) {
      emit({ event: "fetched", signed: signatureKind(request.headers), status: response.status });
    }
    const body = Buffer.from(await response.arrayBuffer());
    const headers = {};
    response.headers.forEach((value, name) => {
      headers[name] = value;
    });
    res.writeHead(response.status, headers);
    res.end(req.method === "HEAD" ? undefined : body);
  } catch (error) {
    emitError(`HTTP ${req.method} ${req.url}`, error);
    if (!res.headersSent) res.writeHead(500, { "Content-Type": "text/plain" });
    res.end("Internal Server Error\n");
  }
});

server.on("error", (error) => {
  emitError("HTTP server", error);
  process.exit(1);
});

process.on("unhandledRejection", (error) => emitError("unhandled rejection", error));
process.on("uncaughtException", (error) => emitError("uncaught exception", error));

server.listen(port, "127.0.0.1", () => {
  emit({ event: "ready", actor: `${origin}/users/${IDENTIFIER}` });
  // Commands run one after another, in the order given; closing stdin
  // quits once the commands before it are done.
  let chain = Promise.resolve();
  const lines = readline.createInterface({ input: process.stdin, terminal: false });
  lines.on("line", (line) => {
    chain = chain.then(() => command(line));
  });
  lines.on("close", () => {
    chain = chain.then(quit);
  });
});
