// Closed-loop OCPP 1.6 load from outside the server's process: N chargers boot, then each sends
// StatusNotifications back to back (the next one as soon as the answer arrives) for S seconds.
//   node load.js URL CHARGERS SECONDS FRAMES.json [PREFIX]
// FRAMES.json is a JSON list of StatusNotification payloads (written by server_load.py, so the
// mix has one source). Prints one JSON line: answered, errors, seconds, p50/p99 latency in ms.
'use strict';
const WebSocket = require('ws');
const fs = require('fs');

const [url, chargersArg, secondsArg, framesPath, prefixArg] = process.argv.slice(2);
const chargers = Number(chargersArg);
const seconds = Number(secondsArg);
const prefix = prefixArg || 'BENCH-';
const payloads = JSON.parse(fs.readFileSync(framesPath, 'utf8')).map((p) => JSON.stringify(p));
const BOOT = '{"chargePointVendor":"bench","chargePointModel":"b"}';

let answered = 0;
let errors = 0;
let running = false;
const latencies = [];

function openCharger(index) {
  return new Promise((resolve, reject) => {
    const id = `${prefix}${String(index).padStart(5, '0')}`;
    const ws = new WebSocket(`${url}/${id}`, ['ocpp1.6'], { perMessageDeflate: false });
    const state = { ws, n: 0, sentAt: 0, busy: false, booted: false, sample: index % 4 === 0 };
    ws.on('open', () => ws.send(`[2,"boot","BootNotification",${BOOT}]`));
    ws.on('message', (data) => {
      if (!state.booted) {
        state.booted = true;
        resolve(state);
        return;
      }
      state.busy = false;
      if (data[1] === 0x34) errors += 1; // "[4,": a CALLERROR
      else answered += 1;
      if (state.sample) latencies.push(process.hrtime.bigint() - state.sentAt);
      if (running) sendNext(state);
    });
    ws.on('error', reject);
  });
}

function sendNext(state) {
  const body = payloads[state.n % payloads.length];
  const id = state.n;
  state.n += 1;
  state.busy = true;
  state.sentAt = process.hrtime.bigint();
  state.ws.send(`[2,"${id}","StatusNotification",${body}]`);
}

function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  return Number(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]) / 1e6;
}

async function main() {
  const fleet = [];
  for (let i = 0; i < chargers; i += 50) {  // open in slices: a fleet, not a flood
    const slice = [];
    for (let j = i; j < Math.min(chargers, i + 50); j += 1) slice.push(openCharger(j));
    fleet.push(...(await Promise.all(slice)));
  }
  await new Promise((r) => setTimeout(r, 500));
  process.stdout.write('READY\n');
  await new Promise((r) => process.stdin.once('data', r)); // the parent reads CPU, then says go
  const t0 = process.hrtime.bigint();
  running = true;
  for (const state of fleet) sendNext(state);
  await new Promise((r) => setTimeout(r, seconds * 1000));
  running = false;
  const elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
  const deadline = Date.now() + 10000;
  while (fleet.some((s) => s.busy) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 10));
  }
  latencies.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const result = {
    answered, errors, seconds: elapsed,
    p50_ms: percentile(latencies, 50), p99_ms: percentile(latencies, 99),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  for (const state of fleet) state.ws.terminate();
  process.exit(0);
}

main().catch((err) => { process.stderr.write(`load.js: ${err.message}\n`); process.exit(1); });
