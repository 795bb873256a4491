// Node's `jose` (npm) verifies a tokend IAM token through createRemoteJWKSet
// on our JWKS URL, and a revalidation with the ETag gets 304.
// Usage: node jose_jwks_test.cjs BASE_URL IAM_TOKEN ISSUER
const jose = require('jose');

async function main() {
  const [base, token, issuer] = process.argv.slice(2);
  const url = new URL(base + '/.well-known/jwks.json');
  const jwks = jose.createRemoteJWKSet(url);
  const {payload, protectedHeader} = await jose.jwtVerify(token, jwks, {
    issuer,
    audience: issuer + '/iam',
    algorithms: ['ES256'],
  });
  if (payload.kind !== 'service_account' || !payload.sub || !payload.jti) {
    throw new Error('unexpected claims ' + JSON.stringify(payload));
  }
  console.log('ok: jose verified kid ' + protectedHeader.kid);

  const https = url.protocol === 'https:' ? require('https') : require('http');
  const get = (headers) => new Promise((resolve, reject) => {
    https.get(url, {headers}, (res) => {
      let body = '';
      res.on('data', (c) => body += c);
      res.on('end', () => resolve({status: res.statusCode, headers: res.headers, body}));
    }).on('error', reject);
  });
  const first = await get({});
  const etag = first.headers['etag'];
  if (first.status !== 200 || !etag) throw new Error('no ETag: ' + first.status);
  const second = await get({'if-none-match': etag});
  if (second.status !== 304 || second.body !== '') {
    throw new Error('revalidation gave ' + second.status);
  }
  console.log('ok: jose JWKS revalidation with ETag -> 304');
}

main().catch((e) => { console.error('FAIL: jose: ' + (e.stack || e)); process.exit(1); });
