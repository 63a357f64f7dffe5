// A Node client using the reference automerge-repo packages against the Prongsai sync server.
// Usage: node interop.mjs SERVER_URL USERNAME PASSWORD AGENCY YEAR RUST_MARKER
// It signs in, finds documents through the documents API, waits for a change a Rust client made,
// makes a change of its own and waits until the server confirms it durable, then tries to write a
// document its user may not write. Prints one JSON line and exits 0 on success.
import { Repo } from "@automerge/automerge-repo"
import { BrowserWebSocketClientAdapter } from "@automerge/automerge-repo-network-websocket"
import * as A from "@automerge/automerge"

const [server, username, password, agency, year, rustMarker] = process.argv.slice(2)
const deadline = Date.now() + 60_000
const fail = (message) => {
  console.error(`interop: ${message}`)
  process.exit(1)
}
const until = async (what, condition) => {
  while (!(await condition())) {
    if (Date.now() > deadline) fail(`timed out waiting until ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

// The WebSocket adapter throws on a 401, so sign in first and pass the token in the URL.
const login = await fetch(new URL("api/login", server), {
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ username, password, device: "node interop" }),
}).then((r) => (r.ok ? r.json() : fail(`login answered ${r.status}`)))
const auth = { authorization: `Bearer ${login.token}` }
const documents = await fetch(new URL(`api/agencies/${agency}/years/${year}/documents`, server), { headers: auth }).then(
  (r) => (r.ok ? r.json() : fail(`documents answered ${r.status}`)),
)
const plan = documents.find((d) => d.kind === "plan")
const own = documents.find((d) => d.kind === "results" && d.writable)
if (!plan || !own || plan.writable) fail(`unexpected documents list ${JSON.stringify(documents)}`)

const wsUrl = new URL(`sync?token=${encodeURIComponent(login.token)}`, server)
wsUrl.protocol = wsUrl.protocol === "https:" ? "wss:" : "ws:"
const repo = new Repo({ network: [new BrowserWebSocketClientAdapter(wsUrl.toString())], peerId: login.peer_id })

// 1. See the Rust client's change.
const planHandle = await repo.find(plan.url)
// automerge 3 shows a scalar string as an ImmutableString object: compare its text.
await until("the Rust client's change arrives", () => String(planHandle.doc()?.rust_marker ?? "") === rustMarker)

// 2. Make a change the Rust client will see, and wait for the server's durability confirmation.
// The server takes a change only from an actor its login issued (the session's actor, plus 8
// bytes of this run's own), so the document is written with that actor.
const runActor = login.actor_id + [...crypto.getRandomValues(new Uint8Array(8))].map((b) => b.toString(16).padStart(2, "0")).join("")
const ownHandle = await repo.find(own.url)
ownHandle.update((doc) => A.clone(doc, { actor: runActor }))
ownHandle.change((doc) => {
  doc.js_marker = "สวัสดีจาก Node"
})
const heads = A.getHeads(ownHandle.doc())
const documentId = own.url.replace(/^automerge:/, "")
await until("the server confirms the change durable", async () => {
  const url = new URL(`api/documents/${documentId}/durable?heads=${heads.join(",")}&wait_ms=2000`, server)
  const answer = await fetch(url, { headers: auth }).then((r) => r.json())
  return answer.durable === true
})

// 3. Write a document this user may not write; nobody may ever see it.
planHandle.update((doc) => A.clone(doc, { actor: runActor }))
planHandle.change((doc) => {
  doc.js_forbidden = "ไม่ควรถึงใคร"
})
console.log(JSON.stringify({ ok: true, heads }))
await repo.shutdown?.()
process.exit(0)
