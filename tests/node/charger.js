// A charger built on ocpp-rpc in strict mode: every call it sends and every answer it receives
// is validated against the OCPP JSON schemas by someone else's code. Driven by
// tests/test_ocpp_rpc_interop.py:
//   node charger.js SCRIPT.json
// SCRIPT: {"endpoint", "identity", "protocol", "password"?, "calls": [[action, params], …],
//          "answers": {action: response}}
// Prints one JSON line per call ({"call", "ok", "result"} or {"call", "ok": false, "error"}),
// then "READY", then a line for every call the server makes ({"handled", "params"}), answered
// from "answers", until its standard input closes.
'use strict';
const fs = require('fs');
const { RPCClient } = require('ocpp-rpc');

const script = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const say = (obj) => process.stdout.write(`${JSON.stringify(obj)}\n`);

async function main() {
  const client = new RPCClient({
    endpoint: script.endpoint,
    identity: script.identity,
    protocols: [script.protocol],
    password: script.password,
    strictMode: true,
    reconnect: false,
    callTimeoutMs: 30000,
  });
  for (const [action, response] of Object.entries(script.answers || {})) {
    client.handle(action, ({ params }) => {
      say({ handled: action, params });
      return response;
    });
  }
  client.handle(({ method, params }) => {
    say({ handled: method, params, unanswered: true });
    throw new Error(`no answer scripted for ${method}`);
  });
  try {
    await client.connect();
  } catch (err) {
    say({ connect: false, error: err.message });
    process.exit(3);
  }
  for (const [action, params] of script.calls) {
    try {
      say({ call: action, ok: true, result: await client.call(action, params) });
    } catch (err) {
      say({ call: action, ok: false, error: err.rpcErrorCode || err.name, message: err.message });
    }
  }
  process.stdout.write('READY\n');
  process.stdin.resume();
  process.stdin.on('end', async () => {
    await client.close({ force: true });
    process.exit(0);
  });
}

main().catch((err) => { say({ fatal: err.message }); process.exit(1); });
