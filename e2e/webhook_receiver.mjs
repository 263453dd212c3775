// A merchant's webhook receiver that trusts nothing it did not check: every message
// Vouch sends is verified with the Standard Webhooks reference library
// (`standardwebhooks` from npm), not with Vouch's own code.
//
// Usage: node webhook_receiver.mjs
// Prints `listening <port>` first, then one JSON line per message received:
//   {"id", "type", "verified": [one boolean per secret], "signatures": n, "status": answered}
// Control: POST /__secrets with a JSON array of `whsec_…` secrets to verify against;
// POST /__statuses with a JSON array of status codes to answer in turn (the last
// repeats; default 200).
import http from 'node:http';
import { Webhook } from 'standardwebhooks';

let secrets = [];
let statuses = [200];
let served = 0;

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    if (req.url === '/__secrets') {
      secrets = JSON.parse(body);
      res.writeHead(204).end();
      return;
    }
    if (req.url === '/__statuses') {
      statuses = JSON.parse(body);
      res.writeHead(204).end();
      return;
    }
    const verified = secrets.map((s) => {
      try {
        new Webhook(s).verify(body, req.headers);
        return true;
      } catch {
        return false;
      }
    });
    const status = statuses[Math.min(served, statuses.length - 1)];
    served += 1;
    let parsed = {};
    try {
      parsed = JSON.parse(body);
    } catch {}
    const line = {
      id: req.headers['webhook-id'],
      type: parsed.type,
      timestamp: parsed.timestamp,
      data_id: parsed.data && parsed.data.id,
      verified,
      signatures: (req.headers['webhook-signature'] || '').split(' ').filter(Boolean).length,
      status,
    };
    process.stdout.write(JSON.stringify(line) + '\n');
    res.writeHead(status, { 'content-type': 'application/json' }).end('{"ok":true}');
  });
});

server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});
