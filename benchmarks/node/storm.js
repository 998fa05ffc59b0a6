// A reconnect storm: N chargers all (re)connect within RAMP seconds, as after a site-wide power
// or network outage. Each sends BootNotification, then a StatusNotification for connectors 1 and
// 2. A charger told Pending/Rejected waits the interval it was given and boots again; a refused
// or dropped connection retries after a back-off, as real firmware does.
//   node storm.js URL CHARGERS RAMP_SECONDS [PREFIX]
// Prints one JSON line: how many finished, the time until the last one was answered, p50/p99
// latency of every call, boots answered Pending/Rejected, connection retries.
'use strict';
const WebSocket = require('ws');

const [url, chargersArg, rampArg, prefixArg] = process.argv.slice(2);
const chargers = Number(chargersArg);
const ramp = Number(rampArg);
const prefix = prefixArg || 'STORM-';
const latencies = [];
let finished = 0;
let deferred = 0;
let retries = 0;
let lastDone = 0;
const t0 = Date.now();

function status(connectorId) {
  return JSON.stringify({ connectorId, errorCode: 'NoError', status: 'Available',
                          timestamp: new Date().toISOString() });
}

function runCharger(index) {
  return new Promise((resolve) => {
    const id = `${prefix}${String(index).padStart(5, '0')}`;
    let step = 0;
    let done = false;
    let sentAt = 0n;
    const attempt = () => {
      const ws = new WebSocket(`${url}/${id}`, ['ocpp1.6'],
                               { perMessageDeflate: false, rejectUnauthorized: false });
      const send = (frame) => { sentAt = process.hrtime.bigint(); ws.send(frame); };
      const boot = () => send(`[2,"b${step}","BootNotification",` +
                              '{"chargePointVendor":"storm","chargePointModel":"s"}]');
      ws.on('open', boot);
      ws.on('message', (data) => {
        latencies.push(process.hrtime.bigint() - sentAt);
        const frame = JSON.parse(data.toString());
        if (frame[0] !== 3) { ws.terminate(); return; }
        if (step === 0) {
          if (frame[2].status !== 'Accepted') {
            deferred += 1;
            setTimeout(boot, Math.max(1, frame[2].interval || 1) * 1000);
            return;
          }
          step = 1;
          send(`[2,"s1","StatusNotification",${status(1)}]`);
        } else if (step === 1) {
          step = 2;
          send(`[2,"s2","StatusNotification",${status(2)}]`);
        } else {
          done = true;
          finished += 1;
          lastDone = Date.now();
          resolve(ws);
        }
      });
      ws.on('error', () => {});
      ws.on('close', () => {
        if (done) return;
        retries += 1;
        step = 0;
        setTimeout(attempt, 1000 + Math.random() * 2000);
      });
    };
    setTimeout(attempt, Math.random() * ramp * 1000);
  });
}

function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  return Number(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]) / 1e6;
}

async function main() {
  const all = [];
  for (let i = 0; i < chargers; i += 1) all.push(runCharger(i));
  const limit = setTimeout(() => {
    process.stdout.write(`${JSON.stringify({ finished, chargers, timeout: true })}\n`);
    process.exit(1);
  }, 600000);
  const sockets = await Promise.all(all);
  clearTimeout(limit);
  latencies.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  process.stdout.write(`${JSON.stringify({
    finished, chargers, last_answer_s: (lastDone - t0) / 1000, deferred, retries,
    p50_ms: percentile(latencies, 50), p99_ms: percentile(latencies, 99),
  })}\n`);
  process.stdin.once('data', () => { for (const ws of sockets) ws.terminate(); process.exit(0); });
  process.stdout.write('HOLDING\n');
}

main().catch((err) => { process.stderr.write(`storm.js: ${err.message}\n`); process.exit(1); });
