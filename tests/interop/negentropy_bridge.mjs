// A nostr-tools negentropy party driven over stdin/stdout, one JSON object per line.
// {"op":"init","items":[[ts,"hex id"],...],"limit":N} -> {"ok":true}
// {"op":"initiate"} -> {"msg":"hex"}
// {"op":"reconcile","msg":"hex"} -> {"reply":"hex"|null,"have":[...],"need":[...]}
import { Negentropy, NegentropyStorageVector } from "./node_modules/nostr-tools/lib/esm/nip77.js";
import readline from "node:readline";

let party = null;
const lines = readline.createInterface({ input: process.stdin });
for await (const line of lines) {
  const cmd = JSON.parse(line);
  let out;
  try {
    if (cmd.op === "init") {
      const storage = new NegentropyStorageVector();
      for (const [ts, id] of cmd.items) storage.insert(ts, id);
      storage.seal();
      party = new Negentropy(storage, cmd.limit);
      out = { ok: true };
    } else if (cmd.op === "initiate") {
      out = { msg: party.initiate() };
    } else {
      const have = [], need = [];
      const reply = party.reconcile(cmd.msg, (id) => have.push(id), (id) => need.push(id));
      out = { reply, have, need };
    }
  } catch (err) {
    out = { error: String(err) };
  }
  process.stdout.write(JSON.stringify(out) + "\n");
}
