// Yardstick: a central system built the usual way on ocpp-rpc (strict mode: every call and
// answer validated against the OCPP 1.6 schemas) that stores each message in PostgreSQL before
// it answers, one INSERT per message.   node peer.js PG_URL  → prints "PORT <n>" once listening.
'use strict';
const { RPCServer } = require('ocpp-rpc');
const { Pool } = require('pg');

async function main() {
  const pool = new Pool({ connectionString: process.argv[2], max: 10 });
  await pool.query(`CREATE TABLE IF NOT EXISTS peer_messages (
      id bigserial PRIMARY KEY, charger text NOT NULL, action text NOT NULL,
      payload jsonb NOT NULL, received_at timestamptz NOT NULL DEFAULT now())`);
  const server = new RPCServer({ protocols: ['ocpp1.6'], strictMode: true });
  server.on('client', (client) => {
    const store = (action, params) => pool.query(
      'INSERT INTO peer_messages (charger, action, payload) VALUES ($1, $2, $3)',
      [client.identity, action, params]);
    client.handle('BootNotification', async ({ params }) => {
      await store('BootNotification', params);
      return { status: 'Accepted', interval: 300, currentTime: new Date().toISOString() };
    });
    client.handle('Heartbeat', async () => ({ currentTime: new Date().toISOString() }));
    client.handle('StatusNotification', async ({ params }) => {
      await store('StatusNotification', params);
      return {};
    });
  });
  const http = await server.listen(0, '127.0.0.1');
  process.stdout.write(`PORT ${http.address().port}\n`);
}

main().catch((err) => { process.stderr.write(`peer.js: ${err.message}\n`); process.exit(1); });
