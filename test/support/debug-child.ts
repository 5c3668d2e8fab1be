// Run with NODE_DEBUG=passport-okta-oidc by test/unit/core/diagnostics.test.ts: one request
// to a token revocation endpoint on 127.0.0.1, whose events util.debuglog prints on stderr.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { OktaClient } from '../../lib/client.js';

const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.setHeader('x-rate-limit-remaining', '99');
    res.end('{}');
  });
});
server.listen(0, '127.0.0.1', () => {
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new OktaClient(origin, 'debug-client', 'debug-client-secret', `${origin}/cb`, { authServerId: 'default' });
  void client.revokeToken('a-token-to-revoke').finally(() => server.close());
});
