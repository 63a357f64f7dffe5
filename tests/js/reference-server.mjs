// The reference automerge-repo sync server, as its README sets it up: a Repo with the Node
// WebSocket server adapter and the Node filesystem storage adapter, sharing nothing unasked.
// `cargo xtask bench` starts it to run the same workload as against prongsai-server.
// Usage: node reference-server.mjs DATA_DIR PORT   (prints "listening on http://127.0.0.1:PORT")
import { Repo } from "@automerge/automerge-repo"
import { NodeWSServerAdapter } from "@automerge/automerge-repo-network-websocket"
import { NodeFSStorageAdapter } from "@automerge/automerge-repo-storage-nodefs"
import { WebSocketServer } from "ws"

const [dir, port] = process.argv.slice(2)
const wss = new WebSocketServer({ host: "127.0.0.1", port: Number(port ?? 0), maxPayload: 64 * 1024 * 1024 })
const repo = new Repo({
  network: [new NodeWSServerAdapter(wss)],
  storage: new NodeFSStorageAdapter(dir),
  peerId: `reference-sync-server-${process.pid}`,
  sharePolicy: async () => false,
})
wss.on("listening", () => {
  console.log(`listening on http://127.0.0.1:${wss.address().port}`)
})
process.on("SIGTERM", async () => {
  await repo.shutdown?.()
  process.exit(0)
})
